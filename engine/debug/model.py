"""The debugger's read model: what a checkpoint database holds, as plain frozen data.

The debugger and the CLI see a database only through these types (and
:class:`engine.debug.source.CheckpointSource`), whatever the file's format: today retrace's own
schema, read by :class:`~engine.checkpoint.sqlite.reader.CheckpointReader`. Every field has the
type it promises whatever the file held, and ``damage`` says what could not be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.errors import CheckpointStoreError

THREAD_STATUSES = frozenset({"done", "interrupted", "error", "pending"})
"""The statuses a thread row may have (the schema's CHECK constraint lists the same)."""


@dataclass(frozen=True)
class ThreadSummary:
    """One row of the ``threads`` table; times are ISO 8601 strings in UTC.

    ``error`` is ``{"type": str, "message": str, ...}`` when ``status == "error"``, else ``None``.
    ``damage`` lists what could not be read of the row (empty when it is sound).
    """

    thread_id: str
    checkpoint_count: int
    latest_step: int | None
    latest_checkpoint_id: str | None
    created_at: str
    updated_at: str
    status: str
    error: dict[str, Any] | None = None
    damage: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckpointSummary:
    """A checkpoint's metadata, without its channel values.

    ``writes`` maps each node that ran in the super-step to the channels it wrote;
    ``next`` names the nodes the following super-step runs; ``damage`` lists what could not be
    read of the row (empty when it is sound).
    """

    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str
    parent_checkpoint_id: str | None
    step: int
    source: str
    created_at: str
    next: tuple[str, ...]
    writes: dict[str, list[str]]
    metadata: dict[str, Any]
    damage: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckpointDetail:
    """A checkpoint with its channel values, versions and the versions each node has seen.

    A channel value the reader could not decode is an :class:`~engine.checkpoint.serde.Undecodable`;
    ``summary.damage`` lists what could not be read of the row, versions and sends included.
    """

    summary: CheckpointSummary
    channel_values: dict[str, Any]
    channel_versions: dict[str, str]
    versions_seen: dict[str, dict[str, str]]
    pending_sends: list[Any] = field(default_factory=list)


class CheckpointNotFoundError(CheckpointStoreError, KeyError):
    """No checkpoint with that thread, namespace and id."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "checkpoint not found"
