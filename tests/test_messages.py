"""Message types, ``convert_to_message``, the ``add_messages`` reducer and ``MessagesState``."""

from __future__ import annotations

import copy
import typing
import uuid

import pytest

from engine.graph.message import MessagesState
from engine.graph.message import add_messages as reexported_add_messages
from engine.messages import (
    REMOVE_ALL_MESSAGES,
    AIMessage,
    AnyMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
    add_messages,
    convert_to_message,
)


def test_constructors_take_content_positionally_or_by_keyword():
    assert HumanMessage("hi") == HumanMessage(content="hi")
    assert HumanMessage("hi", id="1").id == "1"
    assert AIMessage("x").tool_calls == []
    assert ToolMessage("42", tool_call_id="c1").tool_call_id == "c1"
    removal = RemoveMessage("m1")
    assert (removal.id, removal.content, removal.type) == ("m1", "", "remove")
    with pytest.raises(TypeError):
        ToolMessage("42")  # tool_call_id is required


def test_type_strings_and_equality():
    assert [c.type for c in (HumanMessage, AIMessage, SystemMessage, ToolMessage)] == [
        "human", "ai", "system", "tool",
    ]
    assert HumanMessage("a") != SystemMessage("a")


def test_repr_leaves_out_defaults():
    assert repr(HumanMessage("hi")) == "HumanMessage(content='hi')"
    calls = [{"name": "f", "args": {}, "id": "c"}]
    assert repr(AIMessage("", id="a", tool_calls=calls)) == (
        f"AIMessage(content='', id='a', tool_calls={calls!r})"
    )


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ("hello", HumanMessage("hello")),
        (("user", "hi"), HumanMessage("hi")),
        (["human", "hi"], HumanMessage("hi")),
        (("assistant", "yo"), AIMessage("yo")),
        (("ai", "yo"), AIMessage("yo")),
        (("system", "be nice"), SystemMessage("be nice")),
        ({"role": "user", "content": "hi", "id": "1", "name": "ann"},
         HumanMessage("hi", id="1", name="ann")),
        ({"type": "ai", "content": None, "tool_calls": [{"name": "f", "args": {}, "id": "c"}]},
         AIMessage("", tool_calls=[{"name": "f", "args": {}, "id": "c"}])),
        ({"role": "tool", "content": "42", "tool_call_id": "c"},
         ToolMessage("42", tool_call_id="c")),
        ({"role": "remove", "id": "m1"}, RemoveMessage("m1")),
        ({"role": "user", "content": [{"type": "text", "text": "hi"}]},
         HumanMessage([{"type": "text", "text": "hi"}])),
    ],
)
def test_convert_to_message_forms(obj, expected):
    assert convert_to_message(obj) == expected


def test_convert_to_message_returns_messages_as_is():
    message = AIMessage("x")
    assert convert_to_message(message) is message


@pytest.mark.parametrize(
    ("obj", "needle"),
    [
        (42, "int"),
        (("wizard", "hi"), "unknown message role 'wizard'"),
        (("user", "hi", "extra"), "(role, content) pair"),
        ({"content": "no role"}, "'role' (or 'type')"),
        ({"role": "tool", "content": "x"}, "tool_call_id"),
        ({"role": "remove"}, "'id'"),
        ({"role": "user", "content": 5}, "str or a list"),
        ({"role": "ai", "content": "", "tool_calls": "f"}, "tool_calls"),
    ],
)
def test_convert_to_message_errors(obj, needle):
    with pytest.raises(ValueError) as info:
        convert_to_message(obj)
    assert needle in str(info.value)


def test_add_messages_appends_and_assigns_ids():
    merged = add_messages([HumanMessage("a", id="1")], [("ai", "b"), "c"])
    assert [m.content for m in merged] == ["a", "b", "c"]
    assert [type(m) for m in merged] == [HumanMessage, AIMessage, HumanMessage]
    assert merged[0].id == "1"
    for m in merged[1:]:
        uuid.UUID(m.id)
    assert len({m.id for m in merged}) == 3


def test_add_messages_accepts_single_messages_on_either_side():
    merged = add_messages(HumanMessage("a", id="1"), AIMessage("b", id="2"))
    assert merged == [HumanMessage("a", id="1"), AIMessage("b", id="2")]


def test_add_messages_does_not_mutate_inputs():
    left = [HumanMessage("a")]
    right = [AIMessage("b"), HumanMessage("c", id="x")]
    left_before, right_before = copy.deepcopy(left), copy.deepcopy(right)
    merged = add_messages(left, right)
    assert left == left_before and right == right_before
    assert left[0].id is None and right[0].id is None
    assert merged is not left and merged[2] is right[1]


def test_add_messages_replaces_by_id_in_place():
    left = [HumanMessage("a", id="1"), AIMessage("b", id="2"), HumanMessage("c", id="3")]
    merged = add_messages(left, [AIMessage("B", id="2"), HumanMessage("d", id="4")])
    assert [(m.id, m.content) for m in merged] == [("1", "a"), ("2", "B"), ("3", "c"), ("4", "d")]


def test_add_messages_remove_message_deletes_by_id():
    left = [HumanMessage("a", id="1"), AIMessage("b", id="2")]
    assert add_messages(left, RemoveMessage("1")) == [AIMessage("b", id="2")]
    # An id added by the same update can be removed by it as well.
    assert add_messages(left, [HumanMessage("c", id="3"), RemoveMessage("3")]) == left


def test_add_messages_remove_unknown_id_raises():
    with pytest.raises(ValueError, match="'nope'"):
        add_messages([HumanMessage("a", id="1")], [RemoveMessage("nope")])


def test_add_messages_remove_all():
    left = [HumanMessage("a", id="1"), AIMessage("b", id="2")]
    merged = add_messages(left, [RemoveMessage(REMOVE_ALL_MESSAGES), HumanMessage("new", id="3")])
    assert merged == [HumanMessage("new", id="3")]


def test_add_messages_rejects_non_messages():
    with pytest.raises(ValueError):
        add_messages([], [object()])


def test_messages_state_subclass_type_hints():
    assert reexported_add_messages is add_messages

    class ChatState(MessagesState):
        user_name: str

    hints = typing.get_type_hints(ChatState, include_extras=True)
    assert hints["user_name"] is str
    messages_hint = hints["messages"]
    assert typing.get_origin(messages_hint) is typing.Annotated
    base, reducer = typing.get_args(messages_hint)
    assert base == list[AnyMessage]
    assert reducer is add_messages
