"""``AsyncSqliteSaver``: checkpoints in a retrace SQLite database through one aiosqlite connection."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

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
    utc_now,
)
from engine.checkpoint.policy import (
    status_after,
    tracks_thread,
    values_to_store,
    writes_to_store,
)
from engine.checkpoint.serde import JsonSerializer
from engine.checkpoint.sqlite.reader import (
    CheckpointDetail,
    CheckpointNotFoundError,
    CheckpointReader,
)
from engine.checkpoint.sqlite.schema import open_database

_PAGE = 100


class AsyncSqliteSaver(BaseCheckpointSaver):
    """Checkpoint saver on a retrace SQLite database (schema: :mod:`.schema`).

    Same use as LangGraph's ``AsyncSqliteSaver``::

        async with AsyncSqliteSaver.from_conn_string("checkpoints.db") as saver:
            graph = builder.compile(checkpointer=saver)

    or long-lived: ``saver = await AsyncSqliteSaver.open(path)`` ... ``await saver.close()``.
    Each super-step is one ``BEGIN IMMEDIATE`` transaction; a channel value is stored once per
    channel version, so a channel that did not change is not written again.
    """

    def __init__(self, conn: aiosqlite.Connection, serde: JsonSerializer | None = None) -> None:
        self.conn = conn
        self.serde = serde or JsonSerializer()
        self.reader = CheckpointReader(conn, self.serde, strict=True)
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path, serde: JsonSerializer | None = None) -> AsyncSqliteSaver:
        """Open or create the database at ``path`` (``":memory:"`` for a private one).

        Raises:
            NotARetraceDatabaseError, SchemaTooNewError: the file is not ours, or is newer.
        """
        return cls(await open_database(path), serde)

    @classmethod
    @asynccontextmanager
    async def from_conn_string(
        cls, path: str | Path, serde: JsonSerializer | None = None
    ) -> AsyncIterator[AsyncSqliteSaver]:
        saver = await cls.open(path, serde)
        try:
            yield saver
        finally:
            await saver.close()

    async def close(self) -> None:
        await self.conn.close()

    async def setup(self) -> None:
        """Nothing to do: the schema is made when the database is opened (LangGraph compatibility)."""

    async def set_meta(self, key: str, value: str) -> None:
        """Record a fact about the database in ``retrace_meta``."""
        async with self._lock:
            await self.conn.execute(
                "INSERT INTO retrace_meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def _tuple(self, detail: CheckpointDetail, writes: list[PendingWrite]) -> CheckpointTuple:
        s = detail.summary
        return CheckpointTuple(
            config=checkpoint_config(s.thread_id, s.checkpoint_ns, s.checkpoint_id),
            checkpoint=Checkpoint(
                id=s.checkpoint_id,
                ts=s.created_at,
                channel_values=detail.channel_values,
                channel_versions=detail.channel_versions,
                versions_seen=detail.versions_seen,
                pending_sends=detail.pending_sends,
            ),
            metadata=s.metadata,
            parent_config=(
                checkpoint_config(s.thread_id, s.checkpoint_ns, s.parent_checkpoint_id)
                if s.parent_checkpoint_id
                else None
            ),
            next=s.next,
            pending_writes=writes,
        )

    async def _load(self, thread_id: str, ns: str, checkpoint_id: str | None) -> CheckpointTuple | None:
        try:
            detail = await self.reader.get_checkpoint(thread_id, checkpoint_id, checkpoint_ns=ns)
        except CheckpointNotFoundError:
            return None
        return await self._with_writes(detail)

    async def _with_writes(self, detail: CheckpointDetail) -> CheckpointTuple:
        s = detail.summary
        writes = await self.reader.get_pending_writes(s.thread_id, s.checkpoint_id, checkpoint_ns=s.checkpoint_ns)
        return self._tuple(detail, writes)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        async with self._lock:
            return await self._load(
                config_thread_id(config), config_checkpoint_ns(config), config_checkpoint_id(config)
            )

    async def alist(
        self,
        config: RunnableConfig,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        thread_id, ns = config_thread_id(config), config_checkpoint_ns(config)
        cursor = config_checkpoint_id(before) if before else None
        remaining = limit
        while remaining is None or remaining > 0:
            # Without a filter, read no more rows than the caller still wants.
            page = _PAGE if remaining is None or filter else min(_PAGE, remaining)
            async with self._lock:
                details = await self.reader.list_checkpoint_details(
                    thread_id, checkpoint_ns=ns, limit=page, before=cursor
                )
                kept = [d for d in details if metadata_matches(d.summary.metadata, filter)]
                writes = await self.reader.get_pending_writes_of(  # one query for the page
                    thread_id, [d.summary.checkpoint_id for d in kept], checkpoint_ns=ns
                ) if kept else {}
                tuples = [self._tuple(d, writes.get(d.summary.checkpoint_id, [])) for d in kept]
            for item in tuples[:remaining]:
                yield item
            if remaining is not None:
                remaining -= min(len(tuples), remaining)
            if len(details) < page:
                return
            cursor = details[-1].summary.checkpoint_id

    def _write_rows(self, thread_id: str, ns: str, checkpoint_id: str, writes: Sequence[PendingWrite]) -> list[tuple]:
        return [
            (thread_id, ns, checkpoint_id, w.task_id, w.idx, w.task_name, w.channel, self.serde.dumps(w.value))
            for w in writes
        ]

    async def aput_step(self, config: RunnableConfig, record: StepRecord) -> RunnableConfig:
        thread_id, ns = config_thread_id(config), config_checkpoint_ns(config)
        parent_id = config_checkpoint_id(config)
        cp = record.checkpoint
        value_rows = [
            (thread_id, ns, channel, version, self.serde.dumps(value))
            for channel, version, value in values_to_store(record)
        ]
        write_rows = self._write_rows(thread_id, ns, parent_id or "", writes_to_store(parent_id, record))
        checkpoint_row = (
            thread_id,
            ns,
            cp.id,
            parent_id,
            record.metadata.get("step", 0),
            record.metadata.get("source", "loop"),
            cp.ts,
            json.dumps(list(record.next)),
            json.dumps(cp.channel_versions, sort_keys=True),
            json.dumps(cp.versions_seen, sort_keys=True),
            self.serde.dumps(cp.pending_sends).decode(),
            self.serde.dumps(record.metadata).decode(),
        )
        statements: list[tuple[str, list[tuple[Any, ...]]]] = []
        if write_rows:
            statements.append((_PUT_WRITE, write_rows))
        statements.append(("INSERT OR IGNORE INTO channel_values VALUES (?, ?, ?, ?, ?)", value_rows))
        statements.append((_PUT_CHECKPOINT, [checkpoint_row]))
        if tracks_thread(ns):
            status = status_after(record)
            statements.append((_UPSERT_THREAD, [(thread_id, cp.id, checkpoint_row[4], cp.ts, cp.ts, status)]))
        await self._transaction(statements)
        return checkpoint_config(thread_id, ns, cp.id)

    async def aput_writes(self, config: RunnableConfig, writes: Sequence[PendingWrite]) -> None:
        rows = self._pending_rows(config, writes)
        if rows:
            await self._transaction([(_PUT_WRITE, rows)])

    async def arecord_interrupt(self, config: RunnableConfig, *, at: str | None = None) -> None:
        if tracks_thread(config_checkpoint_ns(config)):
            await self._transaction([(_MARK_INTERRUPTED, [(at or utc_now(), config_thread_id(config))])])

    async def arecord_error(
        self, config: RunnableConfig, error: dict[str, str], writes: Sequence[PendingWrite] = (),
        *, at: str | None = None,
    ) -> None:
        now = at or utc_now()
        thread_row = (config_thread_id(config), now, now, self.serde.dumps(error).decode())
        statements = [(_PUT_WRITE, rows)] if (rows := self._pending_rows(config, writes)) else []
        if tracks_thread(config_checkpoint_ns(config)):  # a subgraph's failure: its parent's marks the thread
            statements.append((_MARK_FAILED, [thread_row]))
        if statements:
            await self._transaction(statements)

    def _pending_rows(self, config: RunnableConfig, writes: Sequence[PendingWrite]) -> list[tuple]:
        checkpoint_id = config_checkpoint_id(config)
        if checkpoint_id is None:
            return []
        return self._write_rows(config_thread_id(config), config_checkpoint_ns(config), checkpoint_id, writes)

    async def _transaction(self, statements: list[tuple[str, list[tuple]]]) -> None:
        """Run ``statements`` (``(sql, rows)``, each an ``executemany``) as one ``BEGIN
        IMMEDIATE`` transaction, in one call on the connection's thread: one round trip, where a
        statement at a time was six a super-step, and a cancelled caller cannot leave the
        transaction half done (it commits or rolls back on that thread all the same)."""
        async with self._lock:
            hop = thread_hop(self.conn)
            if hop is not None:
                await hop(_run_transaction, statements)
                return
            await self.conn.execute("BEGIN IMMEDIATE")  # an aiosqlite without them: a statement a call
            try:
                for sql, rows in statements:
                    await self.conn.executemany(sql, rows)
                await self.conn.execute("COMMIT")
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise


def thread_hop(conn: aiosqlite.Connection) -> Callable[..., Awaitable[Any]] | None:
    """``hop(fn, *args)`` running ``fn(sqlite3_connection, *args)`` on the connection's own
    thread in one call (aiosqlite's internal ``_execute``, the hop its public methods make),
    or None for an aiosqlite that lacks it."""
    run_on_thread, raw = getattr(conn, "_execute", None), getattr(conn, "_conn", None)
    if run_on_thread is None or raw is None:
        return None
    return lambda fn, *args: run_on_thread(fn, raw, *args)


def _run_transaction(db: sqlite3.Connection, statements: list[tuple[str, list[tuple]]]) -> None:
    db.execute("BEGIN IMMEDIATE")
    try:
        for sql, rows in statements:
            db.executemany(sql, rows)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


_PUT_WRITE = "INSERT OR REPLACE INTO pending_writes VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_PUT_CHECKPOINT = (
    "INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, step, source, "
    "created_at, next_nodes, channel_versions, versions_seen, pending_sends, metadata) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPSERT_THREAD = (
    "INSERT INTO threads (thread_id, checkpoint_count, latest_checkpoint_id, latest_step, created_at, "
    "updated_at, status, error) VALUES (?, 1, ?, ?, ?, ?, ?, NULL) ON CONFLICT(thread_id) DO UPDATE SET "
    "checkpoint_count = checkpoint_count + 1, latest_checkpoint_id = excluded.latest_checkpoint_id, "
    "latest_step = excluded.latest_step, updated_at = excluded.updated_at, status = excluded.status, "
    "error = NULL"
)
_MARK_INTERRUPTED = "UPDATE threads SET status = 'interrupted', updated_at = ? WHERE thread_id = ?"
_MARK_FAILED = (
    "INSERT INTO threads (thread_id, checkpoint_count, created_at, updated_at, status, error) "
    "VALUES (?, 0, ?, ?, 'error', ?) ON CONFLICT(thread_id) DO UPDATE SET "
    "status = 'error', error = excluded.error, updated_at = excluded.updated_at"
)
