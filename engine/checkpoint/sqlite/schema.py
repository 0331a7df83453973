"""The retrace checkpoint database: its schema, its migrations, and opening a file safely.

A retrace database is SQLite with ``PRAGMA application_id`` set to :data:`APPLICATION_ID` and
``PRAGMA user_version`` set to the number of migrations applied. Opening checks both before
changing anything, so a foreign file or one from a newer retrace is refused untouched.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite

from engine.errors import CheckpointStoreError, NotARetraceDatabaseError, SchemaTooNewError

APPLICATION_ID = 0x52545243  # "RTRC"
SQLITE_HEADER = b"SQLite format 3\x00"
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
)
SCHEMA_VERSION = len(MIGRATIONS)


def check_file(path: Path) -> None:
    """Refuse a path that is missing or whose first bytes are not a SQLite header.

    Raises:
        NotARetraceDatabaseError: the file does not exist, is a directory, or is not SQLite.
    """
    if not path.exists():
        raise NotARetraceDatabaseError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise NotARetraceDatabaseError(f"{path}: is a directory, not a checkpoint database")
    with path.open("rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise NotARetraceDatabaseError(
            f"{path}: not a SQLite database; give the path of a retrace checkpoint database"
        )


async def open_database(path: str | Path, *, create: bool) -> aiosqlite.Connection:
    """Open (and with ``create``, make or upgrade) a retrace database; return the connection.

    The connection is in autocommit mode (``isolation_level=None``) with a ``busy_timeout`` of
    :data:`BUSY_TIMEOUT_MS` ms; writers use ``BEGIN IMMEDIATE``. With ``create`` the file is put
    in WAL mode and migrated; without it nothing in the file is changed.
    ``":memory:"`` opens a private in-memory database.

    Raises:
        NotARetraceDatabaseError: missing (and not ``create``), not SQLite, damaged, a SQLite
            database of another application, or (not ``create``) an older schema. The file is
            not modified.
        SchemaTooNewError: written by a newer retrace (``user_version`` above ours).
    """
    memory = str(path) == ":memory:"
    if not memory:
        path = Path(path)
        if create and (not path.exists() or path.stat().st_size == 0):
            path.parent.mkdir(parents=True, exist_ok=True)
        else:
            check_file(path)
        uri = f"{path.resolve().as_uri()}?mode={'rwc' if create else 'rw'}"
    else:
        uri = "file::memory:"
    try:
        conn = await aiosqlite.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise CheckpointStoreError(f"{path}: cannot open ({exc})") from exc
    try:
        await _check_and_migrate(conn, path, create=create)
    except BaseException:
        await conn.close()
        raise
    return conn


async def _pragma(conn: aiosqlite.Connection, name: str) -> int:
    async with conn.execute(f"PRAGMA {name}") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _check_and_migrate(conn: aiosqlite.Connection, path: object, *, create: bool) -> None:
    try:
        application_id = await _pragma(conn, "application_id")
        version = await _pragma(conn, "user_version")
        async with conn.execute("SELECT count(*) FROM sqlite_schema") as cursor:
            (table_count,) = await cursor.fetchone()
    except sqlite3.DatabaseError as exc:
        raise NotARetraceDatabaseError(f"{path}: damaged or not a SQLite database ({exc})") from exc
    if application_id != APPLICATION_ID:
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
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if not create:
        # A reader changes nothing in the file: no journal-mode switch, no migration.
        if version < SCHEMA_VERSION:
            raise NotARetraceDatabaseError(
                f"{path}: schema version {version} is older than this retrace's {SCHEMA_VERSION}; "
                "open it once with AsyncSqliteSaver.open() to upgrade it"
            )
        return
    if path != ":memory:":
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
    await migrate(conn, from_version=version if application_id == APPLICATION_ID else 0)


async def migrate(conn: aiosqlite.Connection, *, from_version: int) -> None:
    """Apply the migrations after ``from_version``; each commits with its version bump."""
    for number, script in enumerate(MIGRATIONS[from_version:], start=from_version + 1):
        statements = [s.strip() for s in script.split(";") if s.strip()]
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {number}")
            # Marked as ours in the same transaction, so a half-made file is never "ours".
            await conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            await conn.execute("COMMIT")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
