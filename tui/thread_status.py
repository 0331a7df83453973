"""How a thread's status, a row's damage and a stored error read on screen: marks and words.

The rules (is a checkpoint where the run stopped? did the step after it fail?) are the debugger
core's: :mod:`engine.debug.status`.
"""

from __future__ import annotations

STATUS_MARKS = {"done": "✔", "error": "✖", "interrupted": "⏸", "pending": "…"}


def status_label(status: str) -> str:
    """``✔ done``, ``✖ error``: the status with its mark (``?`` for a status retrace does not know)."""
    return f"{STATUS_MARKS.get(status, '?')} {status}"


DAMAGED_MARK = "⚠"


def describe_damage(damage: tuple[str, ...], *, most: int = 3, what: str = "") -> str:
    """``⚠ damaged checkpoint: step is not a whole number ('x'); ...`` for a row the reader could
    not fully read (``what``: whose row): its first ``most`` problems, and how many more there are."""
    shown = "; ".join(damage[:most])
    more = f" (+{len(damage) - most} more)" if len(damage) > most else ""
    return f"{DAMAGED_MARK} damaged{' ' + what if what else ''}: {shown}{more}"


def describe_error(error: object) -> tuple[str, str, str]:
    """(type, message, `` in node X`` or "") of a stored error, whatever shape it has."""
    if not isinstance(error, dict):
        return "error", str(error), ""
    node = error.get("node")
    return str(error.get("type", "error")), str(error.get("message", "")), f" in node {node}" if node else ""
