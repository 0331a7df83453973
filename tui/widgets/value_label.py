"""One line of the state tree: a key and a preview of its value, as literal styled text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.style import Style
from rich.text import Text

from engine.checkpoint.serde import Undecodable
from engine.messages import AIMessage, BaseMessage
from tui.safe_text import literal
from tui.thread_status import describe_error
from tui.value_format import inline, message_role, size_hint, tool_call_text

StyleOf = Callable[[str], Style]
"""Looks up a style by role: ``key``, ``role``, ``muted``, ``error``."""


def value_label(key: str, value: Any, style: StyleOf, *, preview: int, error: bool = False) -> Text:
    """``key (3 items)  [a, b, c]``; a message as ``key  ai "text" → tool(args)``; an error write as
    ``error  Type: message``. At most ``preview`` characters of the value are shown."""
    label = literal(key, style=style("error" if error else "key"))
    label.append("  ")
    if isinstance(value, BaseMessage):
        label.append_text(literal(message_role(value), style=style("role")))
        if value.content:
            label.append(" ")
            label.append_text(literal(inline(value.content, preview)))
        if isinstance(value, AIMessage) and isinstance(value.tool_calls, list) and value.tool_calls:
            calls = ", ".join(tool_call_text(call) for call in value.tool_calls)
            label.append_text(literal(f" → {calls}", style=style("role"), limit=preview))
        return label
    if isinstance(value, Undecodable):
        label.append_text(literal(inline(value, preview), style=style("error")))
        return label
    if error and isinstance(value, dict):
        kind, message, _ = describe_error(value)
        label.append_text(literal(f"{kind}: {message}", style=style("error"), limit=preview))
        return label
    hint = size_hint(value)
    if hint and not isinstance(value, str):
        label.right_crop(2)
        label.append(f" ({hint})  ", style=style("muted"))
    label.append_text(literal(inline(value, preview)))
    if isinstance(value, str) and len(value) > preview:
        label.append(f"  ({hint})", style=style("muted"))
    return label
