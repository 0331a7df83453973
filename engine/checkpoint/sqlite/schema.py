"""The retrace checkpoint database: its schema, its migrations, and opening a file safely.

A retrace database is SQLite with ``PRAGMA application_id`` set to :data:`APPLICATION_ID` and
``PRAGMA user_version`` set to the number of migrations applied. Opening checks both before
changing anything, so a foreign file or one from a newer retrace is refused untouched.
"""

from __future__ import annotations

import asyncio
import sqlite3
import stat
import time
from pathlib import Path

import aiosqlite

from engine.errors import (
    CheckpointStoreError,
    NotARetraceDatabaseError,
    SchemaTooNewError,
)

APPLICATION_ID = 0x52545243  # "RTRC"
BUSY_TIMEOUT_MS = 5000

MIGRATIONS: tuple[str, ...] = (
    # 1: threads, checkpoints, channel values per version, pending writes, database facts.
    """
    CREATE TABLE retrace_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE threads (
        thread_id TEXT PRIMARY KEY,
        checkpoint_count INTEGER NOT NULL DEFAULT 0,
        latest_checkpoint_id TEXT,
        latest_step INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('done', 'interrupted', 'error', 'pending')),
        error TEXT
    );
    CREATE INDEX threads_by_update ON threads (updated_at DESC);
    CREATE TABLE checkpoints (
        thread_id TEXT NOT NULL,
        checkpoint_ns TEXT NOT NULL DEFAULT '',
        checkpoint_id TEXT NOT NULL,
        parent_checkpoint_id TEXT,
        step INTEGER NOT NULL,
        source TEXT NOT NULL,
        created_at TEXT NOT NULL,
        next_nodes TEXT NOT NULL,
        channel_versions TEXT NOT NULL,
        versions_seen TEXT NOT NULL,
        pending_sends TEXT NOT NULL,
        metadata TEXT NOT NULL,
        PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
    ) WITHOUT ROWID;
    CREATE TABLE channel_values (
        thread_id TEXT NOT NULL,
        checkpoint_ns TEXT NOT NULL DEFAULT '',
        channel TEXT NOT NULL,
        version TEXT NOT NULL,
        value BLOB NOT NULL,
        PRIMARY KEY (thread_id, checkpoint_ns, channel, version)
    ) WITHOUT ROWID;
    CREATE TABLE pending_writes (
        thread_id TEXT NOT NULL,
        checkpoint_ns TEXT NOT NULL DEFAULT '',
        checkpoint_id TEXT NOT NULL,
        task_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        task_name TEXT NOT NULL,
        channel TEXT NOT NULL,
        value BLOB NOT NULL,
        PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
    ) WITHOUT ROWID;
    """,
    # 2: the memory store (engine.store.sqlite). `namespace` is the labels joined by ".", which
    # no label holds; `write_order` is the store's write sequence (search: newest first); the
    # JSON `value` comes last, so reading the other columns never walks a large value's pages.
    """
    CREATE TABLE store_items (
        namespace TEXT NOT NULL,
        key TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        write_order INTEGER NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (namespace, key)
    ) WITHOUT ROWID;
    CREATE INDEX store_items_by_write ON store_items (write_order);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
OLDEST_READABLE_VERSION = 1
"""Readers read every schema from this one up: later migrations only add tables, and a reader
finds an added table missing and reads nothing from it (it never migrates: that writes)."""


def check_file(path: Path) -> None:
    """Refuse a path that is missing, empty, or not a regular file (a FIFO or device would block
    the open). Only ``stat``: the file is never opened here, because closing a descriptor of a
    database drops every POSIX lock this process holds on it, including those of SQLite
    connections already open on it (a writer elsewhere then checkpoints and deletes the WAL
    under them, and they read a healthy file as "malformed"). SQLite reads the header itself.

    Raises:
        NotARetraceDatabaseError: the file does not exist, cannot be looked at, is a directory,
            a FIFO, socket or device, or is empty.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise NotARetraceDatabaseError(f"{path}: no such file; check the path") from None
    except OSError as exc:
        raise NotARetraceDatabaseError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise NotARetraceDatabaseError(f"{path}: is a directory, not a checkpoint database")
    if not stat.S_ISREG(info.st_mode):
        raise NotARetraceDatabaseError(
            f"{path}: not a regular file (a FIFO, socket or device); give the path of a checkpoint database file"
        )
    if info.st_size == 0:
        raise NotARetraceDatabaseError(f"{path}: {_NOT_SQLITE}")


_NOT_SQLITE = "not a SQLite database; give the path of a retrace checkpoint database"
_SQLITE_NOTADB = 26


async def open_database(path: str | Path) -> aiosqlite.Connection:
    """Open a retrace database for writing, making or upgrading it; return the connection.

    The connection is in autocommit mode (``isolation_level=None``) with a ``busy_timeout`` of
    :data:`BUSY_TIMEOUT_MS` ms, in WAL mode; writers use ``BEGIN IMMEDIATE``. ``":memory:"``
    opens a private in-memory database. Readers use
    :func:`~engine.checkpoint.sqlite.readonly.open_read_only` instead, which never changes the file.

    Raises:
        NotARetraceDatabaseError: not SQLite, damaged, or a SQLite database of another
            application. The file is not modified.
        SchemaTooNewError: written by a newer retrace (``user_version`` above ours).
        CheckpointStoreError: SQLite cannot open the path.
    """
    memory = str(path) == ":memory:"
    if not memory:
        path = Path(path)
        if not path.exists() or path.stat().st_size == 0:
            path.parent.mkdir(parents=True, exist_ok=True)
        else:
            check_file(path)
        uri = f"{path.resolve().as_uri()}?mode=rwc"
    else:
        uri = "file::memory:"
    try:
        conn = await aiosqlite.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise CheckpointStoreError(f"{path}: cannot open ({exc})") from exc
    try:
        await check_database(conn, path, create=True)
    except BaseException:
        await conn.close()
        raise
    return conn


async def _pragma(conn: aiosqlite.Connection, name: str) -> int:
    async with conn.execute(f"PRAGMA {name}") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def check_database(conn: aiosqlite.Connection, path: object, *, create: bool) -> None:
    """Refuse a file that is not a retrace database of a schema this retrace can use; with
    ``create`` also switch it to WAL and apply the missing migrations (without, change nothing).

    Raises:
        NotARetraceDatabaseError, SchemaTooNewError: as :func:`open_database` says; without
            ``create`` also for a schema older than :data:`OLDEST_READABLE_VERSION`, and for an
            empty file (an interrupted creation).
    """
    # Before the first read: a file another connection is writing makes this one wait, not fail.
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    try:
        application_id = await _pragma(conn, "application_id")
        version = await _pragma(conn, "user_version")
        async with conn.execute("SELECT count(*) FROM sqlite_schema") as cursor:
            (table_count,) = await cursor.fetchone()
    except sqlite3.DatabaseError as exc:
        if "locked" in str(exc):
            raise CheckpointStoreError(
                f"{path}: locked by another connection for more than {BUSY_TIMEOUT_MS // 1000} s; try again"
            ) from exc
        if getattr(exc, "sqlite_errorcode", None) == _SQLITE_NOTADB:
            raise NotARetraceDatabaseError(f"{path}: {_NOT_SQLITE}") from exc
        reason = str(exc)[:300]  # SQLite quotes the file (schema names): shown neutralised, cut
        raise NotARetraceDatabaseError(f"{path}: damaged or not a SQLite database ({reason})") from exc
    if application_id != APPLICATION_ID:
        if not create and not table_count and not application_id:
            raise NotARetraceDatabaseError(
                f"{path}: an empty SQLite database with no tables: most likely a checkpoint "
                "database whose creation was interrupted (the writer was killed before its first "
                "checkpoint). It holds nothing to show: run the graph again on it (AsyncSqliteSaver "
                "finishes making it), or delete it"
            )
        # A non-zero application_id marks the file as another program's, even with no tables yet.
        if table_count or application_id or not create:
            raise NotARetraceDatabaseError(
                f"{path}: a SQLite database, but not one retrace wrote "
                "(open a database made by retrace or by a graph compiled with AsyncSqliteSaver)"
            )
    elif version > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"{path}: written by a newer retrace (schema version {version}; this retrace knows "
            f"up to {SCHEMA_VERSION}); upgrade retrace to open it"
        )
    if not create:
        # A reader changes nothing in the file: no journal-mode switch, no migration.
        if version < OLDEST_READABLE_VERSION:
            raise NotARetraceDatabaseError(
                f"{path}: schema version {version} is older than this retrace reads "
                f"({OLDEST_READABLE_VERSION} to {SCHEMA_VERSION}); open it once with "
                "AsyncSqliteSaver.open() to upgrade it"
            )
        await conn.execute("PRAGMA query_only = ON")
        return
    if path != ":memory:":
        await _use_wal(conn)
        await conn.execute("PRAGMA synchronous = NORMAL")
    await migrate(conn, from_version=version if application_id == APPLICATION_ID else 0)


async def _use_wal(conn: aiosqlite.Connection) -> None:
    """Switch the file to WAL. SQLite does not wait on its busy timeout for this switch: when
    another connection opening the same new file holds a lock (both open it at once), it says
    "database is locked" at once, so the switch is tried again for up to the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            await conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


async def migrate(conn: aiosqlite.Connection, *, from_version: int) -> None:
    """Apply the migrations after ``from_version``; each commits with its version bump.

    Another connection may be migrating the same file (a saver and a store opened together):
    the version is read again once the write lock is held, and a migration already applied
    is skipped.
    """
    for number, script in enumerate(MIGRATIONS[from_version:], start=from_version + 1):
        statements = [s.strip() for s in script.split(";") if s.strip()]
        await conn.execute("BEGIN IMMEDIATE")
        try:
            if await _pragma(conn, "user_version") >= number:
                await conn.execute("COMMIT")
                continue
            for statement in statements:
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {number}")
            # Marked as ours in the same transaction, so a half-made file is never "ours".
            await conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            await conn.execute("COMMIT")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
