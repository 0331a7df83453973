"""Runs that go wrong in the ways real ones do: threads, cancellation, values that cannot be
saved, edits after a failure, replays, and LangGraph options retrace does not have."""

from __future__ import annotations

import asyncio
import hashlib
import operator
import sqlite3
import threading
from typing import Annotated, TypedDict

import pytest

from engine.checkpoint.memory import InMemorySaver
from engine.checkpoint.serde import JsonSerializer, Undecodable
from engine.checkpoint.sqlite import AsyncSqliteSaver, CheckpointReader
from engine.errors import CheckpointStoreError, GraphValidationError, SerializationError
from engine.graph import END, START, StateGraph


class LogState(TypedDict):
    log: Annotated[list, operator.add]


def cfg(thread_id: str) -> dict:
    return {"configurable": {"thread_id": thread_id}}


def fan_out(**nodes) -> StateGraph:
    builder = StateGraph(LogState)
    for name, fn in nodes.items():
        builder.add_node(name, fn)
        builder.add_edge(START, name)
        builder.add_edge(name, END)
    return builder


def test_sync_invoke_from_several_threads_on_one_sqlite_saver(tmp_path) -> None:
    saver = asyncio.run(AsyncSqliteSaver.open(tmp_path / "t.db"))
    graph = fan_out(a=lambda s: {"log": ["a"]}, b=lambda s: {"log": ["b"]}).compile(checkpointer=saver)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            for k in range(5):
                assert graph.invoke({"log": []}, cfg(f"w{i}-{k}"))["log"] == ["a", "b"]
        except BaseException as exc:  # collected: the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(asyncio.run(_count_threads(tmp_path / "t.db"))) == 20


async def _count_threads(path) -> list:
    async with await CheckpointReader.open(path) as reader:
        return await reader.list_threads()


def test_an_asyncio_lock_shared_by_nodes_works_across_sync_invokes() -> None:
    lock = asyncio.Lock()  # seed 000's rate limiter pattern

    async def limited(state):
        async with lock:
            await asyncio.sleep(0)
        return {"log": ["x"]}

    graph = fan_out(a=limited, b=limited).compile()
    assert graph.invoke({"log": []})["log"] == ["x", "x"]
    assert graph.invoke({"log": []})["log"] == ["x", "x"]


def test_sync_stream_is_lazy_and_stops_when_the_consumer_stops() -> None:
    calls = []

    def node(state):
        calls.append(len(state["log"]))
        return {"log": ["n"]}

    builder = StateGraph(LogState).add_node("n", node).add_edge(START, "n")
    builder.add_conditional_edges("n", lambda s: "n" if len(s["log"]) < 10 else END, ["n", END])
    stream = builder.compile().stream({"log": []}, stream_mode="updates")
    assert calls == []
    assert next(stream) == {"n": {"log": ["n"]}}
    stream.close()
    assert calls == [0]


async def test_cancelling_a_run_keeps_what_finished(sqlite_saver) -> None:
    fast_done, never = asyncio.Event(), asyncio.Event()
    calls = {"fast": 0, "slow": 0}

    async def fast(state):
        calls["fast"] += 1
        fast_done.set()
        return {"log": ["fast"]}

    async def slow(state):
        calls["slow"] += 1
        if calls["slow"] == 1:
            await never.wait()
        return {"log": ["slow"]}

    graph = fan_out(fast=fast, slow=slow).compile(checkpointer=sqlite_saver)
    run = asyncio.ensure_future(graph.ainvoke({"log": []}, cfg("c")))
    await fast_done.wait()
    await asyncio.sleep(0)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    result = await graph.ainvoke(None, cfg("c"))
    assert result["log"] == ["fast", "slow"]
    assert calls == {"fast": 1, "slow": 2}


class Unsaveable:
    pass


class AnyState(TypedDict):
    log: Annotated[list, operator.add]
    thing: object


async def test_a_value_that_cannot_be_saved_fails_its_node_not_its_siblings(sqlite_saver) -> None:
    builder = StateGraph(AnyState)
    builder.add_node("ok", lambda s: {"log": ["ok"]}).add_node("bad", lambda s: {"thing": Unsaveable()})
    builder.add_edge(START, "ok").add_edge(START, "bad").add_edge("ok", END).add_edge("bad", END)
    graph = builder.compile(checkpointer=sqlite_saver)
    with pytest.raises(SerializationError, match="node 'bad' wrote a value to 'thing'"):
        await graph.ainvoke({"log": []}, cfg("s"))
    thread = await sqlite_saver.reader.get_thread("s")
    assert thread.status == "error" and thread.error["node"] == "bad"
    writes = await sqlite_saver.reader.get_pending_writes("s", thread.latest_checkpoint_id)
    assert {(w.task_name, w.channel) for w in writes if w.channel != "__attempts__"} == {("ok", "log"), ("bad", "__error__")}


async def test_the_real_error_is_not_hidden_by_an_unsaveable_sibling(sqlite_saver) -> None:
    def boom(state):
        raise ValueError("the real failure")

    builder = StateGraph(AnyState)
    builder.add_node("bad", boom).add_node("odd", lambda s: {"thing": Unsaveable()})
    builder.add_edge(START, "bad").add_edge(START, "odd").add_edge("bad", END).add_edge("odd", END)
    graph = builder.compile(checkpointer=sqlite_saver)
    with pytest.raises(ValueError, match="the real failure"):
        await graph.ainvoke({"log": []}, cfg("m"))
    assert (await sqlite_saver.reader.get_thread("m")).error["message"] == "the real failure"


def test_update_state_after_a_failed_step_supersedes_the_whole_step() -> None:
    # Checked against LangGraph 1.2.22: the update is a step of its own; what the finished
    # sibling wrote is not applied, and the sibling does not run again.
    calls = {"ok": 0, "bad": 0}

    def ok(state):
        calls["ok"] += 1
        return {"log": ["ok"]}

    def bad(state):
        calls["bad"] += 1
        raise RuntimeError("bad")

    graph = fan_out(ok=ok, bad=bad).compile(checkpointer=InMemorySaver())
    with pytest.raises(RuntimeError):
        graph.invoke({"log": []}, cfg("u"))
    new_config = graph.update_state(cfg("u"), {"log": ["bad, by hand"]}, as_node="bad")
    state = graph.get_state(new_config)
    assert state.next == ()
    assert state.values["log"] == ["bad, by hand"]
    assert graph.invoke(None, cfg("u"))["log"] == ["bad, by hand"]
    assert calls == {"ok": 1, "bad": 1}


async def test_a_replay_never_rewrites_what_the_original_run_recorded(sqlite_saver) -> None:
    counter = {"n": 0}

    def step(state):
        counter["n"] += 1
        return {"log": [counter["n"]]}

    builder = StateGraph(LogState).add_node("a", step).add_edge(START, "a").add_edge("a", END)
    graph = builder.compile(checkpointer=sqlite_saver)
    await graph.ainvoke({"log": []}, cfg("r"))
    history = [s async for s in graph.aget_state_history(cfg("r"))]
    fork_point = next(s for s in history if s.next == ("a",))
    original = await sqlite_saver.reader.get_pending_writes("r", fork_point.config["configurable"]["checkpoint_id"])

    result = await graph.ainvoke(None, fork_point.config)

    assert result["log"] == [2]
    after = await sqlite_saver.reader.get_pending_writes("r", fork_point.config["configurable"]["checkpoint_id"])
    assert after == original  # the original run's writes are still there, unchanged, and alone
    latest = await graph.aget_state(cfg("r"))
    replay_ids = set(latest.metadata["task_ids"])
    assert replay_ids and not replay_ids & {w.task_id for w in original}
    fork = await graph.aget_state(latest.parent_config)  # the replay's own first checkpoint
    assert fork.metadata["source"] == "fork"
    replayed = await sqlite_saver.reader.get_pending_writes("r", fork.config["configurable"]["checkpoint_id"])
    assert [w.value for w in replayed if w.task_id in replay_ids and w.channel == "log"] == [[2]]


@pytest.mark.parametrize(
    "make",
    [
        lambda: fan_out(a=lambda s: {}).compile(debug=True),
        lambda: StateGraph(LogState).add_node("a", lambda s: {}, subgraphs=[object()]),
    ],
    ids=["debug", "unknown"],
)
def test_langgraph_options_retrace_lacks_are_refused_not_ignored(make) -> None:
    with pytest.raises(NotImplementedError, match="not support"):
        make()


def test_config_is_passed_by_keyword_to_a_keyword_only_parameter() -> None:
    def node(state, *, config):
        return {"log": [config["configurable"]["thread_id"]]}

    graph = fan_out(n=node).compile(checkpointer=InMemorySaver())
    assert graph.invoke({"log": []}, cfg("kw"))["log"] == ["kw"]


def test_validation_error_is_a_value_error_and_lists_a_non_callable_node() -> None:
    builder = StateGraph(LogState).add_node("a", "not a function").add_edge(START, "a").add_edge("a", END)
    with pytest.raises(ValueError) as caught:
        builder.compile()
    assert isinstance(caught.value, GraphValidationError)
    assert any("not a function" in p for p in caught.value.problems)


def test_history_filter_keeps_matching_metadata() -> None:
    graph = fan_out(a=lambda s: {"log": ["a"]}).compile(checkpointer=InMemorySaver())
    graph.invoke({"log": []}, cfg("f"))
    sources = [s.metadata["source"] for s in graph.get_state_history(cfg("f"), filter={"source": "loop"})]
    assert sources == ["loop", "loop"]
    assert len(list(graph.get_state_history(cfg("f"), filter={"source": "loop"}, limit=1))) == 1


def test_values_stream_skips_steps_that_wrote_no_state_key() -> None:
    builder = StateGraph(LogState).add_node("quiet", lambda s: None).add_node("loud", lambda s: {"log": ["x"]})
    builder.add_edge(START, "quiet").add_edge("quiet", "loud").add_edge("loud", END)
    chunks = list(builder.compile().stream({"log": ["in"]}, stream_mode="values"))
    assert chunks == [{"log": ["in"]}, {"log": ["in", "x"]}]


async def test_reading_a_database_changes_nothing_in_it(tmp_path) -> None:
    path = tmp_path / "r.db"
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        await fan_out(a=lambda s: {"log": ["a"]}).compile(checkpointer=saver).ainvoke({"log": []}, cfg("x"))
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    async with await CheckpointReader.open(path) as reader:
        assert [t.thread_id for t in await reader.list_threads()] == ["x"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert not (tmp_path / "r.db-wal").exists()


async def test_a_saver_refuses_to_resume_from_a_value_it_cannot_decode(sqlite_saver) -> None:
    graph = fan_out(a=lambda s: {"log": ["a"]}).compile(checkpointer=sqlite_saver)
    await graph.ainvoke({"log": []}, cfg("d"))
    await sqlite_saver.conn.execute("UPDATE channel_values SET value = X'7b7b' WHERE channel = 'log'")
    with pytest.raises(CheckpointStoreError, match="cannot be decoded"):
        await graph.ainvoke({"log": ["more"]}, cfg("d"))
    detail = await CheckpointReader(sqlite_saver.conn).get_checkpoint("d")
    assert isinstance(detail.channel_values["log"], Undecodable)  # the debugger still shows the rest


def test_huge_integers_are_serialization_errors_not_value_errors() -> None:
    serde = JsonSerializer()
    with pytest.raises(SerializationError):
        serde.loads("1" * 5000)
    with pytest.raises(SerializationError):
        serde.dumps(10 ** 5000)
