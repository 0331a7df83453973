"""Editing a checkpoint's state as JSON: the text to edit, and the update that makes it so.

A person edits the channel values as a whole ("the messages should read like this"), but
``update_state`` feeds values through reducers ("add this to the messages"). :func:`plan_edit`
turns the first into the second: it writes only the channels that changed, and for a channel
with a reducer it finds the write that, through that reducer, gives exactly the edited value
(for ``add_messages``: the changed and new messages by id, plus removals; for a list reducer:
the appended items), and refuses when there is none. Nothing here writes.

The JSON is the checkpoint serializer's own (tagged objects such as
``{"__retrace__": "message", ...}``), so what is saved is what was shown, typed.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.checkpoint.serde import TAG, JsonSerializer, Undecodable
from engine.errors import EngineError, InvalidUpdateError, SerializationError
from engine.messages import (
    REMOVE_ALL_MESSAGES,
    BaseMessage,
    RemoveMessage,
    add_messages,
)
from engine.pregel.schema import StateField
from engine.pregel.validate import check_update_types

__all__ = ["EditError", "EditPlan", "edit_text", "plan_edit"]


class EditError(EngineError):
    """An edit that cannot be saved; nothing was written.

    Attributes:
        line: the 1-based line of the edited text the problem is on, when there is one.
        channel: the channel it is about, when there is one.
    """

    def __init__(self, message: str, *, line: int | None = None, channel: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.channel = channel


@dataclass(frozen=True)
class EditPlan:
    """The update to pass to ``update_state``: ``{channel: write}``, and the channels it changes."""

    update: dict[str, Any]
    changed: tuple[str, ...]


def _canonical(serde: JsonSerializer, value: Any) -> str:
    return json.dumps(json.loads(serde.dumps(value)), sort_keys=True)


def _tagged(serde: JsonSerializer, value: Any) -> Any:
    """``value`` as the serializer's JSON; a placeholder shows as an ``undecodable`` tag."""
    if isinstance(value, Undecodable):
        return {TAG: "undecodable", "reason": value.reason, "preview": value.preview}
    if isinstance(value, dict):
        return {k: _tagged(serde, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tagged(serde, v) for v in value]
    try:
        return json.loads(serde.dumps(value))
    except SerializationError:
        return {TAG: "undecodable", "reason": "retrace cannot write this value back", "preview": repr(value)[:200]}


def edit_text(values: Mapping[str, Any], serde: JsonSerializer) -> str:
    """The editor's starting text: ``{channel: value}`` as indented JSON in the serializer's
    tagged form. A value the reader could not decode shows as ``{"__retrace__": "undecodable",
    ...}`` and can be left as it is, but not saved back."""
    text = json.dumps({k: _tagged(serde, v) for k, v in values.items()}, indent=2, ensure_ascii=False)
    # Characters a terminal may act on (C1 controls, bidi overrides, zero-width marks) only
    # occur inside JSON strings here: \u-escaped they stay the same JSON, and stay inert.
    return _invisible().sub(lambda m: json.dumps(m.group())[1:-1], text)


@functools.cache
def _invisible() -> re.Pattern[str]:
    """C1 controls, format characters, line/paragraph separators, private use (built once, on
    the first edit, not when the debugger starts)."""
    return re.compile(
        "[" + "".join(
            re.escape(chr(c)) for c in range(0x80, 0x10000)
            if unicodedata.category(chr(c)) in ("Cc", "Cf", "Zl", "Zp", "Co")
        ) + "]"
    )


def _line_of(text: str, channel: str) -> int | None:
    match = re.search(rf'^\s*{re.escape(json.dumps(channel))}\s*:', text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _has_placeholder(value: Any) -> bool:
    if isinstance(value, dict):
        return value.get(TAG) == "undecodable" or any(_has_placeholder(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_placeholder(v) for v in value)
    return False


def _message_writes(old: list[Any], new: list[Any]) -> list[Any]:
    """What ``add_messages`` needs to turn ``old`` into ``new``: changed and new messages by
    id, then a removal for each message that is gone."""
    by_id = {m.id: m for m in old if isinstance(m, BaseMessage)}
    kept = {m.id for m in new if isinstance(m, BaseMessage)}
    writes = [m for m in new if not isinstance(m, BaseMessage) or by_id.get(m.id) != m]
    return writes + [RemoveMessage(id=i) for i in by_id if i not in kept]


def _reducer_write(field: StateField, old: Any, new: Any, serde: JsonSerializer) -> Any:
    """The write that gives ``new`` through ``field.reducer`` from ``old``; None if none does."""
    candidates = []
    if field.reducer is add_messages and isinstance(new, list):
        candidates.append(_message_writes(old if isinstance(old, list) else [], new))
        candidates.append([RemoveMessage(id=REMOVE_ALL_MESSAGES), *new])  # reordered: replace all
    elif isinstance(old, list) and isinstance(new, list) and new[: len(old)] == old:
        candidates.append(new[len(old):])
    target = _canonical(serde, new)
    for write in candidates:
        try:
            result = field.reducer(copy.deepcopy(old), copy.deepcopy(write))
        except Exception:  # noqa: BLE001 - the user's reducer refusing is a "no", not a crash
            continue
        if _canonical(serde, result) == target:
            return write
    return None


def plan_edit(
    fields: Mapping[str, StateField], current: Mapping[str, Any], text: str, serde: JsonSerializer
) -> EditPlan:
    """The update that turns the state ``current`` into the edited ``text`` (see module doc).

    Channels left out of ``text`` are kept as they are.

    Raises:
        EditError: the text is not a JSON object (with the line), names a channel the state
            does not have, holds a malformed tagged value, keeps a placeholder of a value that
            could not be read in a channel it changes, gives a value that does not fit the
            channel's type, changes a reducer channel in a way no write can produce, or
            changes nothing.
    """
    try:
        edited = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EditError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", line=exc.lineno) from None
    if not isinstance(edited, dict):
        raise EditError("the state must be a JSON object of channel names to values", line=1)
    update: dict[str, Any] = {}
    for channel, raw in edited.items():
        line = _line_of(text, channel)
        if channel not in fields:
            raise EditError(
                f"{channel!r} is not a channel of this state (channels: {', '.join(fields)})",
                line=line, channel=channel,
            )
        old = current.get(channel)
        if channel in current and json.dumps(raw, sort_keys=True) == json.dumps(
            _tagged(serde, old), sort_keys=True
        ):
            continue  # unchanged
        if _has_placeholder(raw):
            raise EditError(
                f"{channel!r} holds a value retrace could not read; it cannot be saved back. "
                "Leave the channel as it was, or replace the whole value",
                line=line, channel=channel,
            )
        try:
            value = serde.loads(json.dumps(raw))
        except SerializationError as exc:
            raise EditError(f"{channel!r}: {exc}", line=line, channel=channel) from None
        field = fields[channel]
        if field.reducer is None:
            try:
                check_update_types(fields, [(channel, value)])
            except InvalidUpdateError as exc:
                raise EditError(str(exc).split(": ", 1)[-1], line=line, channel=channel) from None
            update[channel] = value
            continue
        if field.reducer is add_messages and isinstance(value, list):
            # A message typed in without an id gets one now, as add_messages would give it.
            value = [
                dataclasses.replace(m, id=str(uuid.uuid4())) if isinstance(m, BaseMessage) and m.id is None else m
                for m in value
            ]
        write = _reducer_write(field, old, value, serde)
        if write is None:
            name = getattr(field.reducer, "__name__", "its reducer")
            raise EditError(
                f"{channel!r} is combined by {name}, and no write gives the edited value through "
                "it; for a list, edit by appending items at the end",
                line=line, channel=channel,
            )
        update[channel] = write
    if not update:
        raise EditError("nothing changed: edit a value, then save")
    return EditPlan(update, tuple(update))
