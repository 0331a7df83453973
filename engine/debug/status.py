"""Where a thread stands relative to one of its checkpoints: the rules the debugger shows.

Plain functions over the read model (:mod:`engine.debug.model`), for the TUI and the CLI.
"""

from __future__ import annotations

from engine.debug.model import CheckpointSummary, ThreadSummary

__all__ = ["failed_after", "is_latest", "unfinished_after"]


def is_latest(thread: ThreadSummary, checkpoint: CheckpointSummary) -> bool:
    """True when ``checkpoint`` is the thread's newest: where the run stopped."""
    return checkpoint.checkpoint_id == thread.latest_checkpoint_id


def failed_after(thread: ThreadSummary, checkpoint: CheckpointSummary) -> bool:
    """True when ``checkpoint`` is the last one of a failed thread: the step after it failed."""
    return thread.status == "error" and is_latest(thread, checkpoint)


def unfinished_after(thread: ThreadSummary, checkpoint: CheckpointSummary) -> bool:
    """True when the step after ``checkpoint`` did not complete (failed, interrupted or stopped),
    so the writes recorded against it are pending ones."""
    return thread.status in ("error", "interrupted", "pending") and is_latest(thread, checkpoint)
