"""How a decoded checkpoint value reads in the debugger: one-line previews and children.

Pure functions over plain data (no widgets), so they are cheap to test and never touch the
database. Values are whatever :class:`~engine.checkpoint.serde.JsonSerializer` decodes: JSON
types, tuples, sets, bytes, dates, ``engine.messages`` messages, and ``{"__type__": ...}``
mappings for classes the reader does not know. Previews stop early, so a list of 100,000 items
costs no more to label than a short one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from engine.checkpoint.serde import Undecodable
from engine.messages import AIMessage, BaseMessage, ToolMessage
from tui.safe_text import clip

__all__ = [
    "MAX_CHILDREN",
    "brackets",
    "child_count",
    "children",
    "format_time",
    "has_children",
    "inline",
    "message_role",
    "ordered",
    "size_hint",
    "tool_call_text",
    "unreadable_text",
]

MAX_CHILDREN = 500
"""A tree node lists at most this many children; the value viewer shows the rest."""

TYPE_KEY = "__type__"


class _Full(Exception):
    """Raised inside :func:`inline` once the preview is long enough."""


def _scalar(value: Any, limit: int = 1000) -> str | None:
    """One-line text of a scalar (None: not a scalar); a string's first ``limit`` characters."""
    if value is None or isinstance(value, (bool, int, float, Decimal)):
        return repr(value) if not isinstance(value, Decimal) else str(value)
    if isinstance(value, str):
        return f'"{value[:limit]}"'
    if isinstance(value, (bytes, bytearray)):
        return repr(bytes(value))
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (dt.timedelta, uuid.UUID)):
        return str(value)
    if isinstance(value, Undecodable):
        return unreadable_text(value)
    return None


def unreadable_text(value: Undecodable) -> str:
    """``⚠ unreadable: too large to read (52,428,800 bytes); starts: {"type": ...``."""
    text = f"⚠ unreadable: {value.reason}"
    return f"{text}; starts: {value.preview}" if value.preview else text


def message_role(message: BaseMessage) -> str:
    """``human``, ``ai``, ``tool (add)``: the role, and the tool's name for a tool result."""
    if isinstance(message, ToolMessage) and message.name:
        return f"{message.type} ({message.name})"
    return message.type


def tool_call_text(call: Any, limit: int = 80) -> str:
    """``add(a=10.0, b=20.0)`` for a tool call ``{"name": "add", "args": {...}}``."""
    if not isinstance(call, dict):
        return inline(call, limit)
    args = call.get("args")
    if isinstance(args, dict):
        inner = ", ".join(f"{k}={inline(v, limit)}" for k, v in args.items())
    else:
        inner = "" if args is None else inline(args, limit)
    return clip(f"{call.get('name', '?')}({inner})", limit)


def _message_inline(message: BaseMessage) -> str:
    text = f"{message_role(message)}: {_scalar(message.content, 200) or inline(message.content)}"
    if isinstance(message, AIMessage) and isinstance(message.tool_calls, list) and message.tool_calls:
        calls = ", ".join(tool_call_text(c) for c in message.tool_calls)
        text = f"{message_role(message)}: → {calls}" if not message.content else f"{text} → {calls}"
    return text


def _emit(value: Any, out: list[str], state: list[int], budget: int) -> None:
    def put(piece: str) -> None:
        out.append(piece)
        state[0] += len(piece)
        if state[0] > budget:
            raise _Full

    scalar = _scalar(value, budget + 1)
    if scalar is not None:
        put(scalar)
    elif isinstance(value, BaseMessage):
        put(_message_inline(value))
    elif isinstance(value, dict):
        opening, closing = brackets(value)
        sep = "=" if TYPE_KEY in value else ": "
        put(opening)
        for i, (key, item) in enumerate((k, v) for k, v in value.items() if k != TYPE_KEY):
            put(("" if i == 0 else ", ") + (key if isinstance(key, str) else inline(key)) + sep)
            _emit(item, out, state, budget)
        put(closing)
    elif isinstance(value, (list, tuple, set, frozenset)):
        opening, closing = brackets(value)
        put(opening)
        for i, item in enumerate(ordered(value)):
            put("" if i == 0 else ", ")
            _emit(item, out, state, budget)
        put(closing)
    else:
        put(repr(value))


def brackets(value: Any) -> tuple[str, str]:
    """How a container opens and closes: ``Point(`` and ``)`` for a typed mapping or a message,
    ``{}`` for a mapping or set, ``[]`` for a list, ``()`` for a tuple."""
    if isinstance(value, BaseMessage):
        return f"{type(value).__name__}(", ")"
    if isinstance(value, dict) and TYPE_KEY in value:
        return f"{str(value[TYPE_KEY]).rsplit('.', 1)[-1]}(", ")"
    return {list: ("[", "]"), tuple: ("(", ")")}.get(type(value), ("{", "}"))


def ordered(value: Any) -> Any:
    """The items of a collection in a stable order (sets sorted by their repr)."""
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)  # stable order for sets of anything
    return value


def inline(value: Any, limit: int = 100) -> str:
    """A one-line preview of ``value``, at most ``limit`` characters (``…`` when cut).

    Newlines and control characters are left in; the caller makes the text literal with
    :func:`tui.safe_text.literal`, which escapes them.
    """
    out: list[str] = []
    try:
        _emit(value, out, [0], limit)
    except _Full:
        pass
    except RecursionError:
        out.append("…")
    return clip("".join(out), limit)


def size_hint(value: Any) -> str:
    """``3 items``, ``2 keys``, ``1,204 chars``: how big a value is, for labels."""
    if isinstance(value, str):
        return f"{len(value):,} chars"
    if isinstance(value, (dict, list, tuple, set, frozenset)):
        n = child_count(value)
        return f"{n:,} {'key' if isinstance(value, dict) else 'item'}{'s' * (n != 1)}"
    return ""


def has_children(value: Any) -> bool:
    """True when a tree node for ``value`` can be expanded."""
    if isinstance(value, BaseMessage):
        return True
    if isinstance(value, dict):
        return any(k != TYPE_KEY for k in value)
    return isinstance(value, (list, tuple, set, frozenset)) and len(value) > 0


LARGE_LIST = 20
"""A list longer than this opens folded in the state tree, its newest (last) items first."""


def children(value: Any, *, newest_first: bool = False) -> Iterator[tuple[str, Any]]:
    """The (label, value) pairs under ``value`` in the tree; at most :data:`MAX_CHILDREN`
    (with ``newest_first``, a list's last ones, last first; labels stay their indices)."""
    if isinstance(value, BaseMessage):
        items: list[tuple[str, Any]] = [("content", value.content)]
        for name in ("name", "id", "tool_calls", "tool_call_id"):
            field_value = getattr(value, name, None)
            if field_value:
                items.append((name, field_value))
        yield from items
    elif isinstance(value, dict):
        count = 0
        for key, item in value.items():
            if key == TYPE_KEY:
                continue
            if count == MAX_CHILDREN:
                return
            count += 1
            yield (key if isinstance(key, str) else inline(key, 40)), item
    elif isinstance(value, (list, tuple)) and newest_first:
        for i in range(len(value) - 1, max(-1, len(value) - 1 - MAX_CHILDREN), -1):
            yield str(i), value[i]
    elif isinstance(value, (list, tuple, set, frozenset)):
        for i, item in enumerate(ordered(value)):
            if i == MAX_CHILDREN:
                return
            yield str(i), item


def child_count(value: Any) -> int:
    if isinstance(value, BaseMessage):
        return len(list(children(value)))
    if isinstance(value, dict):
        return len(value) - (TYPE_KEY in value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return len(value)
    return 0


def format_time(iso: str | None, *, date: bool = True) -> str:
    """``2026-11-21 07:35:30`` (or ``07:35:30.996`` without the date) from an ISO 8601 string.

    Times stay in the zone they were stored in (UTC for retrace); text that is not a timestamp
    comes back unchanged.
    """
    if not iso:
        return ""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if date:
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def format_duration(ms: float | None) -> str:
    """``"<1 ms"``, ``"340 ms"``, ``"2.4 s"``, ``"3m 05s"`` from milliseconds ("" for None)."""
    if ms is None:
        return ""
    if ms < 1:
        return "<1 ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    minutes, seconds = divmod(int(ms // 1000), 60)
    return f"{minutes}m {seconds:02d}s"
