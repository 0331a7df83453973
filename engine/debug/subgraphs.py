"""The subgraph runs of a super-step: what the debugger offers to open from a step.

A subgraph run by a task saves its checkpoints on the same thread under the checkpoint
namespace ``node:task_id`` of that task (``node`` alone for one compiled with
``checkpointer=True``), below the namespace of the graph that ran the task, levels joined by
``|`` (see :mod:`engine.pregel.subgraph`). A step's tasks are known from the pending writes
recorded against the checkpoint it started from, so the candidates are few and each is looked up
by the index: nothing is scanned, nothing named in the data is imported.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.checkpoint.base import PendingWrite
from engine.debug.model import CheckpointSummary, ThreadSummary
from engine.debug.source import CheckpointSource
from engine.debug.steps import read_step_writes

__all__ = ["SubgraphRun", "child_namespace", "subgraph_runs", "subgraph_runs_of", "subgraph_thread"]


@dataclass(frozen=True)
class SubgraphRun:
    """A subgraph one task of a step ran: the namespace its checkpoints are under, the node and
    task that ran it, how many checkpoints it saved, and ``when``: ``"ran"`` (in the step that
    made the checkpoint) or ``"next"`` (in the step after it, which has not finished: it failed
    or paused inside the subgraph)."""

    namespace: str
    node: str
    task_id: str
    checkpoints: int
    when: str


def child_namespace(namespace: str, node: str, task_id: str | None) -> str:
    """The namespace a subgraph run by task ``task_id`` of ``node`` saves under, below
    ``namespace`` (``task_id`` None: a subgraph compiled with ``checkpointer=True``)."""
    own = node if task_id is None else f"{node}:{task_id}"
    return f"{namespace}|{own}" if namespace else own


async def subgraph_runs(
    reader: CheckpointSource, checkpoint: CheckpointSummary, *, unfinished: bool = False
) -> list[SubgraphRun]:
    """The subgraph runs of the step that made ``checkpoint`` and, with ``unfinished`` (the
    thread stopped at ``checkpoint``: see :func:`engine.debug.status.unfinished_after`), of the
    step after it; in task order. ``[]`` when no task of those steps ran a subgraph.

    Raises:
        CheckpointStoreError: the database cannot be read.
    """
    step_writes = await read_step_writes(reader, checkpoint)
    next_writes = None
    if unfinished:
        next_writes = await reader.get_pending_writes(
            checkpoint.thread_id, checkpoint.checkpoint_id, checkpoint_ns=checkpoint.checkpoint_ns
        )
    return await subgraph_runs_of(reader, checkpoint, step_writes, next_writes)


async def subgraph_runs_of(
    reader: CheckpointSource,
    checkpoint: CheckpointSummary,
    step_writes: list[PendingWrite] | None,
    next_writes: list[PendingWrite] | None,
) -> list[SubgraphRun]:
    """:func:`subgraph_runs` from writes already read: the step's (:func:`read_step_writes`)
    and, for a thread stopped at ``checkpoint``, the unfinished next step's (else None)."""
    ns, thread = checkpoint.checkpoint_ns, checkpoint.thread_id
    steps = [("ran", step_writes or []), ("next", next_writes or [])]
    tasks = [(when, w.task_name, w.task_id) for when, writes in steps for w in writes]
    tasks = list(dict.fromkeys(tasks))
    candidates = {
        (when, node, task): [child_namespace(ns, node, task), child_namespace(ns, node, None)]
        for when, node, task in tasks
    }
    counts = await reader.count_checkpoints_in(thread, [c for pair in candidates.values() for c in pair])
    runs: dict[str, SubgraphRun] = {}
    for (when, node, task), pair in candidates.items():
        found = next((c for c in pair if c in counts), None)
        if found is not None and found not in runs:  # checkpointer=True: one namespace per node
            runs[found] = SubgraphRun(found, node, task, counts[found], when)
    return list(runs.values())


def subgraph_thread(parent: ThreadSummary, run: SubgraphRun, newest: CheckpointSummary | None) -> ThreadSummary:
    """The subgraph run's namespace seen as a thread, for the views that show one: its own
    checkpoint count and newest checkpoint; the parent thread's status and error when the run
    is in the step that has not finished (``run.when == "next"``), else ``"done"``."""
    unfinished = run.when == "next" and parent.status in ("error", "interrupted", "pending")
    return ThreadSummary(
        thread_id=parent.thread_id,
        checkpoint_count=run.checkpoints,
        latest_step=newest.step if newest is not None else None,
        latest_checkpoint_id=newest.checkpoint_id if newest is not None else None,
        created_at=parent.created_at,
        updated_at=newest.created_at if newest is not None else parent.updated_at,
        status=parent.status if unfinished else "done",
        error=parent.error if unfinished else None,
    )
