"""Which nodes made a checkpoint, in words the history pane, the state header and the CLI share."""

from __future__ import annotations

from engine.debug.model import CheckpointSummary


def nodes_that_ran(checkpoint: CheckpointSummary, *, none: str) -> str:
    """The nodes whose writes made ``checkpoint``, sorted; ``(input)`` for the checkpoint of an
    input and ``(fork)`` for the copy a replay starts from (in parentheses, so they do not read
    as nodes of those names); ``none`` if none ran."""
    if checkpoint.source in ("input", "fork"):
        return f"({checkpoint.source})"
    return ", ".join(sorted(checkpoint.writes)) or none
