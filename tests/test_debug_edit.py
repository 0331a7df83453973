"""plan_edit: a whole-value edit becomes the writes that give it through each channel's reducer."""

from __future__ import annotations

import json
import operator
from typing import Annotated, TypedDict

import pytest

from engine.checkpoint.serde import JsonSerializer, Undecodable
from engine.debug.edit import EditError, edit_text, plan_edit
from engine.messages import AIMessage, HumanMessage, RemoveMessage, add_messages
from engine.pregel.schema import state_fields


class State(TypedDict):
    count: int
    log: Annotated[list[str], operator.add]
    total: Annotated[int, operator.add]
    messages: Annotated[list, add_messages]


FIELDS = state_fields(State)
SERDE = JsonSerializer()
CURRENT = {
    "count": 1,
    "log": ["a"],
    "total": 3,
    "messages": [HumanMessage("hi", id="h1"), AIMessage("hello", id="a1")],
}


def edited(**changes) -> str:
    data = json.loads(edit_text(CURRENT, SERDE))
    for key, change in changes.items():
        data[key] = change(data[key])
    return json.dumps(data, indent=2)


def test_only_changed_channels_are_written() -> None:
    plan = plan_edit(FIELDS, CURRENT, edited(count=lambda _: 5), SERDE)
    assert plan.update == {"count": 5}


def test_a_list_reducer_gets_the_appended_items() -> None:
    plan = plan_edit(FIELDS, CURRENT, edited(log=lambda v: v + ["b", "c"]), SERDE)
    assert plan.update == {"log": ["b", "c"]}


def test_a_list_reducer_refuses_an_edit_in_the_middle_with_the_line() -> None:
    text = edited(log=lambda v: ["z"])
    with pytest.raises(EditError, match="'log' is combined by add") as caught:
        plan_edit(FIELDS, CURRENT, text, SERDE)
    assert caught.value.line == text.splitlines().index('  "log": [') + 1


def test_a_number_reducer_cannot_be_set_directly() -> None:
    with pytest.raises(EditError, match="'total' is combined by add"):
        plan_edit(FIELDS, CURRENT, edited(total=lambda _: 10), SERDE)


def test_messages_are_changed_by_id_and_removed_with_remove_message() -> None:
    def change(messages):
        messages[1]["fields"]["content"] = "hello there"
        return messages

    plan = plan_edit(FIELDS, CURRENT, edited(messages=change), SERDE)
    assert plan.update == {"messages": [AIMessage("hello there", id="a1")]}
    assert add_messages(CURRENT["messages"], plan.update["messages"])[1].content == "hello there"
    plan = plan_edit(FIELDS, CURRENT, edited(messages=lambda m: m[:1]), SERDE)
    assert plan.update == {"messages": [RemoveMessage(id="a1")]}


def test_reordered_messages_replace_the_whole_list() -> None:
    plan = plan_edit(FIELDS, CURRENT, edited(messages=lambda m: m[::-1]), SERDE)
    result = add_messages(CURRENT["messages"], plan.update["messages"])
    assert [m.id for m in result] == ["a1", "h1"]


def test_a_value_of_the_wrong_type_is_refused_naming_the_channel_and_type() -> None:
    with pytest.raises(EditError, match="'count' expects int, got str") as caught:
        plan_edit(FIELDS, CURRENT, edited(count=lambda _: "five"), SERDE)
    assert caught.value.channel == "count"


def test_a_placeholder_cannot_be_saved_back_but_can_be_left_alone() -> None:
    current = {**CURRENT, "count": Undecodable("malformed 'uuid' value")}
    text = edit_text(current, SERDE)
    assert '"undecodable"' in text
    plan = plan_edit(FIELDS, current, text.replace('"hi"', '"hey"'), SERDE)  # count untouched
    assert list(plan.update) == ["messages"]
    data = json.loads(text)
    data["count"]["reason"] = "changed"
    with pytest.raises(EditError, match="could not read; it cannot be saved back"):
        plan_edit(FIELDS, current, json.dumps(data), SERDE)


def test_a_malformed_tag_is_refused() -> None:
    data = json.loads(edit_text(CURRENT, SERDE))
    data["messages"][0] = {"__retrace__": "message", "type": "human"}
    with pytest.raises(EditError, match="'messages'"):
        plan_edit(FIELDS, CURRENT, json.dumps(data), SERDE)


def test_characters_a_terminal_acts_on_are_escaped_in_the_editor_and_round_trip() -> None:
    current = {**CURRENT, "count": 1, "log": ["\x9b31m\u202eevil\u200b", "é"]}
    text = edit_text(current, SERDE)
    assert "\x9b" not in text and "\u202e" not in text and "\u200b" not in text
    assert "\\u009b31m\\u202eevil\\u200b" in text and "é" in text  # plain letters stay readable
    assert json.loads(text)["log"] == current["log"]
    with pytest.raises(EditError, match="nothing changed"):
        plan_edit(FIELDS, current, text, SERDE)


def test_a_message_typed_in_without_an_id_is_appended() -> None:
    data = json.loads(edit_text(CURRENT, SERDE))
    data["messages"].append({"__retrace__": "message", "type": "human", "fields": {"content": "and 2 + 2?"}})
    plan = plan_edit(FIELDS, CURRENT, json.dumps(data), SERDE)
    (added,) = plan.update["messages"]
    assert isinstance(added, HumanMessage) and added.content == "and 2 + 2?" and added.id
    assert [m.content for m in add_messages(CURRENT["messages"], plan.update["messages"])] == ["hi", "hello", "and 2 + 2?"]
