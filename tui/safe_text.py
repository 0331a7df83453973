"""Untrusted strings as literal text: no markup, control and escape characters made visible."""

from __future__ import annotations

import unicodedata

from rich.text import Text

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_control(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control or format character (ESC, BEL, bidi overrides, ...) written as
    a visible escape such as ``\\x1b`` or ``\\u202e``; newlines kept when ``keep_newlines``."""
    out = []
    for ch in text:
        if keep_newlines and ch == "\n":
            out.append(ch)
        elif ch in _NAMED:
            out.append(_NAMED[ch])
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") or ch == "\x7f":
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def literal(text: object, style: str = "", *, keep_newlines: bool = False) -> Text:
    """A Rich ``Text`` showing ``str(text)`` exactly: never parsed as markup, controls escaped."""
    return Text(escape_control(str(text), keep_newlines=keep_newlines), style=style)
