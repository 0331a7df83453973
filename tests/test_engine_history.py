"""Checkpoints as seen through the graph: history, get_state, replay, continuing a thread,
thread isolation (seed 000), the sync API, and dataclass / Pydantic state schemas."""

from __future__ import annotations

import asyncio
import dataclasses
import operator
from typing import Annotated, TypedDict

import pydantic
import pytest

from engine.checkpoint.memory import InMemorySaver
from engine.checkpoint.sqlite import AsyncSqliteSaver
from engine.graph import END, START, StateGraph
from engine.messages import AIMessage, HumanMessage
from sample_graphs import chat


def cfg(thread_id: str, checkpoint_id: str | None = None) -> dict:
    configurable = {"thread_id": thread_id}
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


def cid(config: dict | None) -> str | None:
    return config["configurable"]["checkpoint_id"] if config else None


class State(TypedDict):
    topic: str
    log: Annotated[list, operator.add]


def two_steps(calls: dict, suffix: dict | None = None) -> StateGraph:
    """START -> a -> b -> END; each node counts its calls and logs its name (+ ``suffix``)."""
    suffix = suffix if suffix is not None else {"text": ""}

    def node(name):
        def run(state):
            calls[name] += 1
            return {"log": [name + suffix["text"]]}

        return run

    builder = StateGraph(State)
    builder.add_node("a", node("a"))
    builder.add_node("b", node("b"))
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("b", END)
    return builder


# --- history and get_state --------------------------------------------------------------------


async def test_history_is_newest_first_with_steps_parents_writes_and_next(saver):
    graph = two_steps({"a": 0, "b": 0}).compile(checkpointer=saver)
    await graph.ainvoke({"topic": "t", "log": []}, cfg("h"))

    history = [s async for s in graph.aget_state_history(cfg("h"))]

    assert [s.metadata["step"] for s in history] == [2, 1, 0, -1]
    assert [s.metadata["source"] for s in history] == ["loop", "loop", "loop", "input"]
    ids = [cid(s.config) for s in history]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4
    for newer, older in zip(history, history[1:]):
        assert cid(newer.parent_config) == cid(older.config)
    assert history[-1].parent_config is None
    assert [s.metadata["writes"] for s in history] == [
        {"b": ["log"]}, {"a": ["log"]}, {START: ["log", "topic"]}, {},
    ]
    assert [s.next for s in history] == [(), ("b",), ("a",), (START,)]
    assert [tuple(t.name for t in s.tasks) for s in history] == [(), ("b",), ("a",), (START,)]
    assert history[0].values == {"topic": "t", "log": ["a", "b"]}
    assert history[1].values == {"topic": "t", "log": ["a"]}
    assert all(s.created_at for s in history)

    latest = await graph.aget_state(cfg("h"))
    assert latest.values == history[0].values and cid(latest.config) == ids[0]
    middle = await graph.aget_state(cfg("h", ids[1]))
    assert middle.values == {"topic": "t", "log": ["a"]}
    assert middle.next == ("b",) and cid(middle.config) == ids[1]

    assert [s.metadata["step"] for s in graph.get_state_history(cfg("h"), limit=2)] == [2, 1]
    before = [s.metadata["step"] async for s in graph.aget_state_history(cfg("h"), before=history[1].config)]
    assert before == [0, -1]


async def test_history_with_a_checkpoint_id_is_that_checkpoint_alone(saver):
    # Checked against LangGraph 1.2.22: get_state_history(config with checkpoint_id) -> [it].
    graph = two_steps({"a": 0, "b": 0}).compile(checkpointer=saver)
    await graph.ainvoke({"topic": "t", "log": []}, cfg("h"))
    middle = [s async for s in graph.aget_state_history(cfg("h"))][1]
    only = [s async for s in graph.aget_state_history(middle.config)]
    assert [cid(s.config) for s in only] == [cid(middle.config)]
    assert [s.metadata["step"] for s in graph.get_state_history(middle.config)] == [1]
    assert [s async for s in graph.aget_state_history(middle.config, filter={"source": "input"})] == []
    assert [s async for s in graph.aget_state_history(cfg("h", "no-such-id"))] == []


async def test_get_state_of_an_unknown_thread_is_empty(saver):
    graph = two_steps({"a": 0, "b": 0}).compile(checkpointer=saver)

    snapshot = await graph.aget_state(cfg("nobody"))

    assert snapshot.values == {} and snapshot.next == () and snapshot.metadata is None


async def test_replay_from_an_older_checkpoint_forks_and_reruns_later_steps(saver):
    calls = {"a": 0, "b": 0}
    suffix = {"text": ""}
    graph = two_steps(calls, suffix).compile(checkpointer=saver)
    await graph.ainvoke({"topic": "t", "log": []}, cfg("r"))
    original = [s async for s in graph.aget_state_history(cfg("r"))]
    step0 = next(s for s in original if s.metadata["step"] == 0)

    suffix["text"] = "-v2"  # a "fixed" node: the replay must really run it again
    result = await graph.ainvoke(None, cfg("r", cid(step0.config)))

    assert result["log"] == ["a-v2", "b-v2"]
    assert calls == {"a": 2, "b": 2}
    history = [s async for s in graph.aget_state_history(cfg("r"))]
    assert len(history) == len(original) + 3
    fork, new1, new2 = sorted(
        (s for s in history if cid(s.config) not in {cid(o.config) for o in original}),
        key=lambda s: s.metadata["step"],
    )
    # As LangGraph 1.2.22: a "fork" copy of the chosen checkpoint one step on, then the steps.
    assert [(s.metadata["step"], s.metadata["source"]) for s in (fork, new1, new2)] == [
        (1, "fork"), (2, "loop"), (3, "loop"),
    ]
    assert fork.values == step0.values and fork.next == step0.next == ("a",)
    assert cid(fork.parent_config) == cid(step0.config)
    assert cid(new1.parent_config) == cid(fork.config)
    assert cid(new2.parent_config) == cid(new1.config)
    for old in original:  # the original branch is untouched
        again = await graph.aget_state(old.config)
        assert (again.values, again.next, again.metadata) == (old.values, old.next, old.metadata)
        assert cid(again.parent_config) == cid(old.parent_config)
    assert (await graph.aget_state(cfg("r"))).values["log"] == ["a-v2", "b-v2"]


async def test_replaying_the_final_checkpoint_adds_one_fork_checkpoint(saver):
    graph = two_steps({"a": 0, "b": 0}).compile(checkpointer=saver)
    await graph.ainvoke({"topic": "t", "log": []}, cfg("f"))
    final = await graph.aget_state(cfg("f"))
    assert (await graph.ainvoke(None, final.config))["log"] == ["a", "b"]
    newest = [s async for s in graph.aget_state_history(cfg("f"))][0]
    assert (newest.metadata["step"], newest.metadata["source"], newest.next) == (3, "fork", ())
    assert cid(newest.parent_config) == cid(final.config) and newest.values == final.values


async def test_second_invoke_on_a_thread_continues_it(sqlite_saver):
    graph = chat.graph.compile(checkpointer=sqlite_saver)
    alice = chat.CONVERSATIONS["alice_session_1"]
    await graph.ainvoke(alice, cfg("alice"))
    first_last_step = (await graph.aget_state(cfg("alice"))).metadata["step"]

    result = await graph.ainvoke({"messages": [("human", "Tell me more")]}, cfg("alice"))

    assert [m.content for m in result["messages"]] == [
        "Hi", "Hello Alice! Let's discuss Python.", "Tell me more", "Hello Alice! Let's discuss Python.",
    ]
    assert [type(m) for m in result["messages"]] == [HumanMessage, AIMessage, HumanMessage, AIMessage]
    inputs = [s async for s in graph.aget_state_history(cfg("alice")) if s.metadata["source"] == "input"]
    assert [s.metadata["step"] for s in inputs] == [first_last_step + 1, -1]
    thread = await sqlite_saver.reader.get_thread("alice")
    assert thread.checkpoint_count == 6 and thread.status == "done"


async def test_astream_yields_values_after_each_step_and_updates_per_node():
    graph = two_steps({"a": 0, "b": 0}).compile()

    values = [chunk async for chunk in graph.astream({"topic": "t", "log": []}, stream_mode="values")]
    updates = [chunk async for chunk in graph.astream({"topic": "t", "log": []})]  # the default, as LangGraph
    assert updates == [{"a": {"log": ["a"]}}, {"b": {"log": ["b"]}}]
    both = [chunk async for chunk in graph.astream({"topic": "t", "log": []}, stream_mode=["updates", "values"])]

    assert [v["log"] for v in values] == [[], ["a"], ["a", "b"]]
    assert [chunk for mode, chunk in both if mode == "updates"] == [{"a": {"log": ["a"]}}, {"b": {"log": ["b"]}}]
    assert [chunk for mode, chunk in both if mode == "values"] == values
    with pytest.raises(ValueError, match="stream_mode"):
        [chunk async for chunk in graph.astream({"topic": "t", "log": []}, stream_mode="messages")]


# --- thread isolation (seed 000) ---------------------------------------------------------------


async def check_isolation(graph) -> None:
    await asyncio.gather(
        *(graph.ainvoke(conversation, cfg(thread)) for thread, conversation in chat.CONVERSATIONS.items())
    )
    alice = await graph.aget_state(cfg("alice_session_1"))
    bob = await graph.aget_state(cfg("bob_session_1"))
    assert (alice.values["user_name"], alice.values["topic"]) == ("Alice", "Python")
    assert (bob.values["user_name"], bob.values["topic"]) == ("Bob", "Rust")
    assert [m.content for m in alice.values["messages"]] == ["Hi", "Hello Alice! Let's discuss Python."]
    assert [m.content for m in bob.values["messages"]] == ["Hey", "Hello Bob! Let's discuss Rust."]
    alice_ids = {cid(s.config) async for s in graph.aget_state_history(cfg("alice_session_1"))}
    bob_ids = {cid(s.config) async for s in graph.aget_state_history(cfg("bob_session_1"))}
    assert len(alice_ids) == len(bob_ids) == 3 and not alice_ids & bob_ids


async def test_threads_are_isolated_in_one_sqlite_database(tmp_path):
    async with AsyncSqliteSaver.from_conn_string(tmp_path / "chat.db") as saver:
        await check_isolation(chat.graph.compile(checkpointer=saver))
        threads = {t.thread_id: t for t in await saver.reader.list_threads()}
    assert set(threads) == {"alice_session_1", "bob_session_1"}
    assert all(t.status == "done" and t.checkpoint_count == 3 for t in threads.values())


async def test_threads_are_isolated_in_memory():
    await check_isolation(chat.graph.compile(checkpointer=InMemorySaver()))


# --- sync API --------------------------------------------------------------------------------------


def test_sync_invoke_get_state_and_stream_as_in_the_seeds():
    graph = chat.graph.compile(checkpointer=InMemorySaver())
    config_a = cfg("alice_session_1")

    result = graph.invoke(chat.CONVERSATIONS["alice_session_1"], config_a)

    assert result["messages"][-1].content == "Hello Alice! Let's discuss Python."
    assert graph.get_state(config_a).values["topic"] == "Python"
    assert len(list(graph.get_state_history(config_a))) == 3
    updates = list(graph.stream({"messages": [("human", "again")]}, config_a, stream_mode="updates"))
    assert updates == [{"respond": {"messages": [{"role": "assistant", "content": "Hello Alice! Let's discuss Python."}]}}]


async def test_sync_invoke_works_inside_a_running_event_loop():
    graph = two_steps({"a": 0, "b": 0}).compile(checkpointer=InMemorySaver())

    result = graph.invoke({"topic": "t", "log": []}, cfg("sync-in-async"))

    assert result["log"] == ["a", "b"]
    assert graph.get_state(cfg("sync-in-async")).values == result


# --- dataclass and Pydantic schemas ---------------------------------------------------------------


@dataclasses.dataclass
class Point:
    x: int
    y: int


@dataclasses.dataclass
class Walk:
    name: str
    where: Point
    trail: Annotated[list[Point], operator.add] = dataclasses.field(default_factory=list)


class Spot(pydantic.BaseModel):
    x: int
    y: int


class Stroll(pydantic.BaseModel):
    name: str
    where: Spot
    trail: Annotated[list[Spot], operator.add] = []


def walker(schema, point):
    received = []

    def step(state):
        received.append(state)
        return {"where": point(x=state.where.x + 1, y=state.where.y), "trail": [state.where]}

    builder = StateGraph(schema)
    builder.add_node("step", step)
    builder.add_edge(START, "step")
    builder.add_edge("step", END)
    return builder, received


@pytest.mark.parametrize(("schema", "point"), [(Walk, Point), (Stroll, Spot)])
async def test_dataclass_and_pydantic_schemas_round_trip_through_sqlite(tmp_path, schema, point):
    path = tmp_path / "schemas.db"
    builder, received = walker(schema, point)
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        graph = builder.compile(checkpointer=saver)
        await graph.ainvoke(schema(name="w", where=point(x=0, y=0)), cfg("w"))
        # The second run starts from the checkpoint: the node gets values read back from SQLite.
        result = await graph.ainvoke({"name": "w2"}, cfg("w"))

    assert all(isinstance(state, schema) for state in received)
    assert received[1].where == point(x=1, y=0) and received[1].name == "w2"
    assert result == {"name": "w2", "where": point(x=2, y=0), "trail": [point(x=0, y=0), point(x=1, y=0)]}

    async with AsyncSqliteSaver.from_conn_string(path) as saver:  # a fresh process's view
        values = (await builder.compile(checkpointer=saver).aget_state(cfg("w"))).values
    assert values == result
    assert all(isinstance(p, point) for p in values["trail"])


def _shape(graph, config) -> list[tuple]:
    return [(h.metadata["step"], h.metadata["source"], h.next) for h in graph.get_state_history(config)]


def test_which_runs_by_checkpoint_id_start_with_a_fork_copy() -> None:
    """The history shapes LangGraph 1.2.22 gave for the same graph (observed side by side): a run
    from a named checkpoint starts with a "fork" copy of it, unless that is an edit's checkpoint."""
    fail = {"b": False}

    def b(state):
        if fail["b"]:
            raise RuntimeError("b fails")
        return {"log": ["b"]}

    builder = StateGraph(State).add_node("a", lambda s: {"log": ["a"]}).add_node("b", b)
    builder.add_edge(START, "a").add_edge("a", "b").add_edge("b", END)

    def fresh():
        graph = builder.compile(checkpointer=InMemorySaver())
        graph.invoke({"topic": "t", "log": []}, cfg("t"))
        return graph

    graph = fresh()  # an edit's checkpoint runs on directly
    middle = list(graph.get_state_history(cfg("t")))[1]
    graph.invoke(None, graph.update_state(middle.config, {"log": ["edit"]}, as_node="a"))
    assert _shape(graph, cfg("t"))[:3] == [(3, "loop", ()), (2, "update", ("b",)), (2, "loop", ())]

    graph = fresh()  # the input checkpoint is replayed through a fork copy
    graph.invoke(None, list(graph.get_state_history(cfg("t")))[-1].config)
    assert _shape(graph, cfg("t"))[:4] == [(3, "loop", ()), (2, "loop", ("b",)), (1, "loop", ("a",)), (0, "fork", (START,))]

    fail["b"] = True  # a failed run's latest checkpoint, named by id: a fork copy too
    graph = builder.compile(checkpointer=InMemorySaver())
    with pytest.raises(RuntimeError):
        graph.invoke({"topic": "t", "log": []}, cfg("t"))
    fail["b"] = False
    graph.invoke(None, graph.get_state(cfg("t")).config)
    assert _shape(graph, cfg("t"))[:3] == [(3, "loop", ()), (2, "fork", ("b",)), (1, "loop", ("b",))]
