"""Untrusted strings as literal text: no markup, control and escape characters made visible.

Everything read from a checkpoint database, and every error message that can quote it, goes
through here before it reaches a widget or the terminal. Rich and Textual parse console markup in
plain ``str`` cells, labels and titles, and a terminal acts on escape sequences, so a thread id
like ``"[bold]x[/]"`` or ``"\\x1b[2J"`` must arrive as a :class:`rich.text.Text` (never parsed)
with its control characters spelled out. A backslash is shown doubled, so a real ESC (``\\x1b``)
and the four characters ``\\x1b`` look different. Work is bounded by what is shown: text is cut
to ``limit`` before it is escaped, so a 50 MB value costs no more than a short one.
"""

from __future__ import annotations

import unicodedata
from typing import TypeVar

from rich.text import Text

__all__ = ["MAX_SHOWN", "clip", "escape_control", "literal"]

TextT = TypeVar("TextT", str, Text)

MAX_SHOWN = 200_000
"""Characters shown of one string at the most (the value viewer's limit); the rest is cut."""

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
# Control, format (bidi overrides, zero-width), surrogate, private-use, unassigned, and the
# line/paragraph separators some terminals treat as line breaks.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escape_control(text: str, *, keep_newlines: bool = False, limit: int = MAX_SHOWN) -> str:
    """``text`` with every control or format character (ESC, BEL, bidi overrides, ...) written as
    a visible escape such as ``\\x1b`` or ``\\u202e``, and ``\\`` as ``\\\\``; newlines kept when
    ``keep_newlines``. At most ``limit`` characters come back (cut ones end in ``…``), and only
    about that many are looked at."""
    cut = len(text) > limit
    if cut:
        text = text[:limit]
    if text.isprintable() and "\\" not in text:  # the common case: nothing to escape
        return clip(text + "…", limit) if cut else text
    out = []
    size = 0
    for ch in text:
        if keep_newlines and ch == "\n":
            piece = ch
        elif ch in _NAMED:
            piece = _NAMED[ch]
        elif unicodedata.category(ch) in _ESCAPED_CATEGORIES:
            piece = _escape(ch)
        else:
            piece = ch
        out.append(piece)
        size += len(piece)
        if size > limit:
            cut = True
            break
    shown = "".join(out)
    return clip(shown + "…", limit) if cut else shown


def clip(text: TextT, limit: int) -> TextT:
    """``text`` (a string, or styled text) if it has at most ``limit`` characters, else its start
    ending in ``…``."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def literal(text: object, style: str = "", *, keep_newlines: bool = False, limit: int | None = None) -> Text:
    """A Rich ``Text`` showing ``str(text)`` exactly: never parsed as markup, controls escaped.

    Without ``keep_newlines`` the result is one line (newlines shown as ``\\n``), which is what
    table cells, tree labels and titles need. With ``limit``, text longer than that many
    characters (after escaping) is cut and ends in ``…``; without it, :data:`MAX_SHOWN`.
    """
    shown = escape_control(str(text), keep_newlines=keep_newlines, limit=limit or MAX_SHOWN)
    return Text(shown, style=style, end="")
