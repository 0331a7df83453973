"""Untrusted strings as literal text: no markup, control and escape characters made visible.

Everything read from a checkpoint database goes through here before it reaches a widget or the
terminal. Rich and Textual parse console markup in plain ``str`` cells, labels and titles, and a
terminal acts on escape sequences, so a thread id like ``"[bold]x[/]"`` or ``"\\x1b[2J"`` must
arrive as a :class:`rich.text.Text` (never parsed) with its control characters spelled out.
"""

from __future__ import annotations

import unicodedata
from typing import TypeVar

from rich.text import Text

__all__ = ["clip", "escape_control", "literal"]

TextT = TypeVar("TextT", str, Text)

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Control, format (bidi overrides, zero-width), surrogate, private-use, unassigned, and the
# line/paragraph separators some terminals treat as line breaks.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def escape_control(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control or format character (ESC, BEL, bidi overrides, ...) written as
    a visible escape such as ``\\x1b`` or ``\\u202e``; newlines kept when ``keep_newlines``."""
    if text.isprintable():  # the common case: nothing to escape
        return text
    out = []
    for ch in text:
        if keep_newlines and ch == "\n":
            out.append(ch)
        elif ch in _NAMED:
            out.append(_NAMED[ch])
        elif unicodedata.category(ch) in _ESCAPED_CATEGORIES:
            code = ord(ch)
            out.append(
                f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
            )
        else:
            out.append(ch)
    return "".join(out)


def clip(text: TextT, limit: int) -> TextT:
    """``text`` (a string, or styled text) if it has at most ``limit`` characters, else its start
    ending in ``…``."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def literal(text: object, style: str = "", *, keep_newlines: bool = False, limit: int | None = None) -> Text:
    """A Rich ``Text`` showing ``str(text)`` exactly: never parsed as markup, controls escaped.

    Without ``keep_newlines`` the result is one line (newlines shown as ``\\n``), which is what
    table cells, tree labels and titles need. With ``limit``, text longer than that many
    characters (after escaping) is cut and ends in ``…``.
    """
    shown = escape_control(str(text), keep_newlines=keep_newlines)
    return Text(shown if limit is None else clip(shown, limit), style=style, end="")
