"""The state diff (engine.debug.diff): channels added, removed, changed and unchanged, and what
changed inside nested mappings, growing lists, message lists matched by id, and long text."""

from __future__ import annotations

from engine.checkpoint.serde import Undecodable
from engine.debug.diff import diff_states, diff_values
from engine.messages import AIMessage, HumanMessage


def test_channels_are_added_removed_changed_or_counted_as_unchanged() -> None:
    diff = diff_states({"a": 1, "b": 2, "gone": 0}, {"a": 1, "b": 3, "new": [1]})
    assert [(c.channel, c.status) for c in diff.channels] == [("b", "changed"), ("gone", "removed"), ("new", "added")]
    assert diff.unchanged == 1 and diff.unchanged_names == ("a",)
    (change,) = diff.channels[0].changes
    assert (change.path, change.kind, change.before, change.after) == ((), "changed", 2, 3)


def test_nested_mappings_show_key_level_changes() -> None:
    before = {"config": {"model": "a", "limits": {"tokens": 10, "calls": 2}}, "keep": 1}
    after = {"config": {"model": "a", "limits": {"tokens": 20}, "extra": True}, "keep": 1}
    changes, more = diff_values(before, after)
    found = {(c.path, c.kind) for c in changes}
    assert found == {
        (("config", "limits", "tokens"), "changed"),
        (("config", "limits", "calls"), "removed"),
        (("config", "extra"), "added"),
    }
    assert more == 0
    assert diff_states({"s": before}, {"s": after}).channels[0].summary == "1 key changed"


def test_a_growing_list_reads_as_items_appended() -> None:
    diff = diff_states({"results": [{"a": 1}]}, {"results": [{"a": 1}, {"b": 2}, {"c": 3}]})
    channel = diff.channels[0]
    assert channel.summary == "+2 items"
    assert [(c.path, c.kind) for c in channel.changes] == [((1,), "added"), ((2,), "added")]


def test_messages_are_matched_by_id() -> None:
    hi, answer = HumanMessage("hi", id="1"), AIMessage("hello", id="2")
    before = [hi, answer]
    after = [hi, AIMessage("hello there", id="2"), HumanMessage("more", id="3"), AIMessage("ok", id="4")]
    channel = diff_states({"messages": before}, {"messages": after}).channels[0]
    assert channel.summary == "+2 messages, 1 message changed"
    assert ((1, "content"), "changed") in [(c.path, c.kind) for c in channel.changes]
    added = [c.after for c in channel.changes if c.kind == "added"]
    assert [m.id for m in added] == ["3", "4"]
    removed = diff_states({"messages": after}, {"messages": [hi]}).channels[0]
    assert removed.summary == "-3 messages"


def test_long_text_gets_a_line_diff() -> None:
    before = "line one\nline two\nline three"
    after = "line one\nline 2\nline three"
    (change,), _ = diff_values(before, after)
    assert change.text_diff == ("  line one", "- line two", "+ line 2", "  line three")


def test_long_single_line_text_gets_a_word_diff() -> None:
    before = "the quick brown fox jumps over the lazy dog " * 3
    after = before.replace("lazy", "sleepy", 1)
    (change,), _ = diff_values(before, after)
    assert "- lazy" in change.text_diff and "+ sleepy" in change.text_diff


def test_type_changes_are_called_out() -> None:
    channel = diff_states({"n": 1}, {"n": "1"}).channels[0]
    assert channel.summary == "int → str" and channel.changes[0].kind == "type"
    unreadable = diff_states({"v": Undecodable("bad")}, {"v": [1]}).channels[0]
    assert unreadable.summary == "unreadable value → list"


def test_changes_past_the_limit_are_counted_not_listed() -> None:
    changes, more = diff_values(list(range(500)), list(range(1, 501)), max_changes=10)
    assert len(changes) == 10 and more == 490


def test_values_nested_past_recursion_say_the_whole_value_changed() -> None:
    deep_a, deep_b = [1], [2]
    for _ in range(5000):
        deep_a, deep_b = [deep_a], [deep_b]
    changes, _ = diff_values(deep_a, deep_b)
    assert len(changes) == 1 and changes[0].path == ()


def test_a_tools_answer_is_matched_by_the_call_it_answers() -> None:
    from engine.messages import ToolMessage

    before = {"messages": [ToolMessage("30", tool_call_id="call_1", id="t1")]}
    after = {"messages": [ToolMessage("60", tool_call_id="call_1", id="t2")]}  # a replay's answer
    (channel,) = diff_states(before, after).channels
    assert channel.summary == "1 message changed"
    assert [(c.path, c.before, c.after) for c in channel.changes if c.path[-1] == "content"] == [((0, "content"), "30", "60")]
