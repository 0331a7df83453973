"""Chat message types and the ``add_messages`` reducer.

Our own stand-in for ``langchain_core.messages``: plain dataclasses with the same names, the
same ``type`` strings and the same merge rules, so graphs written for LangGraph's
``MessagesState`` run unchanged without pulling in langchain.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = [
    "REMOVE_ALL_MESSAGES",
    "AIMessage",
    "AnyMessage",
    "BaseMessage",
    "HumanMessage",
    "MessageLike",
    "Messages",
    "RemoveMessage",
    "SystemMessage",
    "ToolMessage",
    "add_messages",
    "convert_to_message",
]

REMOVE_ALL_MESSAGES = "__remove_all__"
"""Id of a ``RemoveMessage`` that clears the whole history (same as LangGraph's constant)."""


@dataclass(repr=False)
class BaseMessage:
    """One chat message.

    ``content`` is positional, every other field keyword-only: ``HumanMessage("hi")`` and
    ``HumanMessage(content="hi", id="m1")`` both work.

    Attributes:
        content: the text, or a list of content blocks (multimodal messages).
        id: unique id within a conversation; ``add_messages`` assigns one when missing.
        name: optional speaker name.
        type: class-level role string (``"human"``, ``"ai"``, ``"system"``, ``"tool"``,
            ``"remove"``), the same strings langchain uses.
    """

    type: ClassVar[str] = "base"

    content: str | list
    id: str | None = field(default=None, kw_only=True)
    name: str | None = field(default=None, kw_only=True)

    def __repr__(self) -> str:
        # Leave out fields still at their default so histories stay readable in the debugger.
        parts = [f"content={self.content!r}"]
        for f in dataclasses.fields(self)[1:]:
            value = getattr(self, f.name)
            has_factory = f.default_factory is not dataclasses.MISSING
            if value != (f.default_factory() if has_factory else f.default):
                parts.append(f"{f.name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


@dataclass(repr=False)
class HumanMessage(BaseMessage):
    """A message from the user."""

    type: ClassVar[str] = "human"


@dataclass(repr=False)
class AIMessage(BaseMessage):
    """A message from the model.

    Attributes:
        tool_calls: tools the model asked for, each ``{"name": str, "args": dict, "id": str}``.
    """

    type: ClassVar[str] = "ai"

    tool_calls: list[dict] = field(default_factory=list, kw_only=True)


@dataclass(repr=False)
class SystemMessage(BaseMessage):
    """Instructions for the model."""

    type: ClassVar[str] = "system"


@dataclass(repr=False)
class ToolMessage(BaseMessage):
    """The result of one tool call.

    Attributes:
        tool_call_id: the ``id`` of the ``AIMessage.tool_calls`` entry this answers (required).
    """

    type: ClassVar[str] = "tool"

    tool_call_id: str = field(kw_only=True)


@dataclass(init=False, repr=False)
class RemoveMessage(BaseMessage):
    """Tells ``add_messages`` to delete the message with this id: ``RemoveMessage("m1")``.

    ``RemoveMessage(REMOVE_ALL_MESSAGES)`` deletes every earlier message instead.
    """

    type: ClassVar[str] = "remove"

    # Own __init__ because the id, not the content, is the positional argument.
    def __init__(self, id: str, *, content: str | list = "", name: str | None = None) -> None:
        super().__init__(content, id=id, name=name)


AnyMessage = HumanMessage | AIMessage | SystemMessage | ToolMessage | RemoveMessage
"""Any concrete message type; the element type of ``MessagesState["messages"]``."""

MessageLike = BaseMessage | str | tuple | list | dict
"""Anything ``convert_to_message`` accepts."""

Messages = list[MessageLike] | MessageLike
"""One message-like or a list of them: what ``add_messages`` accepts on either side."""

_ROLES: dict[str, type[BaseMessage]] = {
    "human": HumanMessage,
    "user": HumanMessage,
    "ai": AIMessage,
    "assistant": AIMessage,
    "system": SystemMessage,
    "tool": ToolMessage,
    "remove": RemoveMessage,
}

_ACCEPTED = (
    "a message object, a str (a human message), a (role, content) pair, or a dict with "
    "'role' (or 'type') and 'content'; roles are human/user, ai/assistant, system, tool, remove"
)


def convert_to_message(obj: MessageLike) -> BaseMessage:
    """Turn a message-like value into a message.

    Accepts a ``BaseMessage`` (returned as is), a ``str`` (a ``HumanMessage``), a ``(role,
    content)`` tuple or list, or a dict ``{"role" | "type": ..., "content": ..., "id"?, "name"?,
    "tool_calls"?, "tool_call_id"?}``. Roles are as in LangGraph: human/user, ai/assistant,
    system, tool, remove.

    Raises:
        ValueError: any other value, an unknown role, a tool message without ``tool_call_id``
            or a remove message without ``id``.
    """
    if isinstance(obj, BaseMessage):
        return obj
    if isinstance(obj, str):
        return HumanMessage(obj)
    if isinstance(obj, (tuple, list)):
        if len(obj) != 2 or not isinstance(obj[0], str):
            raise ValueError(f"cannot make a message from {obj!r}: expected {_ACCEPTED}")
        return _build(obj[0], {"content": obj[1]}, obj)
    if isinstance(obj, dict):
        role = obj.get("role", obj.get("type"))
        if not isinstance(role, str):
            raise ValueError(f"cannot make a message from {obj!r}: expected {_ACCEPTED}")
        return _build(role, obj, obj)
    raise ValueError(
        f"cannot make a message from a {type(obj).__name__} ({obj!r}): expected {_ACCEPTED}"
    )


def _build(role: str, data: dict, original: Any) -> BaseMessage:
    cls = _ROLES.get(role)
    if cls is None:
        raise ValueError(f"unknown message role {role!r} in {original!r}: expected {_ACCEPTED}")
    content = data.get("content")
    if content is None:  # assistant turns that only call tools often carry no content
        content = ""
    if not isinstance(content, (str, list)):
        raise ValueError(f"message content must be a str or a list, got {content!r}")
    common = {"name": data.get("name")}
    if cls is RemoveMessage:
        if data.get("id") is None:
            raise ValueError(
                f"a remove message needs the 'id' of the message to delete: {original!r}"
            )
        return RemoveMessage(data["id"], **common)
    common["id"] = data.get("id")
    if cls is ToolMessage:
        if data.get("tool_call_id") is None:
            raise ValueError(f"a tool message needs a 'tool_call_id': {original!r}")
        return ToolMessage(content, tool_call_id=data["tool_call_id"], **common)
    if cls is AIMessage:
        tool_calls = data.get("tool_calls") or []
        if not isinstance(tool_calls, list) or not all(isinstance(tc, dict) for tc in tool_calls):
            raise ValueError(f"'tool_calls' must be a list of dicts, got {tool_calls!r}")
        return AIMessage(content, tool_calls=[dict(tc) for tc in tool_calls], **common)
    return cls(content, **common)


def _with_ids(messages: Messages) -> list[BaseMessage]:
    # A bare list means "these messages"; anything else is one message (as in LangGraph).
    items = messages if isinstance(messages, list) else [messages]
    out = []
    for item in items:
        message = convert_to_message(item)
        if message.id is None:
            message = dataclasses.replace(message, id=str(uuid.uuid4()))
        out.append(message)
    return out


def add_messages(left: Messages, right: Messages) -> list[BaseMessage]:
    """Merge two message lists; the reducer of ``MessagesState["messages"]``.

    Same rules as LangGraph's ``add_messages``: both sides are converted with
    ``convert_to_message`` (a list is a list of messages; anything else is one message);
    messages without an id get a fresh ``str(uuid.uuid4())`` (on a copy, never on the caller's
    object); a message in ``right`` whose id is already in ``left`` replaces it in place; a
    ``RemoveMessage`` deletes the message with its id (``REMOVE_ALL_MESSAGES`` deletes all that
    came before it); other messages are appended in order.

    Returns:
        A new list; neither input is mutated.

    Raises:
        ValueError: a value is not message-like, or a ``RemoveMessage`` names an id that is
            not in the merged list.
    """
    merged = _with_ids(left)
    incoming = _with_ids(right)

    clear_at = None
    for i, message in enumerate(incoming):
        if isinstance(message, RemoveMessage) and message.id == REMOVE_ALL_MESSAGES:
            clear_at = i
    if clear_at is not None:
        merged, incoming = [], incoming[clear_at + 1 :]

    position = {m.id: i for i, m in enumerate(merged)}
    removed: set[str] = set()
    for message in incoming:
        index = position.get(message.id)
        if isinstance(message, RemoveMessage):
            if index is None:
                raise ValueError(
                    f"cannot remove message {message.id!r}: no message with that id exists"
                )
            removed.add(message.id)
        elif index is not None:
            merged[index] = message
            removed.discard(message.id)
        else:
            position[message.id] = len(merged)
            merged.append(message)
    return [m for m in merged if m.id not in removed]
