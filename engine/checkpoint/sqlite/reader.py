"""Read a retrace checkpoint database without any graph code: the debugger's and CLI's view.

Everything here is plain data decoded by :class:`~engine.checkpoint.serde.JsonSerializer`, which
never imports or calls anything named in the data, so a database from a stranger is safe to read.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite

from engine.checkpoint.base import PendingWrite
from engine.checkpoint.serde import JsonSerializer
from engine.checkpoint.sqlite.schema import open_database
from engine.errors import CheckpointStoreError, SerializationError

@dataclass(frozen=True)
class ThreadSummary:
    """One row of the ``threads`` table; times are ISO 8601 strings in UTC.

    ``error`` is ``{"type": str, "message": str}`` when ``status == "error"``, else ``None``.
    """

    thread_id: str
    checkpoint_count: int
    latest_step: int | None
    latest_checkpoint_id: str | None
    created_at: str
    updated_at: str
    status: str
    error: dict[str, Any] | None = None


@dataclass(frozen=True)
class CheckpointSummary:
    """A checkpoint's metadata, without its channel values.

    ``writes`` maps each node that ran in the super-step to the channels it wrote;
    ``next`` names the nodes the following super-step runs.
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


@dataclass(frozen=True)
class CheckpointDetail:
    """A checkpoint with its channel values, versions and the versions each node has seen."""

    summary: CheckpointSummary
    channel_values: dict[str, Any]
    channel_versions: dict[str, str]
    versions_seen: dict[str, dict[str, str]]
    pending_sends: list[Any] = field(default_factory=list)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return value if isinstance(value, str) else str(value)


def _text_or_none(value: Any) -> str | None:
    return None if value is None else _text(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class CheckpointNotFoundError(CheckpointStoreError, KeyError):
    """No checkpoint with that thread, namespace and id."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "checkpoint not found"


_THREAD_COLUMNS = (
    "thread_id, checkpoint_count, latest_step, latest_checkpoint_id, created_at, updated_at, "
    "status, error"
)
_SUMMARY_COLUMNS = (
    "thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, step, source, created_at, "
    "next_nodes, metadata"
)
_DETAIL_COLUMNS = f"{_SUMMARY_COLUMNS}, channel_versions, versions_seen, pending_sends"


class CheckpointReader:
    """Queries over one open connection; every method raises :class:`CheckpointStoreError` when
    the database is damaged, with the SQLite error in the message.

    A value that cannot be decoded shows as ``{"__undecodable__": reason}`` so the rest of the
    checkpoint can still be read; with ``strict=True`` (what a saver that resumes runs needs) it
    raises :class:`CheckpointStoreError` instead, so a placeholder never becomes state.
    """

    def __init__(
        self, conn: aiosqlite.Connection, serde: JsonSerializer | None = None, *, strict: bool = False
    ) -> None:
        self.conn = conn
        self.serde = serde or JsonSerializer()
        self.strict = strict
        self.path: Path | None = None
        """The file :meth:`open` opened (to open it again when it has been replaced)."""
        self.file_id: tuple[int, int] | None = None
        """(device, inode) of that file when opened: another value later means it was replaced."""

    @classmethod
    async def open(cls, path: str | Path) -> CheckpointReader:
        """Open an existing database (never creates one).

        Raises:
            NotARetraceDatabaseError, SchemaTooNewError: see :func:`open_database`.
        """
        reader = cls(await open_database(path, create=False))
        reader.path = Path(path)
        stat = reader.path.stat()
        reader.file_id = (stat.st_dev, stat.st_ino)
        return reader

    async def close(self) -> None:
        await self.conn.close()

    async def __aenter__(self) -> CheckpointReader:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _fetchall(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row | tuple]:
        try:
            async with self.conn.execute(sql, params) as cursor:
                return list(await cursor.fetchall())
        except sqlite3.DatabaseError as exc:
            raise CheckpointStoreError(f"the checkpoint database is damaged or locked ({exc})") from exc

    def _decode(self, raw: bytes | str | None) -> Any:
        """Decode a stored value; an undecodable one becomes a mapping that says why."""
        if raw is None:
            return None
        try:
            return self.serde.loads(raw)
        except SerializationError as exc:
            if self.strict:
                raise CheckpointStoreError(f"a stored value cannot be decoded: {exc}") from exc
            return {"__undecodable__": str(exc)}

    @staticmethod
    def _json(raw: str | None, default: Any) -> Any:
        try:
            return json.loads(raw) if raw else default
        except ValueError:
            return default

    async def list_threads(self, *, limit: int | None = None, offset: int = 0) -> list[ThreadSummary]:
        """Threads, most recently updated first; answered from the ``threads`` table alone."""
        rows = await self._fetchall(
            f"SELECT {_THREAD_COLUMNS} FROM threads ORDER BY updated_at DESC, thread_id "
            "LIMIT ? OFFSET ?",
            (-1 if limit is None else limit, offset),
        )
        return [self._thread(row) for row in rows]

    async def get_thread(self, thread_id: str) -> ThreadSummary | None:
        rows = await self._fetchall(f"SELECT {_THREAD_COLUMNS} FROM threads WHERE thread_id = ?", (thread_id,))
        return self._thread(rows[0]) if rows else None

    # A stranger's file can hold any SQLite type in any column (a blob in a TEXT column, text in
    # an INTEGER one): every row is coerced to the types the dataclasses promise.

    def _thread(self, row: tuple) -> ThreadSummary:
        error = self._decode(row[7]) if row[7] else None
        if error is not None and not isinstance(error, dict):
            error = {"type": "error", "message": repr(error)}
        return ThreadSummary(
            thread_id=_text(row[0]),
            checkpoint_count=_int(row[1]) or 0,
            latest_step=_int(row[2]),
            latest_checkpoint_id=_text_or_none(row[3]),
            created_at=_text(row[4]),
            updated_at=_text(row[5]),
            status=_text(row[6]),
            error=error,
        )

    def _summary(self, row: tuple) -> CheckpointSummary:
        metadata = self._decode(row[8])
        if not isinstance(metadata, dict):
            metadata = {"__undecodable__": "metadata is not a mapping"}
        writes = metadata.get("writes")
        next_nodes = self._json(row[7], [])
        return CheckpointSummary(
            thread_id=_text(row[0]),
            checkpoint_ns=_text(row[1]),
            checkpoint_id=_text(row[2]),
            parent_checkpoint_id=_text_or_none(row[3]),
            step=_int(row[4]) or 0,
            source=_text(row[5]),
            created_at=_text(row[6]),
            next=tuple(_text(n) for n in next_nodes) if isinstance(next_nodes, list) else (),
            writes={
                _text(node): [_text(c) for c in channels] if isinstance(channels, list) else []
                for node, channels in writes.items()
            } if isinstance(writes, dict) else {},
            metadata=metadata,
        )

    async def list_checkpoints(
        self,
        thread_id: str,
        *,
        checkpoint_ns: str = "",
        limit: int | None = 100,
        before: str | None = None,
        offset: int = 0,
    ) -> list[CheckpointSummary]:
        """A thread's checkpoints newest first, ``limit`` at a time.

        Page with ``before`` (a checkpoint id: only older ones) or ``offset`` (rows to skip).
        """
        rows = await self._page(_SUMMARY_COLUMNS, thread_id, checkpoint_ns, limit, before, offset)
        return [self._summary(row) for row in rows]

    async def _page(
        self, columns: str, thread_id: str, ns: str, limit: int | None, before: str | None, offset: int = 0
    ) -> list[tuple]:
        """Checkpoint rows newest first: ``limit`` of them, older than ``before``, after ``offset``."""
        sql = f"SELECT {columns} FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ?"
        params: list[Any] = [thread_id, ns]
        if before is not None:
            sql += " AND checkpoint_id < ?"
            params.append(before)
        sql += " ORDER BY checkpoint_id DESC LIMIT ? OFFSET ?"
        params += [-1 if limit is None else limit, offset]
        return await self._fetchall(sql, tuple(params))

    async def get_checkpoint(
        self, thread_id: str, checkpoint_id: str | None = None, *, checkpoint_ns: str = ""
    ) -> CheckpointDetail:
        """One checkpoint with its decoded channel values (the latest when ``checkpoint_id`` is None).

        Raises:
            CheckpointNotFoundError: no such checkpoint.
        """
        sql = f"SELECT {_DETAIL_COLUMNS} FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ?"
        params: tuple[Any, ...] = (thread_id, checkpoint_ns)
        if checkpoint_id is None:
            sql += " ORDER BY checkpoint_id DESC LIMIT 1"
        else:
            sql += " AND checkpoint_id = ?"
            params += (checkpoint_id,)
        rows = await self._fetchall(sql, params)
        if not rows:
            raise CheckpointNotFoundError(
                f"thread {thread_id!r} has no checkpoint {checkpoint_id or '(none at all)'}"
            )
        return await self._detail(rows[0])

    async def list_checkpoint_details(
        self, thread_id: str, *, checkpoint_ns: str = "", limit: int = 100, before: str | None = None
    ) -> list[CheckpointDetail]:
        """Like :meth:`list_checkpoints`, with each checkpoint's channel values."""
        rows = await self._page(_DETAIL_COLUMNS, thread_id, checkpoint_ns, limit, before)
        return [await self._detail(row) for row in rows]

    async def _detail(self, row: tuple) -> CheckpointDetail:
        summary = self._summary(row)
        # CROSS JOIN fixes the loop order: one primary-key lookup per channel, instead of a scan
        # of the thread's values that the planner otherwise picks (75 ms at 100k checkpoints).
        values_rows = await self._fetchall(
            "SELECT cv.channel, cv.value FROM json_each(?) AS v CROSS JOIN channel_values AS cv "
            "ON cv.thread_id = ? AND cv.checkpoint_ns = ? AND cv.channel = v.key "
            "AND cv.version = v.value",
            (row[9], summary.thread_id, summary.checkpoint_ns),
        )
        sends = self._decode(row[11])
        return CheckpointDetail(
            summary=summary,
            channel_values={channel: self._decode(raw) for channel, raw in values_rows},
            channel_versions=self._json(row[9], {}),
            versions_seen=self._json(row[10], {}),
            pending_sends=sends if isinstance(sends, list) else [],
        )

    async def get_pending_writes(
        self, thread_id: str, checkpoint_id: str, *, checkpoint_ns: str = ""
    ) -> list[PendingWrite]:
        """The writes recorded against a checkpoint by the tasks of the super-step after it."""
        rows = await self._fetchall(
            "SELECT task_id, task_name, channel, value, idx FROM pending_writes "
            "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ? "
            "ORDER BY task_name, task_id, idx",
            (thread_id, checkpoint_ns, checkpoint_id),
        )
        return [
            PendingWrite(task_id=r[0], task_name=r[1], channel=r[2], value=self._decode(r[3]), idx=r[4])
            for r in rows
        ]

    async def get_meta(self, key: str) -> str | None:
        """A fact about the database from ``retrace_meta`` (e.g. ``"created_by"``)."""
        rows = await self._fetchall("SELECT value FROM retrace_meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None
