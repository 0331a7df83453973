"""The lint's findings as the debugger shows them: a short note per channel (the State tab's
marker), and the findings that predicted a step's ``InvalidUpdateError``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from engine.lint import Finding

__all__ = ["channel_notes", "conflicting_channels", "predicted_by", "short_note"]

_CONFLICT = re.compile(r"'([^']+)' was written by")


def short_note(finding: Finding) -> str:
    """``"R1: no reducer; a and b can both write it in the same super-step"``, or the message."""
    if finding.rule in ("R1", "R2") and finding.severity == "error" and finding.channel:
        who = (f"several tasks of {finding.nodes[0]} can write it" if len(finding.nodes) == 1
               else f"{' and '.join(finding.nodes)} can both write it")
        return f"{finding.rule}: no reducer; {who} in the same super-step"
    return f"{finding.rule}: {finding.message}"


def channel_notes(findings: Sequence[Finding]) -> dict[str, str]:
    """Channel -> the short note of its most severe finding (errors first, as lint sorts)."""
    notes: dict[str, str] = {}
    for finding in findings:
        if finding.channel and not finding.message.startswith("in subgraph "):
            notes.setdefault(finding.channel, short_note(finding))
    return notes


def conflicting_channels(message: str) -> set[str]:
    """The channels an ``InvalidUpdateError`` message says were written twice in one step."""
    return set(_CONFLICT.findall(message))


def predicted_by(findings: Sequence[Finding], error: Any) -> list[Finding]:
    """The error findings naming a channel that ``error`` (a thread's stored error, ``{"type",
    "message", ...}``) says was written twice in one super-step."""
    if not isinstance(error, dict) or error.get("type") != "InvalidUpdateError":
        return []
    channels = conflicting_channels(str(error.get("message", "")))
    return [f for f in findings if f.severity == "error" and f.channel in channels]
