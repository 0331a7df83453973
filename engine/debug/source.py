"""Where the debugger reads from: any checkpoint database, through one interface.

:class:`CheckpointSource` is everything the debugger and the CLI ask of a database; the read
model it returns is :mod:`engine.debug.model`. :func:`open_source` picks the reader for a file.
Today that is retrace's own schema (:class:`~engine.checkpoint.sqlite.reader.CheckpointReader`);
a reader for another format (LangGraph's SQLite checkpoints) plugs in here without the TUI
changing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from engine.checkpoint.base import PendingWrite
from engine.checkpoint.sqlite import CheckpointReader
from engine.checkpoint.sqlite.store_reader import StoreNamespace, StoreRecord
from engine.debug.model import CheckpointDetail, CheckpointSummary, ThreadSummary

__all__ = ["CheckpointSource", "StoreNamespace", "StoreRecord", "file_id", "open_source"]


class CheckpointSource(Protocol):
    """A database opened read-only for the debugger. Every method raises
    :class:`~engine.errors.CheckpointStoreError` when the file cannot be read.

    Attributes:
        path: the file opened (None for a connection made elsewhere).
        file_id: (device, inode) when opened; another value later means it was replaced.
        how: how it was opened: ``"shared"``, ``"immutable"`` or ``"snapshot"``.
    """

    path: Path | None
    file_id: tuple[int, int] | None
    how: str

    async def list_threads(
        self, *, limit: int | None = None, offset: int = 0, status: str | None = None,
        after: tuple[str, str] | None = None, updated_since: str | None = None,
    ) -> list[ThreadSummary]: ...

    async def data_version(self) -> int | None: ...

    async def get_thread(self, thread_id: str) -> ThreadSummary | None: ...

    async def list_checkpoints(
        self,
        thread_id: str,
        *,
        checkpoint_ns: str = "",
        limit: int | None = 100,
        before: str | None = None,
        offset: int = 0,
    ) -> list[CheckpointSummary]: ...

    async def get_checkpoint(
        self, thread_id: str, checkpoint_id: str | None = None, *, checkpoint_ns: str = ""
    ) -> CheckpointDetail: ...

    async def get_pending_writes(
        self, thread_id: str, checkpoint_id: str, *, checkpoint_ns: str = ""
    ) -> list[PendingWrite]: ...

    async def get_meta(self, key: str) -> str | None: ...

    async def count_checkpoints_in(self, thread_id: str, namespaces: Sequence[str]) -> dict[str, int]:
        """``{namespace: checkpoint count}`` for those of ``namespaces`` with checkpoints."""
        ...

    async def list_store_namespaces(self, limit: int | None = 100, offset: int = 0) -> list[StoreNamespace]:
        """The memory store's namespaces (by their text), each with its item count; ``[]`` when
        the file has no store (a schema from before it) or the store is empty."""
        ...

    async def list_store_items(
        self, namespace: tuple[str, ...], limit: int | None = 100, offset: int = 0
    ) -> list[StoreRecord]:
        """The items of one namespace, the most recently written first, values as JSON data
        (an :class:`~engine.checkpoint.serde.Undecodable` where one could not be read)."""
        ...

    async def close(self) -> None: ...


def file_id(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at ``path`` (None when missing): a source's ``file_id``
    that differs from it means the file was replaced since it was opened."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


async def open_source(path: str | Path) -> CheckpointSource:
    """Open the checkpoint database at ``path`` read-only, with the reader for its format.

    Raises:
        NotARetraceDatabaseError, SchemaTooNewError, CheckpointStoreError: the file cannot be
            read as a checkpoint database (the message says why and what to do).
    """
    return await CheckpointReader.open(path)
