"""Commit: a super-step's result saved as one checkpoint, and a failed step recorded.

Everything the run loop writes to a checkpointer goes through :class:`Committer`, so the rules
(what metadata says, which values are stored, how a failure is recorded) have one owner.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from engine.channels import BaseChannel
from engine.checkpoint.base import (
    BaseCheckpointSaver,
    Checkpoint,
    PendingWrite,
    RunnableConfig,
    StepRecord,
    checkpoint_config,
    config_checkpoint_ns,
    config_thread_id,
)
from engine.constants import ERROR_CHANNEL
from engine.errors import SerializationError
from engine.pregel.algo import Task, checkpoint_values, next_version
from engine.pregel.pending import error_info, one_error_per_task, writes_of_tasks
from engine.pregel.runtime import RunEnv
from engine.pregel.spec import GraphSpec
from engine.pregel.timing import step_timing


def step_metadata(
    spec: GraphSpec, source: str, step: int, tasks: Sequence[Task], *, edited_as: str | None = None,
    graph_ref: str | None = None,
) -> dict[str, Any]:
    """A checkpoint's metadata: ``{"source", "step", "parents", "writes": {node: [key, ...]},
    "task_ids": [...], "warnings"?: [str, ...], "duration_ms"?: float, "retries"?: int,
    "subgraphs"?: [namespace, ...], "edited_as"?: node, "graph"?: "module:attr"}``
    (``warnings``: what the step's tasks did that LangGraph lets pass, e.g. a dropped key;
    ``duration_ms``: the step's time from its first task's start to its last task's end, see
    :func:`~engine.pregel.timing.step_timing`; ``retries``: attempts of the step's tasks that
    failed and were run again; ``subgraphs``: the checkpoint namespaces the step's subgraph runs
    saved under, in task order. LangGraph keeps none of these)."""
    metadata: dict[str, Any] = {
        "source": source,
        "step": step,
        "parents": {},
        "writes": _writes_by_node(spec, tasks),
        "task_ids": [t.id for t in tasks],
    }
    if warnings := [w for t in tasks for w in t.warnings]:
        metadata["warnings"] = warnings
    timing = step_timing(writes_of_tasks([t for t in tasks if t.attempts]))
    if timing.duration_ms is not None:
        metadata["duration_ms"] = timing.duration_ms
    if retries := sum(t.failed for t in timing.tasks):
        metadata["retries"] = retries
    if subgraphs := [ns for t in tasks for ns in t.subgraphs]:
        metadata["subgraphs"] = subgraphs
    if edited_as is not None:
        metadata["edited_as"] = edited_as
    if graph_ref is not None:
        metadata["graph"] = graph_ref
    return metadata


def _writes_by_node(spec: GraphSpec, tasks: Sequence[Task]) -> dict[str, list[str]]:
    """Node -> the state keys it wrote (several pushed tasks of one node: all their keys)."""
    writes: dict[str, set[str]] = {}
    for task in tasks:
        writes.setdefault(task.name, set()).update(spec.keys_written(task))
    return {name: sorted(keys) for name, keys in writes.items()}


DURABILITY_MODES = ("sync", "async", "exit")


class Committer:
    """Saves a run's checkpoints and failures to ``saver`` (does nothing without one).

    ``durability`` is LangGraph's argument of that name:

    - ``"sync"`` (retrace's default): :meth:`save` returns once the step's transaction has
      committed, so the next step starts only after it is on disk; a process killed at any
      point loses no finished step.
    - ``"async"`` (LangGraph's default): :meth:`save` starts the write and returns; the next
      step runs while it commits. Writes stay in order (each waits for the one before) and
      :meth:`flush` (the end of the run, a pause, a failure) waits for all of them. A value
      that cannot be saved is reported by the next save or the flush.
    - ``"exit"``: nothing is written until :meth:`flush`, which saves the run's last checkpoint
      alone (its parent: the checkpoint the run started from). The steps in between, and
      what their tasks wrote, are not kept.

    Raises:
        ValueError: an unknown ``durability``.
    """

    def __init__(
        self, spec: GraphSpec, saver: BaseCheckpointSaver | None, env: RunEnv, graph_ref: str | None,
        durability: str = "sync", parents: Mapping[str, str] | None = None,
    ) -> None:
        if durability not in DURABILITY_MODES:
            raise ValueError(f"durability must be one of {', '.join(map(repr, DURABILITY_MODES))}, not {durability!r}")
        self.spec = spec
        self.saver = saver
        self.env = env
        self.graph_ref = graph_ref
        self.durability = durability
        self.parents = dict(parents or {})
        self._writing: asyncio.Task[Any] | None = None
        self._deferred: tuple[RunnableConfig, StepRecord, set[str]] | None = None
        """``"exit"``: the first deferred step's parent, the latest record, every channel
        changed since."""

    def metadata(self, source: str, step: int, tasks: Sequence[Task], edited_as: str | None = None) -> dict[str, Any]:
        """The metadata :meth:`save` gives a checkpoint (see :func:`step_metadata`)."""
        metadata = step_metadata(self.spec, source, step, tasks, edited_as=edited_as, graph_ref=self.graph_ref)
        metadata["parents"] = dict(self.parents)
        return metadata

    async def save(
        self,
        parent: RunnableConfig,
        *,
        checkpoint_id: str,
        source: str,
        step: int,
        tasks: Sequence[Task],
        channels: Mapping[str, BaseChannel],
        versions: dict[str, str],
        versions_seen: dict[str, dict[str, str]],
        changed: set[str],
        next_nodes: tuple[str, ...],
        edited_as: str | None = None,
        sends: Sequence[Any] = (),
    ) -> RunnableConfig | None:
        """Save one checkpoint on top of ``parent``; return its config (None without a saver).

        Raises:
            SerializationError: a task wrote a value that cannot be stored (the step is recorded
                as failed first, naming the node).
        """
        # A reducer channel starts with a default ([] for a list) that no write gave a version;
        # version it once, so the stored checkpoint shows the same values get_state does.
        for name in self.spec.fields:
            if name not in versions and channels[name].is_available():
                versions[name] = next_version(None, checkpoint_id)
                changed = changed | {name}
        if self.saver is None:
            return None
        record = StepRecord(
            checkpoint=Checkpoint(
                id=checkpoint_id,
                ts=self.env.now(),
                channel_values=checkpoint_values(channels),
                channel_versions=dict(versions),
                versions_seen=copy.deepcopy(versions_seen),
                pending_sends=list(sends),
            ),
            metadata=self.metadata(source, step, tasks, edited_as),
            next=next_nodes,
            new_versions={c: versions[c] for c in changed if c in versions},
            task_writes=writes_of_tasks(tasks),
        )
        config = checkpoint_config(config_thread_id(parent), config_checkpoint_ns(parent), checkpoint_id)
        if self.durability == "exit":
            first, _, before = self._deferred or (parent, record, set())
            self._deferred = (first, record, before | set(record.new_versions))
            return config
        if self.durability == "async":
            previous = self._writing

            async def write() -> None:
                if previous is not None:
                    await previous  # in order; a failed write stops the ones after it
                await self._store(parent, record)

            self._writing = asyncio.ensure_future(write())
            return config
        return await self._store(parent, record)

    async def flush(self) -> None:
        """Wait for the writes started by ``"async"`` saves, or write ``"exit"``'s deferred
        checkpoint. Raises what a write raised."""
        if self._deferred is not None:
            first, record, changed = self._deferred
            self._deferred = None
            versions = record.checkpoint.channel_versions
            record = dataclasses.replace(
                record, task_writes=(), new_versions={c: versions[c] for c in changed if c in versions}
            )
            await self._store(first, record)
        if self._writing is not None:
            writing, self._writing = self._writing, None
            await writing

    async def _store(self, parent: RunnableConfig, record: StepRecord) -> RunnableConfig:
        assert self.saver is not None
        try:
            return await self.saver.aput_step(parent, record)
        except SerializationError as exc:
            culprit = next((w for w in record.task_writes if self._unstorable(w.value) is not None), None)
            if culprit is None:
                raise
            error = SerializationError(
                f"node {culprit.task_name!r} wrote a value to {culprit.channel!r} that cannot be "
                f"saved: {exc}"
            )
            await self.fail(parent, error, record.task_writes, culprit.task_name)
            raise error from exc

    def _unstorable(self, value: Any) -> SerializationError | None:
        assert self.saver is not None
        try:
            self.saver.serde.dumps(value)
        except SerializationError as exc:
            return exc
        return None

    async def fail(
        self, at: RunnableConfig, exc: BaseException, writes: Sequence[PendingWrite], node: str | None = None
    ) -> None:
        """Record a failed step: what finished as pending writes against ``at``, the error on the
        thread. A write that cannot be saved becomes its task's error; a failure to record never
        hides ``exc`` (it is added to ``exc``'s notes)."""
        if self.saver is None:
            return
        try:
            await self.flush()
        except Exception as save_exc:
            exc.add_note(f"retrace could not save an earlier step of this run: {save_exc!r}")
        storable = []
        for write in writes:
            problem = self._unstorable(write.value)
            storable.append(
                write if problem is None
                else PendingWrite(
                    write.task_id, write.task_name, ERROR_CHANNEL, error_info(problem, write.task_name), -1
                )
            )
        try:
            await self.saver.arecord_error(at, error_info(exc, node), one_error_per_task(storable), at=self.env.now())
        except Exception as save_exc:
            exc.add_note(f"retrace could not record this failure in the checkpointer: {save_exc!r}")

    async def keep_finished(self, at: RunnableConfig, tasks: Sequence[Task]) -> None:
        """Record what finished tasks of an interrupted (cancelled) step wrote, against ``at``."""
        await self.put_writes(at, writes_of_tasks(tasks))

    async def put_writes(self, at: RunnableConfig, writes: Sequence[PendingWrite]) -> None:
        """Record pending writes against ``at`` (after the saves before them)."""
        if self.saver is not None:
            await self.flush()
            await self.saver.aput_writes(at, writes)

    async def record_interrupt(self, at: RunnableConfig) -> None:
        """Mark the thread ``interrupted`` at ``at`` (after the saves before it)."""
        if self.saver is not None:
            await self.flush()
            await self.saver.arecord_interrupt(at, at=self.env.now())
