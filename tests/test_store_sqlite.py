"""The SQLite store in the checkpoint database: beside a saver on one file, the migration from
schema 1, the debugger's read side, refused files, and optimistic concurrency across processes."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import TypedDict

import pytest

from engine.checkpoint.serde import Undecodable
from engine.checkpoint.sqlite import AsyncSqliteSaver, CheckpointReader, schema
from engine.checkpoint.sqlite.rows import Limits
from engine.errors import NotARetraceDatabaseError, SchemaTooNewError
from engine.graph import END, START, StateGraph
from engine.store import BaseStore
from engine.store.sqlite import AsyncSqliteStore, SqliteStore

ROOT = Path(__file__).resolve().parent.parent


class Note(TypedDict):
    note: str


def shout_graph() -> StateGraph:
    graph = StateGraph(Note).add_node("shout", lambda s: {"note": s["note"] + "!"})
    return graph.add_edge(START, "shout").add_edge("shout", END)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pragma(path: Path, name: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    finally:
        conn.close()


async def make_version_1_database(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database as the retrace before the store made it: migration 1 only, one thread."""
    with monkeypatch.context() as patch:
        patch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
        patch.setattr(schema, "SCHEMA_VERSION", 1)
        async with AsyncSqliteSaver.from_conn_string(path) as saver:
            graph = shout_graph().compile(checkpointer=saver)
            await graph.ainvoke({"note": "hi"}, {"configurable": {"thread_id": "t"}})
    assert pragma(path, "user_version") == 1 and "store_items" not in tables(path)


# One file, two writers ----------------------------------------------------------------------


async def test_the_store_and_the_saver_share_one_file_at_the_same_time(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    # Both open (and so migrate) the new file at once.
    saver, store = await asyncio.gather(AsyncSqliteSaver.open(path), AsyncSqliteStore.open(path))
    try:
        graph = shout_graph().compile(checkpointer=saver)

        async def run(i: int) -> None:
            await graph.ainvoke({"note": f"n{i}"}, {"configurable": {"thread_id": f"t{i}"}})

        async def remember(i: int) -> None:
            await store.aput(("memories", f"t{i}"), "note", {"i": i})

        await asyncio.gather(*(f(i) for i in range(5) for f in (run, remember)))
        assert len(await store.asearch(("memories",), limit=100)) == 5
        assert (await graph.aget_state({"configurable": {"thread_id": "t3"}})).values == {"note": "n3!"}
    finally:
        await saver.close()
        await store.close()
    assert pragma(path, "user_version") == schema.SCHEMA_VERSION
    async with await CheckpointReader.open(path) as reader:
        assert len(await reader.list_threads()) == 5
        assert [n.namespace for n in await reader.list_store_namespaces()] == [("memories", f"t{i}") for i in range(5)]


async def test_the_sync_store_writes_while_a_saver_has_the_file_open(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        graph = shout_graph().compile(checkpointer=saver)
        with SqliteStore.from_conn_string(path) as store:
            await graph.ainvoke({"note": "a"}, {"configurable": {"thread_id": "t"}})
            store.put(("m",), "k", {"v": 1})
            await graph.ainvoke({"note": "b"}, {"configurable": {"thread_id": "u"}})
            store.put(("m",), "k", {"v": 2})
            assert store.get(("m",), "k").version == 2
        assert {t.thread_id for t in await saver.reader.list_threads()} == {"t", "u"}


async def test_the_async_store_refuses_sync_calls_on_its_own_loop(tmp_path: Path) -> None:
    async with AsyncSqliteStore.from_conn_string(tmp_path / "s.db") as store:
        with pytest.raises(RuntimeError, match="SqliteStore from sync code"):
            store.put(("m",), "k", {"v": 1})
        with pytest.raises(RuntimeError, match="await its a-methods"):
            store.search(())
        assert await store.asearch(()) == []  # the refused put wrote nothing


async def test_a_sync_node_uses_the_async_store_from_its_worker_thread(tmp_path: Path) -> None:
    def remember(state: Note, store: BaseStore) -> dict:  # sync: the engine runs it in a thread
        store.put(("notes",), "last", {"note": state["note"]})
        return {"note": store.get(("notes",), "last").value["note"] + "!"}

    builder = StateGraph(Note).add_node("remember", remember)
    builder.add_edge(START, "remember").add_edge("remember", END)
    async with AsyncSqliteStore.from_conn_string(tmp_path / "s.db") as store:
        out = await builder.compile(store=store).ainvoke({"note": "hi"})
        assert out == {"note": "hi!"}
        assert (await store.aget(("notes",), "last")).value == {"note": "hi"}


async def test_a_memory_database_holds_a_private_store() -> None:
    async with AsyncSqliteStore.from_conn_string(":memory:") as store:
        await store.aput(("m",), "k", {"v": 1})
        assert (await store.aget(("m",), "k")).value == {"v": 1}


# Schema -------------------------------------------------------------------------------------


async def test_a_version_1_database_is_read_as_is_then_migrated_by_a_writer(tmp_path, monkeypatch) -> None:
    path = tmp_path / "old.db"
    await make_version_1_database(path, monkeypatch)
    before = digest(path)

    async with await CheckpointReader.open(path) as reader:  # the debugger reads it unchanged
        assert [t.thread_id for t in await reader.list_threads()] == ["t"]
        assert await reader.list_store_namespaces() == []
        assert await reader.list_store_items(("m",)) == []
    assert digest(path) == before and pragma(path, "user_version") == 1

    async with AsyncSqliteStore.from_conn_string(path) as store:
        await store.aput(("m",), "k", {"v": 1})
    assert pragma(path, "user_version") == schema.SCHEMA_VERSION == 2
    assert "store_items" in tables(path)
    async with AsyncSqliteSaver.from_conn_string(path) as saver:  # the old checkpoints are all there
        graph = shout_graph().compile(checkpointer=saver)
        assert (await graph.aget_state({"configurable": {"thread_id": "t"}})).values == {"note": "hi!"}
    async with await CheckpointReader.open(path) as reader:
        assert [r.value for r in await reader.list_store_items(("m",))] == [{"v": 1}]


async def test_the_store_refuses_foreign_and_newer_files_untouched(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE store_items (x)")
    conn.commit()
    conn.close()
    newer = tmp_path / "newer.db"
    async with AsyncSqliteStore.from_conn_string(newer) as store:
        await store.aput(("m",), "k", {"v": 1})
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    conn.close()

    for path, error in ((foreign, NotARetraceDatabaseError), (newer, SchemaTooNewError)):
        before = digest(path)
        with pytest.raises(error):
            await AsyncSqliteStore.open(path)
        with pytest.raises(error), SqliteStore.from_conn_string(path):
            pass
        assert digest(path) == before


# The debugger's read side -------------------------------------------------------------------


async def test_the_reader_lists_namespaces_and_items_as_plain_data(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    async with AsyncSqliteStore.from_conn_string(path) as store:
        for key in ("a", "b", "c"):
            await store.aput(("users", "u1"), key, {"key": key})
        await store.aput(("users", "u1"), "a", {"key": "a", "again": True})
        await store.aput(("users",), "x", {"tag": {"__retrace__": "uuid", "value": "not decoded"}})
        await store.aput(("users", "u1", "deep"), "y", {"v": None})
    before = digest(path)

    async with await CheckpointReader.open(path) as reader:
        spaces = await reader.list_store_namespaces()
        assert [(n.namespace, n.item_count) for n in spaces] == [
            (("users",), 1), (("users", "u1"), 3), (("users", "u1", "deep"), 1)]
        assert all(n.updated_at.startswith("20") and not n.damage for n in spaces)
        assert [n.namespace for n in await reader.list_store_namespaces(limit=1, offset=1)] == [("users", "u1")]

        items = await reader.list_store_items(("users", "u1"))
        assert [(r.key, r.version) for r in items] == [("a", 2), ("c", 1), ("b", 1)]  # newest first
        assert items[0].value == {"key": "a", "again": True} and items[0].namespace == ("users", "u1")
        assert items[0].created_at < items[0].updated_at and not items[0].damage
        assert [r.key for r in await reader.list_store_items(("users", "u1"), limit=1, offset=1)] == ["c"]
        (tagged,) = await reader.list_store_items(("users",))
        assert tagged.value == {"tag": {"__retrace__": "uuid", "value": "not decoded"}}  # JSON only
        assert await reader.list_store_items(("nobody",)) == []
    assert digest(path) == before


def hostile_rows(path: Path, rows: list[tuple]) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.executemany(
            "INSERT INTO store_items (namespace, key, version, created_at, updated_at, write_order, value) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        # Text that is not UTF-8 (as a plain sqlite3 client can write it), and a blob namespace.
        conn.execute("INSERT INTO store_items VALUES (CAST(X'68ff2e78' AS TEXT), 'bad utf-8', 1, 't', 't', 9, '{}')")
        conn.execute("INSERT INTO store_items VALUES (X'626c6f62', 'k', 1, 't', 't', 10, '{}')")
    finally:
        conn.close()


async def test_the_reader_marks_damaged_store_rows_and_bounds_values(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    async with AsyncSqliteStore.from_conn_string(path) as store:
        await store.aput(("ok",), "fine", {"v": 1})
    big = json.dumps({"text": "\x1b" + "x" * 5000})
    hostile_rows(path, [
        ("h", "not json", 1, "t", "t", 1, "{nope"),
        ("h", "a list", 1, "t", "t", 2, "[1, 2]"),
        ("h", "huge version", "9e999", "t", "t", 3, "{}"),
        ("h", "too deep", 1, "t", "t", 4, "[" * 500 + "]" * 500),
        ("h", "big", 1, "t", "t", 5, big),
        ("h", b"blob key", 1, b"t", "t", 6, "{}"),
        ("h..x", "empty label", 1, "t", "t", 8, "{}"),
    ])
    before = digest(path)

    async with await CheckpointReader.open(path, limits=Limits(max_value_bytes=1000)) as reader:
        spaces = {n.namespace: n for n in await reader.list_store_namespaces()}
        assert spaces[("h", "", "x")].damage and spaces[("h\udcff", "x")].damage
        assert "blob" in spaces[("blob",)].damage[0]
        rows = {r.key: r for r in await reader.list_store_items(("h",))}
        assert isinstance(rows["not json"].value, Undecodable) and "not valid JSON" in rows["not json"].value.reason
        assert rows["a list"].value == [1, 2] and "not an object" in rows["a list"].damage[0]
        assert rows["huge version"].version == 0 and rows["huge version"].damage
        assert "levels deep" in rows["too deep"].value.reason
        oversized = rows["big"].value
        assert oversized.reason.startswith("too large to read") and oversized.preview.startswith('{"text": "\\u001b')
        assert len(oversized.preview) <= 300
        assert len(rows["blob key"].damage) == 2 and rows["blob key"].created_at == "t"
        (bad,) = await reader.list_store_items(("h\udcff", "x"))  # as list_store_namespaces gave it
        assert bad.key == "bad utf-8"
    async with await CheckpointReader.open(path, limits=Limits(max_read_bytes=10)) as reader:
        rest = (await reader.list_store_items(("h",)))[1:]
        assert all("fill one read" in r.value.reason for r in rest if isinstance(r.value, Undecodable))
        assert any(isinstance(r.value, Undecodable) and "fill one read" in r.value.reason for r in rest)
    assert digest(path) == before


# Two writers in two processes ---------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from engine.store import ConflictError
    from engine.store.sqlite import SqliteStore

    db, folder, name, rounds = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])

    def wait_for(signal):
        deadline = time.monotonic() + 120
        while not (folder / signal).exists():
            if time.monotonic() > deadline:
                sys.exit(f"{name}: no {signal}")
            time.sleep(0.005)

    def report(what, text):
        (folder / f"{name}.{what}.tmp").write_text(text)
        os.replace(folder / f"{name}.{what}.tmp", folder / f"{name}.{what}")

    with SqliteStore.from_conn_string(db) as store:
        for r in range(rounds):
            wait_for(f"read{r}")
            version = store.get(("shared",), "counter").version
            report(f"read{r}", str(version))
            wait_for(f"go{r}")
            try:
                store.put(("shared",), "counter", {"by": name, "round": r}, expected_version=version)
                report(f"done{r}", "ok")
            except ConflictError as e:
                report(f"done{r}", f"conflict {e.namespace[0]} {e.key} {e.expected} {e.found}")
    """
)


def wait_for_file(path: Path, writers: list[subprocess.Popen]) -> str:
    deadline = time.monotonic() + 120  # only so a hang fails: nothing asserts on time
    while not path.exists():
        if any(w.poll() not in (None, 0) for w in writers) or time.monotonic() > deadline:
            errors = [w.communicate()[1] for w in writers if w.poll() is not None]
            pytest.fail(f"a writer stopped or hung waiting for {path.name}: {errors}")
        time.sleep(0.005)
    return path.read_text()


def test_two_processes_writing_over_the_same_version_one_wins_one_conflicts(tmp_path: Path) -> None:
    db, rounds = tmp_path / "shared.db", 5
    with SqliteStore.from_conn_string(db) as store:
        store.put(("shared",), "counter", {"by": "setup"})
    names = ["w1", "w2"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(tmp_path), name, str(rounds)],
                         cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        for name in names
    ]
    try:
        for r in range(rounds):
            (tmp_path / f"read{r}").touch()
            read = {wait_for_file(tmp_path / f"{n}.read{r}", writers) for n in names}
            assert read == {str(r + 1)}  # both read the same version before either writes
            (tmp_path / f"go{r}").touch()
            done = sorted(wait_for_file(tmp_path / f"{n}.done{r}", writers) for n in names)
            assert done == [f"conflict shared counter {r + 1} {r + 2}", "ok"]
        for w in writers:
            assert w.wait(timeout=120) == 0, w.communicate()[1]
    finally:
        for w in writers:
            if w.poll() is None:
                w.kill()
    with SqliteStore.from_conn_string(db) as store:
        item = store.get(("shared",), "counter")
    assert item.version == rounds + 1 and item.value["round"] == rounds - 1
