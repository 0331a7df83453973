"""What changed between two checkpoints' states: per channel, then down into each value.

Pure functions over decoded values (what :class:`~engine.checkpoint.sqlite.CheckpointReader`
returns); no I/O, no UI. A channel is added, removed, changed or unchanged (unchanged ones are
only counted). Inside a changed value, mappings compare key by key, lists by position, except
that a growing list reads as items appended and a list of messages with ids is matched by id, and
long text gets a line or word diff (``difflib``). A change of type is called out as such.

Work is bounded: at most ``max_changes`` changes per channel are listed (the count of the rest
is kept), and text diffs look at no more than :data:`MAX_DIFF_CHARS` characters of a string.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from engine.checkpoint.serde import Undecodable
from engine.messages import BaseMessage

__all__ = ["MAX_DIFF_CHARS", "ChannelDiff", "StateDiff", "ValueChange", "diff_states", "diff_values"]

MAX_DIFF_CHARS = 100_000
"""Characters of each side of a text a text diff reads."""
LONG_TEXT = 80
"""Strings longer than this (or with a newline) get a text diff instead of before/after."""

ChangeKind = Literal["added", "removed", "changed", "type"]
PathItem = str | int


@dataclass(frozen=True)
class ValueChange:
    """One difference inside a channel's value.

    Attributes:
        path: keys and list indexes from the channel's value down to what changed (``()``: the
            value itself); a message in a list is addressed by its index in the newer list.
        kind: ``"added"`` / ``"removed"`` (a key, an item), ``"changed"`` (same type, another
            value) or ``"type"`` (another type: ``before`` and ``after`` hold both values).
        before, after: the old and new value (``None`` where there is none).
        text_diff: for long text, the diff's lines (``"- old"``, ``"+ new"``, ``"  same"``).
    """

    path: tuple[PathItem, ...]
    kind: ChangeKind
    before: Any = None
    after: Any = None
    text_diff: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChannelDiff:
    """How one channel differs: ``status`` and, when changed, what changed inside it.

    ``summary`` is a short phrase for a list row: ``"+2 messages"``, ``"3 keys changed"``,
    ``"int → str"``. ``more`` counts the changes left out past ``max_changes``.
    """

    channel: str
    status: Literal["added", "removed", "changed"]
    summary: str
    changes: tuple[ValueChange, ...] = ()
    more: int = 0


@dataclass(frozen=True)
class StateDiff:
    """The channels that differ (sorted by name) and how many are the same."""

    channels: tuple[ChannelDiff, ...] = ()
    unchanged: int = 0
    unchanged_names: tuple[str, ...] = field(default=(), repr=False)


def _type_name(value: Any) -> str:
    if isinstance(value, BaseMessage):
        return f"{value.type} message"
    if isinstance(value, Undecodable):
        return "unreadable value"
    return type(value).__name__


def _is_long_text(value: Any) -> bool:
    return isinstance(value, str) and (len(value) > LONG_TEXT or "\n" in value)


def text_diff(before: str, after: str) -> tuple[str, ...]:
    """Lines of a diff of two texts: by line when either has several, else by word."""
    old, new = before[:MAX_DIFF_CHARS], after[:MAX_DIFF_CHARS]
    if "\n" in old or "\n" in new:
        a, b = old.splitlines(), new.splitlines()
    else:
        a, b = old.split(" "), new.split(" ")
    return tuple(line for line in difflib.ndiff(a, b) if not line.startswith("?"))


class _Collector:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.changes: list[ValueChange] = []
        self.more = 0

    def add(self, change: ValueChange) -> None:
        if len(self.changes) < self.limit:
            self.changes.append(change)
        else:
            self.more += 1


def _message_key(message: BaseMessage) -> str | None:
    # A tool's answer is matched by the call it answers: a replay's answer to the same call is
    # that answer changed, not a message removed and another added.
    call = getattr(message, "tool_call_id", None)
    return f"tool call {call}" if call else message.id


def _message_ids(items: list) -> list[str] | None:
    """The keys matching a list's messages across two states (the id; for a tool's answer, its
    tool call id), when every message has one and they are distinct (None: not such a list)."""
    if not items or not all(isinstance(m, BaseMessage) and _message_key(m) for m in items):
        return None
    ids = [_message_key(m) for m in items]
    return ids if len(set(ids)) == len(ids) else None


def _diff(before: Any, after: Any, path: tuple[PathItem, ...], out: _Collector) -> None:
    same_kind = type(before) is type(after) or (_number(before) and _number(after))
    if before is after or (same_kind and _equal(before, after)):
        return
    if type(before) is not type(after) and not (_number(before) and _number(after)):
        out.add(ValueChange(path, "type", before, after))
    elif isinstance(before, Mapping):
        for key in before.keys() - after.keys():
            out.add(ValueChange((*path, key), "removed", before[key], None))
        for key in after:
            if key not in before:
                out.add(ValueChange((*path, key), "added", None, after[key]))
            else:
                _diff(before[key], after[key], (*path, key), out)
    elif isinstance(before, (list, tuple)):
        _diff_lists(list(before), list(after), path, out)
    elif isinstance(before, BaseMessage):
        for name in ("content", "name", "id", "tool_calls", "tool_call_id"):
            _diff(getattr(before, name, None), getattr(after, name, None), (*path, name), out)
    elif _is_long_text(before) or _is_long_text(after):
        out.add(ValueChange(path, "changed", before, after, text_diff(before, after)))
    else:
        out.add(ValueChange(path, "changed", before, after))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # a value whose __eq__ fails compares as different
        return False


def _diff_lists(before: list, after: list, path: tuple[PathItem, ...], out: _Collector) -> None:
    old_ids, new_ids = _message_ids(before), _message_ids(after)
    if old_ids is not None and new_ids is not None:
        position = {message_id: i for i, message_id in enumerate(old_ids)}
        for i, message_id in enumerate(new_ids):
            if message_id in position:
                _diff(before[position[message_id]], after[i], (*path, i), out)
            else:
                out.add(ValueChange((*path, i), "added", None, after[i]))
        kept = set(new_ids)
        for i, message_id in enumerate(old_ids):
            if message_id not in kept:
                out.add(ValueChange((*path, i), "removed", before[i], None))
        return
    common = min(len(before), len(after))
    for i in range(common):
        _diff(before[i], after[i], (*path, i), out)
    for i in range(common, len(after)):
        out.add(ValueChange((*path, i), "added", None, after[i]))
    for i in range(common, len(before)):
        out.add(ValueChange((*path, i), "removed", before[i], None))


def diff_values(before: Any, after: Any, *, max_changes: int = 200) -> tuple[list[ValueChange], int]:
    """The changes from ``before`` to ``after`` (at most ``max_changes``) and how many more."""
    out = _Collector(max_changes)
    try:
        _diff(before, after, (), out)
    except RecursionError:  # nested past what can be walked: say the whole value changed
        out.changes, out.more = [ValueChange((), "changed", before, after)], 0
    return out.changes, out.more


def _summary(before: Any, after: Any, changes: list[ValueChange], more: int) -> str:
    top = [c for c in changes if len(c.path) == 1]
    if changes and changes[0].path == () and changes[0].kind == "type":
        return f"{_type_name(before)} → {_type_name(after)}"
    if isinstance(after, list) and _message_ids(after) is not None and changes:
        added = sum(c.kind == "added" for c in top)
        removed = sum(c.kind == "removed" for c in top)
        edited = len({c.path[0] for c in changes if len(c.path) > 1})
        parts = [f"+{added} message{'s' * (added != 1)}"] if added else []
        parts += [f"-{removed} message{'s' * (removed != 1)}"] if removed else []
        parts += [f"{edited} message{'s' * (edited != 1)} changed"] if edited else []
        return ", ".join(parts)
    if isinstance(before, list) and isinstance(after, list):
        if len(after) > len(before) and all(c.kind == "added" for c in changes):
            n = len(after) - len(before)
            return f"+{n} item{'s' * (n != 1)}"
        return f"{len(before)} → {len(after)} items" if len(before) != len(after) else f"{len(changes) + more} changes"
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        keys = {c.path[0] for c in changes if c.path}
        return f"{len(keys)} key{'s' * (len(keys) != 1)} changed"
    return "changed"


def diff_states(
    before: Mapping[str, Any], after: Mapping[str, Any], *, max_changes: int = 200
) -> StateDiff:
    """How the channel values ``after`` differ from ``before`` (both ``{channel: value}``).

    Same rule as a checkpoint's parent-to-child diff in the debugger; either side may be a
    checkpoint of another branch or thread. Raises nothing for any decoded values.
    """
    channels: list[ChannelDiff] = []
    unchanged: list[str] = []
    for name in sorted(before.keys() | after.keys(), key=str):
        if name not in after:
            channels.append(ChannelDiff(name, "removed", "removed"))
        elif name not in before:
            channels.append(ChannelDiff(name, "added", "added"))
        else:
            changes, more = diff_values(before[name], after[name], max_changes=max_changes)
            if not changes:
                unchanged.append(name)
                continue
            summary = _summary(before[name], after[name], changes, more)
            channels.append(ChannelDiff(name, "changed", summary, tuple(changes), more))
    return StateDiff(tuple(channels), len(unchanged), tuple(unchanged))
