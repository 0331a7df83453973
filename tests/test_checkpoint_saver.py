"""The checkpoint savers: a step's round trip (both savers), values stored once per version,
the threads table, and one SQLite transaction per super-step."""

from __future__ import annotations

import operator
import sqlite3
from typing import Annotated, TypedDict

import pytest

from engine.checkpoint.base import (
    Checkpoint,
    PendingWrite,
    StepRecord,
    new_checkpoint_id,
    utc_now,
)
from engine.checkpoint.memory import InMemorySaver
from engine.graph import END, START, StateGraph
from engine.pregel.runtime import RunEnv


def cfg(thread_id: str, checkpoint_id: str | None = None, ns: str | None = None) -> dict:
    configurable = {"thread_id": thread_id}
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    if ns is not None:
        configurable["checkpoint_ns"] = ns
    return {"configurable": configurable}


def step_record(values, versions, new_versions, *, step, next=(), writes=(), seen=None) -> StepRecord:
    checkpoint = Checkpoint(
        id=new_checkpoint_id(),
        ts=utc_now(),
        channel_values=values,
        channel_versions=versions,
        versions_seen=seen or {},
    )
    metadata = {"source": "input" if step < 0 else "loop", "step": step, "parents": {}, "writes": {}}
    return StepRecord(checkpoint, metadata, tuple(next), new_versions, tuple(writes))


async def thread_status(saver, thread_id: str) -> str | None:
    if isinstance(saver, InMemorySaver):
        return saver.thread_status.get(thread_id)
    thread = await saver.reader.get_thread(thread_id)
    return thread.status if thread else None


async def test_step_round_trip(saver):
    first = step_record(
        {"const": ("a", 1), "log": [1]}, {"const": "0001", "log": "0001"}, {"const": "0001", "log": "0001"},
        step=-1, next=["node"], seen={"node": {"const": "0001"}},
    )
    write = PendingWrite("task-1", "node", "log", [2], 0)
    second = step_record(
        {"const": ("a", 1), "log": [1, 2]}, {"const": "0001", "log": "0002"}, {"log": "0002"},
        step=0, writes=[write],
    )

    config1 = await saver.aput_step(cfg("t"), first)
    config2 = await saver.aput_step(config1, second)

    assert config1 == cfg("t", first.checkpoint.id, ns="")
    assert config2 == cfg("t", second.checkpoint.id, ns="")
    latest = await saver.aget_tuple(cfg("t"))
    assert latest.checkpoint.id == second.checkpoint.id
    assert latest.checkpoint.channel_values == {"const": ("a", 1), "log": [1, 2]}  # const from v1
    assert latest.checkpoint.channel_versions == {"const": "0001", "log": "0002"}
    assert latest.metadata == second.metadata and latest.next == ()
    assert latest.parent_config == config1 and latest.pending_writes == []
    older = await saver.aget_tuple(config1)
    assert older.checkpoint.channel_values == {"const": ("a", 1), "log": [1]}
    assert older.checkpoint.versions_seen == {"node": {"const": "0001"}}
    assert older.next == ("node",) and older.parent_config is None
    assert older.pending_writes == [write]  # the step's writes, against its parent
    assert await thread_status(saver, "t") == "done"

    assert [t.checkpoint.id async for t in saver.alist(cfg("t"))] == [second.checkpoint.id, first.checkpoint.id]
    assert [t.checkpoint.id async for t in saver.alist(cfg("t"), limit=1)] == [second.checkpoint.id]
    assert [t.checkpoint.id async for t in saver.alist(cfg("t"), before=config2)] == [first.checkpoint.id]
    assert [t async for t in saver.alist(cfg("other"))] == []
    assert [t async for t in saver.alist(cfg("t", ns="sub"))] == []
    assert await saver.aget_tuple(cfg("other")) is None
    assert await saver.aget_tuple(cfg("t", new_checkpoint_id())) is None


async def test_put_writes_and_record_error(saver):
    config = await saver.aput_step(cfg("t"), step_record({"x": 1}, {"x": "1"}, {"x": "1"}, step=-1, next=["n"]))
    assert await thread_status(saver, "t") == "pending"
    error = PendingWrite("task-9", "n", "__error__", {"type": "Boom", "message": "no"}, 0)

    await saver.aput_writes(config, [error])
    await saver.arecord_error(config, {"type": "Boom", "message": "no"})

    assert (await saver.aget_tuple(config)).pending_writes == [error]
    assert await thread_status(saver, "t") == "error"


# --- storage layout (SQLite) --------------------------------------------------------------------


class State(TypedDict):
    topic: str
    log: Annotated[list, operator.add]


def chain(*names: str, fail_in: str | None = None) -> StateGraph:
    def node(name):
        def run(state):
            if name == fail_in:
                raise RuntimeError(f"{name} failed")
            return {"log": [name]}

        return run

    builder = StateGraph(State)
    previous = START
    for name in names:
        builder.add_node(name, node(name))
        builder.add_edge(previous, name)
        previous = name
    builder.add_edge(previous, END)
    return builder


async def count_rows(conn, table: str) -> int:
    (row,) = await conn.execute_fetchall(f"SELECT count(*) FROM {table}")
    return row[0]


async def test_unchanged_channel_is_stored_once(sqlite_saver):
    graph = chain("a", "b", "c").compile(checkpointer=sqlite_saver)
    await graph.ainvoke({"topic": "fixed", "log": []}, cfg("t"))

    rows = dict(await sqlite_saver.conn.execute_fetchall(
        "SELECT channel, count(*) FROM channel_values WHERE thread_id = 't' GROUP BY channel"
    ))

    assert rows["topic"] == 1
    assert rows["log"] == 5  # the default [] (input checkpoint), the input's [], then a, b, c
    history = [s async for s in graph.aget_state_history(cfg("t"))]
    assert len(history) == 5
    assert all(s.values["topic"] == "fixed" for s in history if s.metadata["step"] >= 0)


async def test_threads_table_answers_list_threads_without_checkpoints(sqlite_saver):
    await chain("a", "b").compile(checkpointer=sqlite_saver).ainvoke({"topic": "", "log": []}, cfg("two"))
    await chain("a").compile(checkpointer=sqlite_saver).ainvoke({"topic": "", "log": []}, cfg("one"))
    with pytest.raises(RuntimeError):
        await chain("a", "b", fail_in="b").compile(checkpointer=sqlite_saver).ainvoke(
            {"topic": "", "log": []}, cfg("broken")
        )
    # The summary must come from the threads table alone: drop everything else it could scan.
    for table in ("checkpoints", "channel_values", "pending_writes"):
        await sqlite_saver.conn.execute(f"DELETE FROM {table}")

    threads = {t.thread_id: t for t in await sqlite_saver.reader.list_threads()}

    assert {k: (t.checkpoint_count, t.latest_step, t.status) for k, t in threads.items()} == {
        "two": (4, 2, "done"),
        "one": (3, 1, "done"),
        "broken": (3, 1, "error"),
    }
    assert threads["broken"].error["message"] == "b failed"
    assert threads["two"].error is None
    assert len(await sqlite_saver.reader.list_threads(limit=2)) == 2
    assert len(await sqlite_saver.reader.list_threads(offset=2)) == 1


async def test_a_failed_step_leaves_no_rows_behind(sqlite_saver, monkeypatch):
    graph = chain("a", "b").compile(checkpointer=sqlite_saver)
    await graph.ainvoke({"topic": "first", "log": []}, cfg("t"))
    existing_id = (await graph.aget_state(cfg("t"))).config["configurable"]["checkpoint_id"]

    tables = ("checkpoints", "channel_values", "pending_writes", "threads")
    seen: list[tuple[StepRecord, dict]] = []
    original_put = sqlite_saver.aput_step

    async def spying_put(config, record):
        counts = {t: await count_rows(sqlite_saver.conn, t) for t in tables}
        seen.append((record, counts))
        return await original_put(config, record)

    ids = iter([new_checkpoint_id(), existing_id])  # the second run's step 0 reuses an old id
    monkeypatch.setattr(sqlite_saver, "aput_step", spying_put)
    graph.env = RunEnv(checkpoint_id=lambda: next(ids))
    thread_before = await sqlite_saver.reader.get_thread("t")

    with pytest.raises(sqlite3.IntegrityError):
        await graph.ainvoke({"topic": "second", "log": []}, cfg("t"))

    failed_record, counts_before = seen[-1]
    assert failed_record.task_writes and failed_record.new_versions  # it had rows to write first
    assert {t: await count_rows(sqlite_saver.conn, t) for t in tables} == counts_before
    thread_after = await sqlite_saver.reader.get_thread("t")
    assert thread_after.checkpoint_count == thread_before.checkpoint_count + 1  # the input step only
    assert thread_after.latest_checkpoint_id == seen[0][0].checkpoint.id
    # The connection is still usable: no transaction was left open.
    monkeypatch.undo()
    graph.env = RunEnv()
    assert (await graph.ainvoke({"topic": "third", "log": []}, cfg("fresh")))["log"] == ["a", "b"]


async def test_recording_a_failure_is_one_transaction(sqlite_saver):
    first = await sqlite_saver.aput_step(cfg("t"), step_record({"x": 1}, {"x": "1"}, {"x": "1"}, step=-1))
    await sqlite_saver.conn.execute(
        "CREATE TRIGGER refuse BEFORE UPDATE ON threads BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    write = PendingWrite("task-1", "node", "x", 2, 0)
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        await sqlite_saver.arecord_error(first, {"type": "Boom", "message": "no"}, [write])
    assert await sqlite_saver.reader.get_pending_writes("t", first["configurable"]["checkpoint_id"]) == []
    assert (await sqlite_saver.reader.get_thread("t")).status == "done"


def test_the_sync_sqlite_saver_works_from_sync_code_as_langgraph_s(tmp_path) -> None:
    from engine.checkpoint.sqlite import CheckpointReader, SqliteSaver
    from engine.sync import run_sync
    from sample_graphs import calculator_agent

    path = tmp_path / "sync.db"
    config = {"configurable": {"thread_id": "s"}}
    with SqliteSaver.from_conn_string(path) as saver:
        graph = calculator_agent.graph.compile(checkpointer=saver)
        out = graph.invoke({"messages": [("human", "Calculate 2 + 3")]}, config)
        assert out["messages"][-1].content == "2 + 3 = 5"
        assert saver.get_tuple(config).metadata["step"] == 3
        assert [t.metadata["step"] for t in saver.list(config, limit=2)] == [3, 2]

    async def threads():
        reader = await CheckpointReader.open(path)
        try:
            return [(t.thread_id, t.checkpoint_count, t.status) for t in await reader.list_threads()]
        finally:
            await reader.close()

    assert run_sync(threads()) == [("s", 5, "done")]  # the same file the debugger opens


async def test_a_step_that_cannot_be_saved_whole_leaves_nothing(sqlite_saver):
    await sqlite_saver.conn.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON threads BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):  # the step's last statement fails
        await sqlite_saver.aput_step(cfg("t"), step_record({"x": 1}, {"x": "1"}, {"x": "1"}, step=-1))
    assert await count_rows(sqlite_saver.conn, "checkpoints") == 0
    assert await count_rows(sqlite_saver.conn, "channel_values") == 0
    await sqlite_saver.conn.execute("DROP TRIGGER refuse")  # no transaction was left open
    await sqlite_saver.aput_step(cfg("t"), step_record({"x": 1}, {"x": "1"}, {"x": "1"}, step=-1))
    assert await count_rows(sqlite_saver.conn, "checkpoints") == 1


async def test_without_aiosqlites_thread_hop_a_step_is_saved_a_statement_at_a_time(sqlite_saver, monkeypatch):
    from engine.checkpoint.sqlite import saver as saver_module

    monkeypatch.setattr(saver_module, "thread_hop", lambda conn: None)
    await sqlite_saver.aput_step(cfg("t"), step_record({"x": 1}, {"x": "1"}, {"x": "1"}, step=-1))
    assert (await sqlite_saver.reader.get_thread("t")).checkpoint_count == 1


async def test_a_page_of_pending_writes_is_read_in_one_query_and_matches_one_at_a_time(sqlite_saver):
    from sample_graphs import flaky_tools

    graph = flaky_tools.make_graph(flaky_tools.FlakyService()).compile(checkpointer=sqlite_saver)
    config = cfg("f")
    with pytest.raises(ConnectionError):
        await graph.ainvoke(flaky_tools.QUESTION, config)
    await graph.ainvoke(None, config)  # resumed: the failed step's writes and the rest
    ids = [c.config["configurable"]["checkpoint_id"] async for c in sqlite_saver.alist(config)]
    reader = sqlite_saver.reader
    batched = await reader.get_pending_writes_of("f", ids)
    assert batched == {i: await reader.get_pending_writes("f", i) for i in ids}
    assert sum(len(w) for w in batched.values()) > 0
    listed = {c.config["configurable"]["checkpoint_id"]: c.pending_writes async for c in sqlite_saver.alist(config)}
    one_by_one = {}
    for i in ids:
        one_by_one[i] = (await sqlite_saver.aget_tuple({"configurable": {"thread_id": "f", "checkpoint_id": i}})).pending_writes
    assert listed == one_by_one
