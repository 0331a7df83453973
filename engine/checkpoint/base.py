"""Checkpoint data types and the interface every checkpoint saver implements.

A checkpoint is immutable plain data: the channel values after one super-step, the version of
every channel, which versions each node has seen, and metadata. Savers store checkpoints per
thread (``config["configurable"]["thread_id"]``) and checkpoint namespace (``""`` for the root
graph), plus the pending writes of tasks that finished in a super-step that did not complete.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from engine.checkpoint.serde import JsonSerializer
from engine.sync import iterate_sync, run_sync

RunnableConfig = dict[str, Any]
"""``{"configurable": {"thread_id": str, "checkpoint_ns": str, "checkpoint_id": str}, ...}``"""

@dataclass(frozen=True)
class Checkpoint:
    """One super-step's snapshot of every channel.

    Attributes:
        id: time-ordered id (a UUIDv7 string); sorting ids sorts checkpoints by creation.
        ts: creation time, ISO 8601 in UTC.
        channel_values: channel name -> value; channels with no value are absent.
        channel_versions: channel name -> version string; versions compare as strings.
        versions_seen: node name -> {channel name -> version it last ran on}.
        pending_sends: ``Send`` packets to run in the next super-step (empty until ``Send``).
    """

    id: str
    ts: str
    channel_values: dict[str, Any]
    channel_versions: dict[str, str]
    versions_seen: dict[str, dict[str, str]]
    pending_sends: list[Any] = field(default_factory=list)

    def __getitem__(self, key: str) -> Any:
        """``checkpoint["id"]``, as code written for LangGraph reads its ``Checkpoint`` (a
        TypedDict there). Raises ``KeyError`` for a key that is not a field."""
        if key in _CHECKPOINT_KEYS:
            return getattr(self, key)
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        """``checkpoint.get("channel_values", {})``, as on LangGraph's TypedDict."""
        return getattr(self, key) if key in _CHECKPOINT_KEYS else default


_CHECKPOINT_KEYS = frozenset({"id", "ts", "channel_values", "channel_versions", "versions_seen", "pending_sends"})


@dataclass(frozen=True)
class PendingWrite:
    """A value one task wrote to one channel, recorded against the checkpoint it started from.

    ``idx`` orders the writes of one task; ``channel`` is ``"__error__"`` for a task's exception.
    ``damage`` lists what a lenient reader could not read of the stored row (empty when sound).
    """

    task_id: str
    task_name: str
    channel: str
    value: Any
    idx: int
    damage: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckpointTuple:
    """A stored checkpoint with its config, metadata, parent and pending writes.

    ``metadata`` is ``{"source": "input" | "loop" | "update" | "fork", "step": int,
    "parents": {namespace: checkpoint id}, "writes": {node: [channel, ...]}}``; ``next`` holds the
    names of the nodes the next super-step runs (empty once the run is done).
    """

    config: RunnableConfig
    checkpoint: Checkpoint
    metadata: dict[str, Any]
    parent_config: RunnableConfig | None
    next: tuple[str, ...]
    pending_writes: list[PendingWrite] = field(default_factory=list)


@dataclass(frozen=True)
class StepRecord:
    """Everything one super-step saves in one transaction.

    ``task_writes`` are the writes of the step's tasks, recorded as pending writes against the
    parent checkpoint (they say which node wrote what); ``new_versions`` lists the channels whose
    values changed, so unchanged channels are not stored again.
    """

    checkpoint: Checkpoint
    metadata: dict[str, Any]
    next: tuple[str, ...]
    new_versions: dict[str, str]
    task_writes: Sequence[PendingWrite] = ()


def config_thread_id(config: RunnableConfig) -> str:
    """The ``thread_id`` of ``config``; ``ValueError`` if a checkpointer run lacks one."""
    thread_id = config.get("configurable", {}).get("thread_id")
    if thread_id is None:
        raise ValueError(
            'a graph compiled with a checkpointer needs config={"configurable": {"thread_id": ...}}'
        )
    return str(thread_id)


def config_checkpoint_ns(config: RunnableConfig) -> str:
    return str(config.get("configurable", {}).get("checkpoint_ns", ""))


def config_checkpoint_id(config: RunnableConfig) -> str | None:
    return config.get("configurable", {}).get("checkpoint_id")


def checkpoint_config(thread_id: str, checkpoint_ns: str, checkpoint_id: str) -> RunnableConfig:
    return {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": checkpoint_ns,
            "checkpoint_id": checkpoint_id,
        }
    }


_id_lock = threading.Lock()
_last_id_ms = 0
_id_counter = 0


def new_checkpoint_id() -> str:
    """A UUIDv7 string: 48-bit Unix ms, then a counter, so ids from one process strictly increase."""
    global _last_id_ms, _id_counter
    with _id_lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms <= _last_id_ms:
            now_ms = _last_id_ms
            _id_counter += 1
        else:
            _id_counter = 0
        if _id_counter >= 1 << 12:
            now_ms += 1
            _id_counter = 0
        _last_id_ms = now_ms
        counter = _id_counter
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (now_ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand
    return str(uuid.UUID(int=value))


def metadata_matches(metadata: dict[str, Any], filter: dict[str, Any] | None) -> bool:
    """True when ``metadata`` has every key of ``filter`` with the same value."""
    return not filter or all(metadata.get(k) == v for k, v in filter.items())


def utc_now() -> str:
    """The current time as ISO 8601 in UTC with microseconds."""
    return datetime.now(timezone.utc).isoformat()


class BaseCheckpointSaver(ABC):
    """What the super-step loop needs from a checkpoint store (all methods async).

    Same role as LangGraph's ``BaseCheckpointSaver``, except that a whole super-step is saved by
    one call (:meth:`aput_step`), so a store can make it one transaction, and that the store keeps
    a per-thread status row for the debugger. What a saver keeps follows
    :mod:`engine.checkpoint.policy`.
    """

    serde: JsonSerializer

    @abstractmethod
    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint named by ``checkpoint_id`` in ``config``, or the thread's latest."""

    @abstractmethod
    def alist(
        self,
        config: RunnableConfig,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """The thread's checkpoints in the config's namespace, newest first.

        ``filter`` keeps those whose metadata has every given key with the given value (e.g.
        ``{"source": "loop"}``); ``limit`` counts what the filter keeps.
        """

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """Sync form of :meth:`aget_tuple` (LangGraph's ``get_tuple``); not from inside a node."""
        return run_sync(self.aget_tuple(config))

    def list(
        self, config: RunnableConfig, *, filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None, limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Sync form of :meth:`alist` (LangGraph's ``list``, except that ``config`` must name a
        thread): the checkpoints of its namespace, newest first."""
        return iterate_sync(self.alist(config, filter=filter, before=before, limit=limit))

    @abstractmethod
    async def aput_step(self, config: RunnableConfig, record: StepRecord) -> RunnableConfig:
        """Save one super-step (checkpoint, changed values, task writes) atomically.

        ``config`` names the parent checkpoint (or none, for a thread's first checkpoint).
        Returns the config of the new checkpoint.
        """

    @abstractmethod
    async def aput_writes(
        self, config: RunnableConfig, writes: Sequence[PendingWrite]
    ) -> None:
        """Record pending writes against the checkpoint in ``config`` (a failed super-step)."""

    @abstractmethod
    async def arecord_interrupt(self, config: RunnableConfig, *, at: str | None = None) -> None:
        """Mark the thread ``interrupted``: a run stopped at a breakpoint after the checkpoint
        ``config`` names (its next step has not run). The next saved step clears it."""

    @abstractmethod
    async def arecord_error(
        self, config: RunnableConfig, error: dict[str, str], writes: Sequence[PendingWrite] = (),
        *, at: str | None = None,
    ) -> None:
        """Mark the thread as failed and, in the same transaction, record ``writes`` (what the
        failed step's tasks finished) against the checkpoint ``config`` names, if it names one.
        ``at`` is when (ISO 8601 UTC; default now).

        ``error`` is ``{"type", "message", "traceback"}`` plus ``"node"`` when one node's
        exception failed the step.
        """
