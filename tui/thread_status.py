"""Where a thread stands: its status mark, whether a checkpoint is where it stopped, and its error.

Plain functions over the reader's summaries, shared by the panes and the screen that reads for them.
"""

from __future__ import annotations

from engine.debug.model import CheckpointSummary, ThreadSummary

STATUS_MARKS = {"done": "✔", "error": "✖", "interrupted": "⏸", "pending": "…"}


def status_label(status: str) -> str:
    """``✔ done``, ``✖ error``: the status with its mark (``?`` for a status retrace does not know)."""
    return f"{STATUS_MARKS.get(status, '?')} {status}"


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
