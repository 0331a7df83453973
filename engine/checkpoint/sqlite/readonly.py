"""Open a checkpoint database for reading without ever changing it.

A reader opens the file with SQLite's ``mode=ro`` and ``PRAGMA query_only``: it never
checkpoints a leftover ``-wal`` into the main file and never deletes ``-wal``/``-shm``, yet sees
every committed transaction, those still only in a ``-wal`` included. SQLite needs a ``-shm`` to
read a WAL database, which a read-only directory cannot hold; then (found by trying, case by case):

- no ``-wal`` (or an empty one) beside the file: open it ``immutable=1``: there is nothing else
  to read, and no writer of this user can start there (one with more rights could; a reader
  opened again, as the debugger's reload does, sees what it wrote);
- a ``-wal`` without a ``-shm``: copy both into a private temporary directory and read the copy,
  a snapshot of the moment it was opened (``how == "snapshot"``; reopen to take a new one).

With a ``-shm`` present the plain read-only open works, even in a read-only directory.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import aiosqlite

from engine.checkpoint.sqlite.schema import check_database, check_file
from engine.errors import CheckpointStoreError

_CANTOPEN, _READONLY = 14, 8
"""Primary SQLite result codes that mean "cannot set up the WAL index here"."""
_PROBE = "SELECT count(*) FROM sqlite_schema"

OpenedAs = Literal["shared", "immutable", "snapshot"]
"""How a read-only database was opened (see :class:`ReadOnlyDatabase`)."""


@dataclass
class ReadOnlyDatabase:
    """A read-only connection and how it was made.

    Attributes:
        conn: the connection (autocommit, ``query_only``).
        how: ``"shared"`` (the file itself, seeing other processes' writes as they commit),
            ``"immutable"`` (the file itself, in a read-only directory, with no WAL to read) or
            ``"snapshot"`` (a private copy of the file and its ``-wal``, taken at open).
        snapshot_dir: the copy's temporary directory, removed by :meth:`close`.
    """

    conn: aiosqlite.Connection
    how: OpenedAs
    snapshot_dir: Path | None = None

    async def close(self) -> None:
        try:
            await self.conn.close()
        finally:
            if self.snapshot_dir is not None:
                shutil.rmtree(self.snapshot_dir, ignore_errors=True)


async def _connect(path: Path, options: str) -> aiosqlite.Connection:
    try:
        return await aiosqlite.connect(f"{path.resolve().as_uri()}?{options}", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise CheckpointStoreError(f"{path}: cannot open ({str(exc)[:300]})") from exc


async def _probe(conn: aiosqlite.Connection) -> sqlite3.Error | None:
    """The error reading the schema raises (None: it can be read)."""
    try:
        async with conn.execute(_PROBE) as cursor:
            await cursor.fetchone()
    except sqlite3.Error as exc:
        return exc
    return None


def _needs_private_index(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (_CANTOPEN, _READONLY)


def _snapshot(path: Path) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="retrace-snapshot-"))
    try:
        shutil.copyfile(path, folder / path.name)
        shutil.copyfile(f"{path}-wal", folder / f"{path.name}-wal")
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


async def open_read_only(path: str | Path) -> ReadOnlyDatabase:
    """Open an existing retrace database read-only; the file and its ``-wal``/``-shm`` are never
    changed or deleted. A refused file that has no ``-wal`` gets nothing created beside it; one
    that opens, or has a ``-wal``, may get the ``-shm`` (and empty ``-wal``) SQLite needs to read
    a WAL database, where the directory allows.

    Raises:
        NotARetraceDatabaseError: missing, not a regular file, not SQLite, damaged, another
            application's, an older schema, or an empty file (an interrupted creation).
        SchemaTooNewError: written by a newer retrace.
        CheckpointStoreError: SQLite cannot open it at all.
    """
    shown = Path(path)
    check_file(shown)
    path = shown.resolve()  # SQLite finds the -wal beside the real file, not beside a link
    wal = Path(f"{path}-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        # With no WAL the main file says it all: check it through a connection that creates
        # nothing, so a refused file with no -wal is left with no -shm or -wal beside it.
        probe = await _connect(path, "mode=ro&immutable=1")
        try:
            await check_database(probe, shown, create=False)
        finally:
            await probe.close()
    database = ReadOnlyDatabase(await _connect(path, "mode=ro"), "shared")
    try:
        error = await _probe(database.conn)
        if error is not None and _needs_private_index(error):  # only a WAL database needs an index
            await database.conn.close()
            if not wal.exists() or wal.stat().st_size == 0:
                database = ReadOnlyDatabase(await _connect(path, "mode=ro&immutable=1"), "immutable")
            else:
                try:
                    folder = await asyncio.to_thread(_snapshot, path)
                except OSError as exc:
                    raise CheckpointStoreError(f"{path}: cannot read its -wal ({exc.strerror or exc})") from exc
                try:
                    database = ReadOnlyDatabase(await _connect(folder / path.name, "mode=ro"), "snapshot", folder)
                except BaseException:
                    shutil.rmtree(folder, ignore_errors=True)
                    raise
        await check_database(database.conn, shown, create=False)
    except BaseException:
        await database.close()
        raise
    return database
