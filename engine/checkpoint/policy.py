"""The storage policy every checkpoint saver follows, in one place.

A saver decides only *how* rows are kept (SQLite tables, dicts in memory); *what* is kept
comes from here:

- a channel value is stored once per ``(channel, version)``: only the channels a step changed
  (``StepRecord.new_versions``) are written, and a value already stored is never replaced;
- a step's task writes are recorded against its parent checkpoint (a thread's first checkpoint
  has none, so it records none);
- a root thread's status after a step is ``pending`` while nodes are still to run, else
  ``done``; a failure sets ``error`` and keeps the error; the next saved step clears it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from engine.checkpoint.base import PendingWrite, StepRecord


def values_to_store(record: StepRecord) -> Iterator[tuple[str, str, Any]]:
    """``(channel, version, value)`` for each channel value the step changed."""
    values = record.checkpoint.channel_values
    for channel, version in record.new_versions.items():
        if channel in values:
            yield channel, version, values[channel]


def writes_to_store(parent_id: str | None, record: StepRecord) -> Sequence[PendingWrite]:
    """The step's task writes, recorded against ``parent_id`` (none without a parent)."""
    return record.task_writes if parent_id else ()


def status_after(record: StepRecord) -> str:
    """The thread status a saved step leaves: ``pending`` (nodes still to run) or ``done``."""
    return "pending" if record.next else "done"


def tracks_thread(checkpoint_ns: str) -> bool:
    """Whether a namespace's steps update the thread's row (only the root graph's do)."""
    return checkpoint_ns == ""
