"""``InMemorySaver``: checkpoints in a process's memory, for tests and short scripts.

Values are stored serialized (same serializer as the SQLite saver), so a node that later mutates
an object it returned cannot change a saved checkpoint, and what cannot be saved to SQLite fails
here too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from engine.checkpoint.base import (
    BaseCheckpointSaver,
    Checkpoint,
    CheckpointTuple,
    PendingWrite,
    RunnableConfig,
    StepRecord,
    checkpoint_config,
    config_checkpoint_id,
    config_checkpoint_ns,
    config_thread_id,
    metadata_matches,
)
from engine.checkpoint.policy import (
    status_after,
    tracks_thread,
    values_to_store,
    writes_to_store,
)
from engine.checkpoint.serde import JsonSerializer


@dataclass
class _Stored:
    checkpoint: Checkpoint
    metadata: bytes
    parent_id: str | None
    next: tuple[str, ...]
    writes: dict[tuple[str, int], tuple[str, str, bytes]] = field(default_factory=dict)


class InMemorySaver(BaseCheckpointSaver):
    """Same role as LangGraph's ``InMemorySaver``; also records each thread's status and error."""

    def __init__(self, serde: JsonSerializer | None = None) -> None:
        self.serde = serde or JsonSerializer()
        self._checkpoints: dict[tuple[str, str], dict[str, _Stored]] = {}
        self._values: dict[tuple[str, str, str, str], bytes] = {}
        self.thread_status: dict[str, str] = {}
        self.thread_errors: dict[str, dict[str, str]] = {}

    def _tuple(self, thread_id: str, ns: str, stored: _Stored) -> CheckpointTuple:
        cp = stored.checkpoint
        values = {
            channel: self.serde.loads(self._values[(thread_id, ns, channel, version)])
            for channel, version in cp.channel_versions.items()
            if (thread_id, ns, channel, version) in self._values
        }
        writes = [
            PendingWrite(task_id, name, channel, self.serde.loads(raw), idx)
            for (task_id, idx), (name, channel, raw) in sorted(
                stored.writes.items(), key=lambda item: (item[1][0], item[0])
            )
        ]
        return CheckpointTuple(
            config=checkpoint_config(thread_id, ns, cp.id),
            checkpoint=replace(cp, channel_values=values),
            metadata=self.serde.loads(stored.metadata),
            parent_config=checkpoint_config(thread_id, ns, stored.parent_id) if stored.parent_id else None,
            next=stored.next,
            pending_writes=writes,
        )

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        thread_id, ns = config_thread_id(config), config_checkpoint_ns(config)
        checkpoints = self._checkpoints.get((thread_id, ns), {})
        checkpoint_id = config_checkpoint_id(config) or max(checkpoints, default=None)
        stored = checkpoints.get(checkpoint_id) if checkpoint_id else None
        return self._tuple(thread_id, ns, stored) if stored else None

    async def alist(
        self,
        config: RunnableConfig,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        thread_id, ns = config_thread_id(config), config_checkpoint_ns(config)
        checkpoints = self._checkpoints.get((thread_id, ns), {})
        before_id = config_checkpoint_id(before) if before else None
        ids = sorted((i for i in checkpoints if before_id is None or i < before_id), reverse=True)
        yielded = 0
        for checkpoint_id in ids:
            if limit is not None and yielded >= limit:
                return
            item = self._tuple(thread_id, ns, checkpoints[checkpoint_id])
            if metadata_matches(item.metadata, filter):
                yielded += 1
                yield item

    async def aput_step(self, config: RunnableConfig, record: StepRecord) -> RunnableConfig:
        thread_id, ns = config_thread_id(config), config_checkpoint_ns(config)
        parent_id = config_checkpoint_id(config)
        cp = record.checkpoint
        values = {
            (thread_id, ns, channel, version): self.serde.dumps(value)
            for channel, version, value in values_to_store(record)
        }
        stored = _Stored(
            checkpoint=replace(cp, channel_values={}),
            metadata=self.serde.dumps(record.metadata),
            parent_id=parent_id,
            next=tuple(record.next),
        )
        if parent_id:
            await self.aput_writes(config, writes_to_store(parent_id, record))
        for key, raw in values.items():
            self._values.setdefault(key, raw)
        self._checkpoints.setdefault((thread_id, ns), {})[cp.id] = stored
        if tracks_thread(ns):
            self.thread_status[thread_id] = status_after(record)
            self.thread_errors.pop(thread_id, None)
        return checkpoint_config(thread_id, ns, cp.id)

    async def aput_writes(self, config: RunnableConfig, writes: Sequence[PendingWrite]) -> None:
        thread_id, ns = config_thread_id(config), config_checkpoint_ns(config)
        stored = self._checkpoints.get((thread_id, ns), {}).get(config_checkpoint_id(config) or "")
        if stored is None:
            return
        for w in writes:
            stored.writes[(w.task_id, w.idx)] = (w.task_name, w.channel, self.serde.dumps(w.value))

    async def arecord_interrupt(self, config: RunnableConfig, *, at: str | None = None) -> None:
        if tracks_thread(config_checkpoint_ns(config)):
            self.thread_status[config_thread_id(config)] = "interrupted"

    async def arecord_error(
        self, config: RunnableConfig, error: dict[str, str], writes: Sequence[PendingWrite] = (),
        *, at: str | None = None,
    ) -> None:
        await self.aput_writes(config, writes)
        if not tracks_thread(config_checkpoint_ns(config)):
            return  # a subgraph's failure: its parent's failure marks the thread
        thread_id = config_thread_id(config)
        self.thread_status[thread_id] = "error"
        self.thread_errors[thread_id] = dict(error)



MemorySaver = InMemorySaver
"""LangGraph's older name for :class:`InMemorySaver`."""
