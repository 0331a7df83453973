"""Read a retrace checkpoint database without any graph code: the debugger's and CLI's view.

Everything here is plain data decoded by :class:`~engine.checkpoint.serde.JsonSerializer`, which
never imports or calls anything named in the data, so a database from a stranger is safe to read.
A reader opened with :meth:`CheckpointReader.open` never changes the file (it opens it read-only;
see :mod:`.readonly`), checks every column's type and range
on the way in (:mod:`.rows`), reads no stored value over its :class:`~.rows.Limits`,
and marks a row it cannot fully read as damaged instead of failing the whole query.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from engine.checkpoint.base import PendingWrite
from engine.checkpoint.serde import JsonSerializer, Undecodable
from engine.checkpoint.sqlite.namespace_reader import NamespaceReads
from engine.checkpoint.sqlite.readonly import OpenedAs, ReadOnlyDatabase, open_read_only
from engine.checkpoint.sqlite.rows import (
    OVER_BUDGET,
    PREVIEW_CHARS,
    TOO_LARGE,
    Limits,
    RowReader,
    database_error_text,
    error_from_preview,
    error_record,
    int_sql,
    key_sql,
    param,
    preview_text,
    select_lists,
    step_writes,
    surrogate_text,
    value_sql,
    within_budget,
)
from engine.checkpoint.sqlite.store_reader import StoreReads
from engine.debug.model import (
    THREAD_STATUSES,
    CheckpointDetail,
    CheckpointNotFoundError,
    CheckpointSummary,
    ThreadSummary,
)
from engine.errors import CheckpointStoreError

T = TypeVar("T")

__all__ = ["CheckpointDetail", "CheckpointNotFoundError", "CheckpointReader", "CheckpointSummary", "ThreadSummary"]


class CheckpointReader(StoreReads, NamespaceReads):
    """Queries over one open connection; every method raises :class:`CheckpointStoreError` when
    the database is damaged or locked, with SQLite's error in the message. The memory store's
    table is read by ``list_store_namespaces`` / ``list_store_items`` (:mod:`.store_reader`),
    which namespaces hold checkpoints by ``count_checkpoints_in`` (:mod:`.namespace_reader`).

    Lenient by default: a value that cannot be decoded (or is over ``limits.max_value_bytes``)
    comes back as an :class:`~engine.checkpoint.serde.Undecodable`, and a field that cannot be
    read is listed in its row's ``damage``. With ``strict=True`` (what a saver that resumes runs
    needs) both raise :class:`CheckpointStoreError`, so a placeholder never becomes state, and no
    size limit applies.
    """

    def __init__(
        self,
        conn: aiosqlite.Connection,
        serde: JsonSerializer | None = None,
        *,
        strict: bool = False,
        limits: Limits | None = None,
    ) -> None:
        self.conn = conn
        self.serde = serde or JsonSerializer()
        self.strict = strict
        self.limits = None if strict else (limits or Limits())
        self._thread_columns, self._summary_columns, self._detail_columns = select_lists(self.limits)
        self.path: Path | None = None
        """The file :meth:`open` opened (to open it again when it has been replaced)."""
        self.file_id: tuple[int, int] | None = None
        """(device, inode) of that file when opened: another value later means it was replaced."""
        self.how: OpenedAs = "shared"
        """How :meth:`open` opened the file: ``"shared"``, ``"immutable"`` or ``"snapshot"``
        (see :class:`~engine.checkpoint.sqlite.readonly.ReadOnlyDatabase`)."""
        self._database: ReadOnlyDatabase | None = None

    @classmethod
    async def open(cls, path: str | Path, *, limits: Limits | None = None) -> CheckpointReader:
        """Open an existing database read-only (never creates or changes one).

        Raises:
            NotARetraceDatabaseError, SchemaTooNewError, CheckpointStoreError: see
                :func:`~engine.checkpoint.sqlite.readonly.open_read_only`.
        """
        database = await open_read_only(path)
        try:
            stat = Path(path).stat()
        except OSError as exc:  # deleted just now
            await database.close()
            raise CheckpointStoreError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
        database.conn.text_factory = surrogate_text
        reader = cls(database.conn, limits=limits)
        reader.how, reader._database = database.how, database
        reader.path = Path(path)
        reader.file_id = (stat.st_dev, stat.st_ino)
        return reader

    async def close(self) -> None:
        if self._database is not None:
            await self._database.close()
        else:
            await self.conn.close()

    async def __aenter__(self) -> CheckpointReader:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _fetchall(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple]:
        try:
            # One hop to the connection's thread (execute, fetch and close there), not three.
            return list(await self.conn.execute_fetchall(sql, params))
        except (sqlite3.Error, OverflowError) as exc:
            reason = database_error_text(exc) if isinstance(exc, sqlite3.Error) else str(exc)
            raise CheckpointStoreError(f"the checkpoint database is damaged or locked ({reason})") from exc
        except ValueError as exc:  # aiosqlite: "no active connection"
            raise CheckpointStoreError(
                f"the checkpoint database is not open ({exc}); open it again (r in the debugger)"
            ) from exc

    async def _decoded(self, build: Callable[[], T]) -> T:
        """``build()``, which decodes rows: in a worker thread for a lenient reader (the
        debugger's: a page of values can be megabytes, and its event loop must keep answering
        keys), inline for a saver."""
        return build() if self.strict else await asyncio.to_thread(build)

    def _row(self, what: str) -> RowReader:
        return RowReader(what, self.serde, self.limits, strict=self.strict)

    async def list_threads(
        self, *, limit: int | None = None, offset: int = 0, status: str | None = None,
        after: tuple[str, str] | None = None, updated_since: str | None = None,
    ) -> list[ThreadSummary]:
        """Threads, most recently updated first (only those with ``status``, if given);
        answered from the ``threads`` table alone. ``after`` = ``(updated_at, thread_id)`` of
        the last row of the previous page pages by key: rows another process moves to the top
        meanwhile do not shift the page, as ``offset`` would. ``updated_since`` (ISO 8601 UTC):
        only the threads updated at or after it (what a live view needs to read again)."""
        where, params = [], []
        if status is not None:
            where.append("status = CAST(? AS TEXT)")
            params.append(param(status))
        if after is not None:
            where.append("(updated_at < CAST(? AS TEXT) OR (updated_at = CAST(? AS TEXT) AND thread_id > CAST(? AS TEXT)))")
            params += [param(after[0]), param(after[0]), param(after[1])]
        if updated_since is not None:
            where.append("updated_at >= CAST(? AS TEXT)")
            params.append(param(updated_since))
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        rows = await self._fetchall(
            f"SELECT {self._thread_columns} FROM threads {clause}ORDER BY updated_at DESC, thread_id "
            "LIMIT ? OFFSET ?",
            (*params, -1 if limit is None else limit, offset),
        )
        threads = await self._decoded(lambda: [self._thread(row) for row in rows])
        return [await self._error_preview(t) for t in threads]

    async def data_version(self) -> int | None:
        """SQLite's ``PRAGMA data_version``: it changes when another connection commits to the
        file, so a poll can tell cheaply that something changed. None when the file is read
        as a snapshot or immutable (it cannot see other writers; compare the file instead)."""
        if self.how != "shared":
            return None
        rows = await self._fetchall("PRAGMA data_version")
        return int(rows[0][0]) if rows else None

    async def get_thread(self, thread_id: str) -> ThreadSummary | None:
        rows = await self._fetchall(
            f"SELECT {self._thread_columns} FROM threads WHERE thread_id = CAST(? AS TEXT)", (param(thread_id),)
        )
        return await self._error_preview(await self._decoded(lambda: self._thread(rows[0]))) if rows else None

    async def _error_preview(self, thread: ThreadSummary) -> ThreadSummary:
        """``thread`` with an oversized error shown by its start (read by one more query)."""
        error = thread.error
        if not error or error.get("type") != "unreadable error" or not error["message"].startswith(TOO_LARGE):
            return thread
        rows = await self._fetchall(
            f"SELECT substr(error, 1, {PREVIEW_CHARS}) FROM threads WHERE thread_id = CAST(? AS TEXT)",
            (param(thread.thread_id),),
        )
        if not rows or rows[0][0] is None:
            return thread
        return replace(thread, error=error_from_preview(error["message"], preview_text(rows[0][0])))

    def _thread(self, row: tuple) -> ThreadSummary:
        r = self._row("a thread row")
        thread_id = r.text("thread id", row[0]) or ""
        r.what = f"thread {thread_id[:80]!r}"
        status = r.text("status", row[6]) or ""
        if status not in THREAD_STATUSES:
            r.flag(f"status {status[:40]!r} is none of {', '.join(sorted(THREAD_STATUSES))}")
        return ThreadSummary(
            thread_id=thread_id,
            checkpoint_count=r.integer("checkpoint count", row[1]) or 0,
            latest_step=r.integer("latest step", row[2], optional=True),
            latest_checkpoint_id=r.text("latest checkpoint id", row[3], optional=True),
            created_at=r.text("created_at", row[4]) or "",
            updated_at=r.text("updated_at", row[5]) or "",
            status=status,
            error=error_record(r, r.value("error", *row[7:9], record=True)),
            damage=tuple(r.damage),
        )

    def _summary(self, row: tuple) -> tuple[CheckpointSummary, RowReader]:
        r = self._row("a checkpoint row")
        thread_id, ns = r.text("thread id", row[0]) or "", r.text("namespace", row[1]) or ""
        checkpoint_id = r.text("checkpoint id", row[2]) or ""
        r.what = f"checkpoint {checkpoint_id[:80]!r}"
        metadata = r.mapping("metadata", r.value("metadata", *row[9:11], record=True))
        next_nodes = r.json("next nodes", *row[7:9], default=[])
        summary = CheckpointSummary(
            thread_id=thread_id,
            checkpoint_ns=ns,
            checkpoint_id=checkpoint_id,
            parent_checkpoint_id=r.text("parent id", row[3], optional=True),
            step=r.integer("step", row[4]) or 0,
            source=r.text("source", row[5]) or "",
            created_at=r.text("created_at", row[6]) or "",
            next=r.names("next nodes", next_nodes),
            writes=step_writes(r, metadata.get("writes", {})),
            metadata=metadata,
        )
        return summary, r

    def _summary_row(self, row: tuple) -> CheckpointSummary:
        summary, r = self._summary(row)
        return _with_damage(summary, r)

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
        rows = await self._page(self._summary_columns, thread_id, checkpoint_ns, limit, before, offset)
        return await self._decoded(lambda: [self._summary_row(row) for row in rows])

    async def _page(
        self, columns: str, thread_id: str, ns: str, limit: int | None, before: str | None, offset: int = 0
    ) -> list[tuple]:
        """Checkpoint rows newest first: ``limit`` of them, older than ``before``, after ``offset``."""
        sql = (
            f"SELECT {columns} FROM checkpoints "
            "WHERE thread_id = CAST(? AS TEXT) AND checkpoint_ns = CAST(? AS TEXT)"
        )
        params: list[Any] = [param(thread_id), param(ns)]
        if before is not None:
            sql += " AND checkpoint_id < CAST(? AS TEXT)"
            params.append(param(before))
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
        sql = (
            f"SELECT {self._detail_columns} FROM checkpoints "
            "WHERE thread_id = CAST(? AS TEXT) AND checkpoint_ns = CAST(? AS TEXT)"
        )
        params: tuple[Any, ...] = (param(thread_id), param(checkpoint_ns))
        if checkpoint_id is None:
            sql += " ORDER BY checkpoint_id DESC LIMIT 1"
        else:
            sql += " AND checkpoint_id = CAST(? AS TEXT)"
            params += (param(checkpoint_id),)
        rows = await self._fetchall(sql, params)
        if not rows:
            raise CheckpointNotFoundError(
                f"thread {thread_id[:200]!r} has no checkpoint {(checkpoint_id or '(none at all)')[:200]}"
            )
        return await self._detail(rows[0])

    async def list_checkpoint_details(
        self, thread_id: str, *, checkpoint_ns: str = "", limit: int = 100, before: str | None = None
    ) -> list[CheckpointDetail]:
        """Like :meth:`list_checkpoints`, with each checkpoint's channel values."""
        rows = await self._page(self._detail_columns, thread_id, checkpoint_ns, limit, before)
        return [await self._detail(row) for row in rows]

    def _detail_head(self, row: tuple) -> tuple[CheckpointSummary, RowReader, dict, dict, list]:
        summary, r = self._summary(row)
        versions = r.str_map("channel versions", r.json("channel versions", *row[11:13], default={}))
        seen_raw = r.json("versions seen", *row[13:15], default={})
        seen = {
            node: r.str_map(f"versions seen by {node[:40]!r}", channels)
            for node, channels in r.mapping("versions seen", seen_raw).items()
        }
        sends = r.value("pending sends", *row[15:17], record=True)
        if sends is not None and not isinstance(sends, list):
            r.flag("pending sends cannot be read")
            sends = []
        return summary, r, versions, seen, sends or []

    async def _detail(self, row: tuple) -> CheckpointDetail:
        summary, r, versions, seen, sends = await self._decoded(lambda: self._detail_head(row))
        k = partial(key_sql, limits=self.limits)
        # CROSS JOIN fixes the loop order: one primary-key lookup per channel, instead of a scan
        # of the thread's values that the planner otherwise picks (75 ms at 100k checkpoints).
        values_rows = await self._within_budget(
            f"SELECT {k('cv.channel')}, {{values}} FROM json_each(?) AS v CROSS JOIN channel_values AS cv "
            "ON cv.thread_id = CAST(? AS TEXT) AND cv.checkpoint_ns = CAST(? AS TEXT) "
            "AND cv.channel = v.key AND cv.version = v.value ORDER BY cv.channel",
            "cv.value",
            (json.dumps(versions), param(summary.thread_id), param(summary.checkpoint_ns)),
        )

        def decode() -> dict[str, Any]:
            values = {}
            for channel, *raw in values_rows:
                name = r.text("channel name", channel) or ""
                values[name] = r.value(f"channel {name[:40]!r}", *raw)
            return values

        values = await self._decoded(decode)
        for name, value in values.items():
            if isinstance(value, Undecodable) and value.reason.startswith(TOO_LARGE) and name in versions:
                rows = await self._fetchall(
                    f"SELECT substr(value, 1, {PREVIEW_CHARS}) FROM channel_values WHERE thread_id = CAST(? AS TEXT) "
                    "AND checkpoint_ns = CAST(? AS TEXT) AND channel = CAST(? AS TEXT) AND version = CAST(? AS TEXT)",
                    (param(summary.thread_id), param(summary.checkpoint_ns), param(name), param(versions[name])),
                )
                if rows:
                    values[name] = replace(value, preview=preview_text(rows[0][0]))
        return CheckpointDetail(
            summary=_with_damage(summary, r),
            channel_values=values,
            channel_versions=versions,
            versions_seen=seen,
            pending_sends=sends,
        )

    async def _within_budget(self, select: str, column: str, params: tuple[Any, ...]) -> list[tuple]:
        """The rows of ``select`` (whose ``{values}`` stands for the two value expressions of
        ``column``): the leading rows whose values fit
        ``limits.max_read_bytes`` with their values, the rest with a value marked over budget."""
        if self.limits is None:
            return await self._fetchall(select.format(values=value_sql(column, None)), params)
        # Two queries, not one transaction: a write between them only moves where the budget
        # cuts, and each value is still bounded by its own limit.
        sizes = [row[-2] for row in await self._fetchall(select.format(values=f"length({column}), NULL"), params)]
        count = within_budget(sizes, self.limits)
        rows = await self._fetchall(select.format(values=value_sql(column, self.limits)) + " LIMIT ?", (*params, count))
        if count < len(sizes):
            rest = select.format(values=f"NULL, '{OVER_BUDGET}'") + " LIMIT -1 OFFSET ?"
            rows += await self._fetchall(rest, (*params, count))
        return rows

    async def get_pending_writes(
        self, thread_id: str, checkpoint_id: str, *, checkpoint_ns: str = ""
    ) -> list[PendingWrite]:
        """The writes recorded against a checkpoint by the tasks of the super-step after it."""
        k = partial(key_sql, limits=self.limits)
        rows = await self._within_budget(
            f"SELECT {k('task_id')}, {k('task_name')}, {k('channel')}, {int_sql('idx', self.limits)}, {{values}} "
            "FROM pending_writes WHERE thread_id = CAST(? AS TEXT) AND checkpoint_ns = CAST(? AS TEXT) "
            "AND checkpoint_id = CAST(? AS TEXT) ORDER BY task_name, task_id, idx",
            "value",
            (param(thread_id), param(checkpoint_ns), param(checkpoint_id)),
        )
        return await self._decoded(lambda: [self._write(row, position) for position, row in enumerate(rows)])

    async def get_pending_writes_of(
        self, thread_id: str, checkpoint_ids: Sequence[str], *, checkpoint_ns: str = ""
    ) -> dict[str, list[PendingWrite]]:
        """:meth:`get_pending_writes` of several checkpoints in one query (a page of history):
        checkpoint id -> its writes (``[]`` for one with none). The read budget, if any, is
        shared by the whole page."""
        k = partial(key_sql, limits=self.limits)
        rows = await self._within_budget(
            f"SELECT {k('checkpoint_id')}, {k('task_id')}, {k('task_name')}, {k('channel')}, "
            f"{int_sql('idx', self.limits)}, {{values}} FROM pending_writes WHERE thread_id = CAST(? AS TEXT) "
            "AND checkpoint_ns = CAST(? AS TEXT) AND checkpoint_id IN (SELECT value FROM json_each(?)) "
            "ORDER BY checkpoint_id, task_name, task_id, idx",
            "value",
            (param(thread_id), param(checkpoint_ns), json.dumps(list(checkpoint_ids))),
        )

        def decode() -> dict[str, list[PendingWrite]]:
            found: dict[str, list[PendingWrite]] = {c: [] for c in checkpoint_ids}
            for row in rows:
                writes = found.setdefault(str(row[0]), [])
                writes.append(self._write(row[1:], len(writes)))
            return found

        return await self._decoded(decode)

    def _write(self, row: tuple, position: int) -> PendingWrite:
        r = self._row("a pending write")
        task_id, task_name = r.text("task id", row[0]) or "", r.text("task name", row[1]) or ""
        r.what = f"a pending write of task {task_name[:80]!r}"
        channel = r.text("channel", row[2]) or ""
        idx = r.integer("idx", row[3], default=position)
        value = r.value("value", *row[4:6])
        return PendingWrite(task_id, task_name, channel, value, idx if idx is not None else position, tuple(r.damage))

    async def get_meta(self, key: str) -> str | None:
        """A fact about the database from ``retrace_meta`` (e.g. ``"created_by"``)."""
        rows = await self._fetchall(
            f"SELECT {key_sql('value', self.limits)} FROM retrace_meta WHERE key = ?", (key,)
        )
        return self._row("a database fact").text("value", rows[0][0]) if rows else None


def _with_damage(summary: CheckpointSummary, r: RowReader) -> CheckpointSummary:
    if not r.damage:
        return summary
    return replace(summary, damage=tuple(r.damage))
