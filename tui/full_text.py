"""The value viewer's text: a whole value, laid out one item per line, nested by indentation.

Small containers stay on one line; messages never do, so every field of every message (ids,
tool calls and their arguments, ``tool_call_id``) can be read in the viewer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from engine.messages import BaseMessage
from tui.value_format import TYPE_KEY, brackets, has_children, inline, ordered

__all__ = ["MAX_FULL_CHARS", "full_text"]

MAX_FULL_CHARS = 200_000
"""The value viewer shows at most this many characters."""


class _Full(Exception):
    """Raised once the text holds :data:`MAX_FULL_CHARS` characters."""


class _Writer:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def put(self, piece: str) -> None:
        self.parts.append(piece)
        self.length += len(piece)
        if self.length > MAX_FULL_CHARS:
            raise _Full


def _message_fields(message: BaseMessage) -> Iterator[tuple[str, Any]]:
    """Every field, empty ones too: a missing id or name is worth seeing."""
    yield "type", message.type
    for field in dataclasses.fields(message):
        yield field.name, getattr(message, field.name)


def _items(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, BaseMessage):
        yield from _message_fields(value)
    elif isinstance(value, dict):
        items = ((k, v) for k, v in value.items() if k != TYPE_KEY)
        yield from ((k if isinstance(k, str) else inline(k, 40), v) for k, v in items)
    else:
        yield from ((str(i), v) for i, v in enumerate(ordered(value)))


def _holds_message(value: Any) -> bool:
    """Only asked of values whose one-line preview is short, so the walk is short too."""
    if isinstance(value, BaseMessage):
        return True
    return has_children(value) and any(_holds_message(item) for _, item in _items(value))


def _pretty(value: Any, indent: int, out: _Writer, width: int) -> None:
    pad = "  " * indent
    if isinstance(value, str):
        # Whole up to what the viewer shows; continuation lines stay under their key.
        out.put('"' + value[: MAX_FULL_CHARS - out.length + 1].replace("\n", f"\n{pad}  ") + '"')
        return
    one_line = inline(value, width)
    fits = not one_line.endswith("…") and len(one_line) + len(pad) <= width
    if not has_children(value) or (fits and not _holds_message(value)):
        out.put(one_line)
        return
    opening, close = brackets(value)
    out.put(opening)
    for key, item in _items(value):
        out.put(f"\n{pad}  {key}: ")
        _pretty(item, indent + 1, out, width)
    out.put(f"\n{pad}{close}")


def full_text(value: Any, width: int = 100) -> str:
    """The whole value as multi-line text for the value viewer.

    A string is shown as itself (its newlines are line breaks; an empty one as ``""``); anything
    else is laid out one item per line. Cut after :data:`MAX_FULL_CHARS` characters.
    """
    if isinstance(value, str):
        text = value[: MAX_FULL_CHARS + 1] or '""'
    else:
        out = _Writer()
        try:
            _pretty(value, 0, out, width)
        except (_Full, RecursionError):
            text = "".join(out.parts)[:MAX_FULL_CHARS]
            return text + f"\n… cut here: the value is longer than {MAX_FULL_CHARS:,} characters laid out"
        text = "".join(out.parts)
    if isinstance(value, str) and len(value) > MAX_FULL_CHARS:
        text = text[:MAX_FULL_CHARS] + f"\n… cut: {len(value) - MAX_FULL_CHARS:,} more characters"
    elif len(text) > MAX_FULL_CHARS:
        text = text[:MAX_FULL_CHARS] + f"\n… cut: {len(text) - MAX_FULL_CHARS:,} more characters"
    return text
