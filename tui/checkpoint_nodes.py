"""Which nodes made a checkpoint, in words the history pane, the state header and the CLI share."""

from __future__ import annotations

from engine.checkpoint.sqlite import CheckpointSummary


def nodes_that_ran(checkpoint: CheckpointSummary, *, none: str) -> str:
    """The nodes whose writes made ``checkpoint``, sorted; ``(input)`` for the checkpoint of an
    input (in parentheses, so it does not read as a node named ``input``); ``none`` if none ran."""
    if checkpoint.source == "input":
        return "(input)"
    return ", ".join(sorted(checkpoint.writes)) or none
