"""What a super-step did, from the rows a checkpoint database keeps: one owner for the rule.

A step's tasks record their writes as pending writes against the checkpoint the step started
from (the parent of the checkpoint the step made). A parent can have several children (a replay
or a fork runs its next step again), so each child keeps its own tasks: by the task ids its
metadata lists, else by node name.
"""

from __future__ import annotations

from engine.checkpoint.base import PendingWrite
from engine.debug.model import CheckpointSummary
from engine.debug.source import CheckpointSource

__all__ = ["read_step_writes", "writers_of", "writes_of_step"]


def writes_of_step(summary: CheckpointSummary, parent_writes: list[PendingWrite]) -> list[PendingWrite]:
    """The writes, among those recorded against a checkpoint's parent, of the tasks that made it.

    A parent can have several children (a replay or fork runs its next step again), so each
    child keeps its own tasks: by id when the metadata lists them, else by node name.
    """
    task_ids = summary.metadata.get("task_ids")
    if isinstance(task_ids, list):
        return [w for w in parent_writes if w.task_id in task_ids]
    return [w for w in parent_writes if w.task_name in summary.writes]


def writers_of(step_writes: list[PendingWrite]) -> dict[str, list[str]]:
    """``{channel: [node, ...]}``: which nodes of a step wrote each channel, in task order."""
    out: dict[str, list[str]] = {}
    for write in step_writes:
        nodes = out.setdefault(write.channel, [])
        if write.task_name not in nodes:
            nodes.append(write.task_name)
    return out


async def read_step_writes(reader: CheckpointSource, summary: CheckpointSummary) -> list[PendingWrite] | None:
    """What the step that made ``summary`` wrote, read from its parent's pending writes (None:
    no step made it, as for a run's input or a thread's first checkpoint).

    Raises:
        CheckpointStoreError: the database cannot be read.
    """
    if summary.parent_checkpoint_id is None or summary.source == "input":
        return None
    parent_writes = await reader.get_pending_writes(
        summary.thread_id, summary.parent_checkpoint_id, checkpoint_ns=summary.checkpoint_ns
    )
    return writes_of_step(summary, parent_writes)
