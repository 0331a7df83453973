"""Opening checkpoint databases: our own (file and ``:memory:``), newer ones, foreign ones and
non-databases. A database that is refused must be left byte-for-byte as it was."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from engine.checkpoint.sqlite import AsyncSqliteSaver, CheckpointReader
from engine.checkpoint.sqlite.schema import APPLICATION_ID, SCHEMA_VERSION
from engine.errors import NotARetraceDatabaseError, SchemaTooNewError
from sample_graphs import chat


def fingerprint(path: Path) -> tuple[str, list[str]]:
    """The file's hash and the names of the files beside it (no -wal/-journal left behind)."""
    return hashlib.sha256(path.read_bytes()).hexdigest(), sorted(p.name for p in path.parent.iterdir())


def pragmas(path: Path) -> tuple[int, int, str]:
    conn = sqlite3.connect(path)
    try:
        names = ("application_id", "user_version", "journal_mode")
        return tuple(conn.execute(f"PRAGMA {name}").fetchone()[0] for name in names)
    finally:
        conn.close()


async def make_retrace_db(path: Path) -> None:
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        graph = chat.graph.compile(checkpointer=saver)
        await graph.ainvoke(chat.CONVERSATIONS["alice_session_1"], {"configurable": {"thread_id": "alice"}})


async def assert_refused(path: Path, error: type[Exception]) -> None:
    """Both ways of opening ``path`` raise ``error`` and leave the file as it was."""
    before = fingerprint(path)
    with pytest.raises(error):
        await AsyncSqliteSaver.open(path)
    with pytest.raises(error):
        await CheckpointReader.open(path)
    assert fingerprint(path) == before


async def test_new_file_database_is_marked_migrated_and_in_wal_mode(tmp_path):
    path = tmp_path / "new" / "runs.db"  # the parent folder is made too
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        async with saver.conn.execute("PRAGMA journal_mode") as cursor:
            assert (await cursor.fetchone())[0] == "wal"
        rows = await saver.conn.execute_fetchall("SELECT name FROM sqlite_schema WHERE type = 'table'")
    tables = {row[0] for row in rows}
    assert {"threads", "checkpoints", "channel_values", "pending_writes", "retrace_meta"} <= tables
    assert pragmas(path) == (APPLICATION_ID, SCHEMA_VERSION, "wal")


async def test_existing_database_reopens_with_its_data(tmp_path):
    path = tmp_path / "runs.db"
    await make_retrace_db(path)

    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        graph = chat.graph.compile(checkpointer=saver)
        values = (await graph.aget_state({"configurable": {"thread_id": "alice"}})).values
    async with await CheckpointReader.open(path) as reader:
        (thread,) = await reader.list_threads()

    assert values["user_name"] == "Alice"
    assert (thread.thread_id, thread.status, thread.checkpoint_count) == ("alice", "done", 3)


async def test_memory_database_works():
    async with AsyncSqliteSaver.from_conn_string(":memory:") as saver:
        graph = chat.graph.compile(checkpointer=saver)
        result = await graph.ainvoke(chat.CONVERSATIONS["bob_session_1"], {"configurable": {"thread_id": "bob"}})
        threads = await saver.reader.list_threads()
    assert result["topic"] == "Rust"
    assert [t.thread_id for t in threads] == ["bob"]


async def test_database_from_a_newer_retrace_is_refused_untouched(tmp_path):
    path = tmp_path / "newer.db"
    await make_retrace_db(path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()

    await assert_refused(path, SchemaTooNewError)
    assert pragmas(path)[:2] == (APPLICATION_ID, SCHEMA_VERSION + 1)


async def test_newer_error_message_says_to_upgrade(tmp_path):
    path = tmp_path / "newer.db"
    await make_retrace_db(path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()

    with pytest.raises(SchemaTooNewError, match=rf"schema version {SCHEMA_VERSION + 5}.*upgrade"):
        await CheckpointReader.open(path)


async def test_non_sqlite_file_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("just some notes, not a database\n" * 50)

    await assert_refused(path, NotARetraceDatabaseError)


async def test_damaged_sqlite_file_is_refused_untouched(tmp_path):
    path = tmp_path / "damaged.db"
    path.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 8)

    await assert_refused(path, NotARetraceDatabaseError)


async def test_foreign_sqlite_database_is_refused_untouched(tmp_path):
    path = tmp_path / "foreign.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO users (name) VALUES ('ada')")
    conn.commit()
    conn.close()

    await assert_refused(path, NotARetraceDatabaseError)
    assert pragmas(path)[:2] == (0, 0)


async def test_empty_sqlite_database_of_another_application_is_refused(tmp_path):
    path = tmp_path / "marked.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 305419896")  # someone else's, no tables yet
    conn.execute("PRAGMA user_version = 3")
    conn.close()

    await assert_refused(path, NotARetraceDatabaseError)


async def test_reader_refuses_a_missing_file_without_creating_it(tmp_path):
    path = tmp_path / "missing.db"

    with pytest.raises(NotARetraceDatabaseError, match="no such file"):
        await CheckpointReader.open(path)

    assert not path.exists()


async def test_reader_refuses_a_directory(tmp_path):
    with pytest.raises(NotARetraceDatabaseError, match="directory"):
        await CheckpointReader.open(tmp_path)


async def test_opening_a_file_another_connection_holds_locked_waits_for_it(tmp_path) -> None:
    import sqlite3
    import threading

    from engine.checkpoint.sqlite import AsyncSqliteSaver

    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # a new file, locked by another connection
    release = threading.Timer(0.5, holder.execute, args=("COMMIT",))
    release.start()
    try:
        async with AsyncSqliteSaver.from_conn_string(path) as saver:  # waits, then creates the schema
            assert await saver.aget_tuple({"configurable": {"thread_id": "t"}}) is None
    finally:
        release.join()
        holder.close()
