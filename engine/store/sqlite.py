"""The memory store in a retrace SQLite database: the same file as the checkpoints.

``AsyncSqliteStore`` (aiosqlite) and ``SqliteStore`` (for sync code), as LangGraph's
``langgraph.store.sqlite`` pair, in the table ``store_items`` (schema migration 2, see
:mod:`engine.checkpoint.sqlite.schema`). A store and a checkpoint saver may be open on one
file at once, in one process or several: each has its own connection, the file is in WAL mode
(readers never wait) and writers wait up to the busy timeout for each other.

Each put is one ``BEGIN IMMEDIATE`` transaction: the version is read and the row written while
the file's write lock is held, so ``expected_version`` is checked atomically across
connections and processes. Every key, label and filter operand is a bound parameter.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from engine.checkpoint.sqlite.schema import open_database
from engine.errors import CheckpointStoreError
from engine.store.base import BaseStore, ConflictError, Item, SearchItem
from engine.store.checks import (
    NAMESPACE_SEPARATOR,
    Clock,
    NamespaceQuery,
    default_clock,
    now_utc,
)
from engine.store.filters import Condition, filter_sql
from engine.sync import run_sync

T = TypeVar("T")

__all__ = ["AsyncSqliteStore", "SqliteStore"]

_COLUMNS = "s.namespace, s.key, s.value, s.version, s.created_at, s.updated_at"
_UPSERT = (
    "INSERT INTO store_items (namespace, key, value, version, created_at, updated_at, write_order) "
    "VALUES (?, ?, ?, 1, ?, ?, (SELECT coalesce(max(write_order), 0) + 1 FROM store_items)) "
    "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, version = version + 1, "
    "updated_at = excluded.updated_at, write_order = excluded.write_order"
)


def _namespace_text(namespace: tuple[str, ...]) -> str:
    return NAMESPACE_SEPARATOR.join(namespace)


def _prefix_sql(prefix: tuple[str, ...]) -> tuple[str, list[str]]:
    """SQL matching the namespaces that start with ``prefix`` (``"1"`` for none): the namespace
    itself, or a text range. No label holds the separator ``"."``, so exactly the namespaces
    under ``prefix`` sort from ``"<prefix>."`` up to ``"<prefix>/"`` (``"/"`` follows ``"."``),
    with no LIKE pattern to escape."""
    if not prefix:
        return "1", []
    text = _namespace_text(prefix)
    after = chr(ord(NAMESPACE_SEPARATOR) + 1)
    return (
        "(s.namespace = ? OR (s.namespace >= ? AND s.namespace < ?))",
        [text, text + NAMESPACE_SEPARATOR, text + after],
    )


class AsyncSqliteStore(BaseStore):
    """The store on one aiosqlite connection to a retrace database; use the async methods
    (``aput``, ``aget``, ``adelete``, ``asearch``, ``alist_namespaces``)::

        async with AsyncSqliteStore.from_conn_string("runs.db") as store:
            await store.aput(("users", "u1"), "prefs", {"theme": "dark"})

    Its sync methods (``put``, ``get``, ...) work from another thread than the one its event
    loop runs on, as a sync node's (the engine runs those in worker threads): the call runs on
    the store's loop and blocks until it is done, as LangGraph's async stores do. Called on
    the store's own loop they raise ``RuntimeError`` (it would wait on itself); use the
    a-methods there, or :class:`SqliteStore` from sync code.
    ``clock``: as :class:`~engine.store.memory.InMemoryStore`'s.
    """

    def __init__(self, conn: aiosqlite.Connection, *, clock: Clock | None = None) -> None:
        self.conn = conn
        self._clock = clock or default_clock
        self._lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    async def open(cls, path: str | Path, *, clock: Clock | None = None) -> AsyncSqliteStore:
        """Open or create the retrace database at ``path`` (``":memory:"``: a private one),
        adding the store's table to an older one.

        Raises:
            NotARetraceDatabaseError, SchemaTooNewError: the file is not a retrace database,
                or is from a newer retrace; it is left untouched.
            CheckpointStoreError: SQLite cannot open it.
        """
        store = cls(await open_database(path), clock=clock)
        store._loop = asyncio.get_running_loop()
        return store

    @classmethod
    @asynccontextmanager
    async def from_conn_string(cls, path: str | Path, *, clock: Clock | None = None) -> AsyncIterator[AsyncSqliteStore]:
        """:meth:`open`, closed on leaving the ``async with`` block (as LangGraph's)."""
        store = await cls.open(path, clock=clock)
        try:
            yield store
        finally:
            await store.close()

    async def close(self) -> None:
        await self.conn.close()

    async def setup(self) -> None:
        """Nothing to do: the table is made when the database is opened (LangGraph compatibility)."""

    async def _fetchall(self, sql: str, params: list[Any] | tuple[Any, ...]) -> list[Any]:
        return list(await self.conn.execute_fetchall(sql, params))  # one hop to its thread

    async def _awrite(self, namespace: tuple[str, ...], key: str, text: str | None, expected: int | None) -> None:
        ns = _namespace_text(namespace)
        now = None if text is None else now_utc(self._clock).isoformat()
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                rows = await self._fetchall(
                    "SELECT version FROM store_items WHERE namespace = ? AND key = ?", (ns, key)
                )
                found = int(rows[0][0]) if rows else 0
                if expected is not None and found != expected:
                    raise ConflictError(namespace, key, expected, found)
                if text is None:
                    await self.conn.execute("DELETE FROM store_items WHERE namespace = ? AND key = ?", (ns, key))
                else:
                    await self.conn.execute(_UPSERT, (ns, key, text, now, now))
                await self.conn.execute("COMMIT")
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise

    async def _aread(self, namespace: tuple[str, ...], key: str) -> Item | None:
        async with self._lock:
            rows = await self._fetchall(
                f"SELECT {_COLUMNS} FROM store_items AS s WHERE s.namespace = ? AND s.key = ?",
                (_namespace_text(namespace), key),
            )
        return _item(rows[0], Item) if rows else None

    async def _asearch(
        self, prefix: tuple[str, ...], conditions: tuple[Condition, ...], limit: int, offset: int
    ) -> list[SearchItem]:
        where, params = _prefix_sql(prefix)
        matching, filter_params = filter_sql(conditions, "s.value")
        async with self._lock:
            rows = await self._fetchall(
                f"SELECT {_COLUMNS} FROM store_items AS s WHERE {where} AND {matching} "
                "ORDER BY s.write_order DESC LIMIT ? OFFSET ?",
                [*params, *filter_params, limit, offset],
            )
        return [_item(row, SearchItem) for row in rows]

    async def _alist(self, query: NamespaceQuery) -> list[tuple[str, ...]]:
        where, params = _prefix_sql(query.lead())
        async with self._lock:
            rows = await self._fetchall(f"SELECT DISTINCT s.namespace FROM store_items AS s WHERE {where}", params)
        return query.select(tuple(row[0].split(NAMESPACE_SEPARATOR)) for row in rows)

    def _on_own_loop(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop the store was opened on, from another thread."""
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is None or loop.is_closed() or running is loop:
            coro.close()
            raise RuntimeError(
                f"{type(self).__name__}'s sync methods were called on its own event loop; await its "
                "a-methods (aput, aget, adelete, asearch, alist_namespaces) there, or use SqliteStore "
                "from sync code"
            )
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    def _write(self, namespace: tuple[str, ...], key: str, text: str | None, expected: int | None) -> None:
        self._on_own_loop(self._awrite(namespace, key, text, expected))

    def _read(self, namespace: tuple[str, ...], key: str) -> Item | None:
        return self._on_own_loop(self._aread(namespace, key))

    def _search(
        self, prefix: tuple[str, ...], conditions: tuple[Condition, ...], limit: int, offset: int
    ) -> list[SearchItem]:
        return self._on_own_loop(self._asearch(prefix, conditions, limit, offset))

    def _list(self, query: NamespaceQuery) -> list[tuple[str, ...]]:
        return self._on_own_loop(self._alist(query))


def _item(row: tuple, cls: type[Item]) -> Any:
    namespace, key, text, version, created_at, updated_at = row
    try:
        value = json.loads(text)
        return cls(
            namespace=tuple(namespace.split(NAMESPACE_SEPARATOR)),
            key=key,
            value=value,
            created_at=datetime.fromisoformat(created_at),
            updated_at=datetime.fromisoformat(updated_at),
            version=int(version),
        )
    except (TypeError, ValueError, AttributeError) as exc:
        raise CheckpointStoreError(
            f"store item {str(key)[:200]!r} in namespace {str(namespace)[:200]!r} is damaged ({str(exc)[:200]})"
        ) from exc


class SqliteStore(AsyncSqliteStore):
    """The same store for sync code (``put``, ``get``, ``delete``, ``search``,
    ``list_namespaces``), as LangGraph's ``SqliteStore``::

        with SqliteStore.from_conn_string("runs.db") as store:
            store.put(("users", "u1"), "prefs", {"theme": "dark"})

    Its connection lives on the engine's background event loop (:mod:`engine.sync`), as
    :class:`~engine.checkpoint.sqlite.SqliteSaver`'s does, and every sync call runs the async
    code there.
    """

    @classmethod
    @contextmanager
    def from_conn_string(  # type: ignore[override]
        cls, path: str | Path, *, clock: Clock | None = None
    ) -> Iterator[SqliteStore]:
        """Open or create the database at ``path`` and close it on leaving the ``with`` block.

        Raises:
            NotARetraceDatabaseError, SchemaTooNewError, CheckpointStoreError: as
                :meth:`AsyncSqliteStore.open`.
            RuntimeError: called from a node or router the engine is running.
        """
        store = run_sync(cls.open(path, clock=clock))
        try:
            yield store  # type: ignore[misc]
        finally:
            run_sync(store.close())
