"""Every stream mode's chunk sequence, as LangGraph 1.2.22 streams them (checked side by side:
START → a → (b ‖ c) → d, c finishing first), and the node-side writer."""

from __future__ import annotations

import asyncio
import operator
import threading
from typing import Annotated, TypedDict

import pytest

from engine.config import get_config, get_stream_writer
from engine.graph import END, START, StateGraph
from engine.types import Command, StreamWriter, interrupt


class S(TypedDict):
    log: Annotated[list, operator.add]


def cfg(thread: str = "t") -> dict:
    return {"configurable": {"thread_id": thread}}


def diamond(c_done: asyncio.Event | None = None, *, ask_in_b: bool = False) -> StateGraph:
    """a, then b and c in one step (c always finishes first: b waits for it), then d."""

    async def a(state: S) -> S:
        get_stream_writer()({"custom_from": "a"})
        return {"log": ["a"]}

    async def b(state: S) -> S:
        if c_done is not None:
            await c_done.wait()
        if ask_in_b:
            return {"log": [f"b:{interrupt({'q': 'approve b?'})}"]}
        return {"log": ["b"]}

    async def c(state: S, writer: StreamWriter) -> S:
        writer("custom_from_c")
        if c_done is not None:
            asyncio.get_running_loop().call_soon(c_done.set)  # set once c has returned
        return {"log": ["c"]}

    g = StateGraph(S)
    g.add_node("a", a).add_node("b", b).add_node("c", c).add_node("d", lambda s: {"log": ["d"]})
    g.add_edge(START, "a").add_edge("a", "b").add_edge("a", "c").add_edge(["b", "c"], "d")
    return g.add_edge("d", END)


async def chunks(graph, mode, input=None, config=None, **kw) -> list:
    return [c async for c in graph.astream(input if input is not None else {"log": []}, config or cfg(), stream_mode=mode, **kw)]


async def test_updates_come_as_each_task_finishes_not_when_the_step_ends(saver) -> None:
    graph = diamond(asyncio.Event()).compile(checkpointer=saver)
    assert await chunks(graph, "updates") == [
        {"a": {"log": ["a"]}}, {"c": {"log": ["c"]}}, {"b": {"log": ["b"]}}, {"d": {"log": ["d"]}},
    ]


async def test_debug_events_are_task_starts_results_in_finish_order_and_checkpoints(saver) -> None:
    graph = diamond(asyncio.Event()).compile(checkpointer=saver)
    events = await chunks(graph, "debug")

    assert [(e["step"], e["type"], e["payload"].get("name")) for e in events] == [
        (-1, "checkpoint", None), (0, "checkpoint", None),
        (1, "task", "a"), (1, "task_result", "a"), (1, "checkpoint", None),
        (2, "task", "b"), (2, "task", "c"), (2, "task_result", "c"), (2, "task_result", "b"), (2, "checkpoint", None),
        (3, "task", "d"), (3, "task_result", "d"), (3, "checkpoint", None),
    ]
    start_b = events[5]["payload"]
    assert set(start_b) == {"id", "name", "input", "triggers"}
    assert start_b["input"] == {"log": ["a"]} and start_b["triggers"] == ("branch:to:b",)
    assert events[7]["payload"] == {
        "id": events[6]["payload"]["id"], "name": "c", "error": None, "result": {"log": ["c"]}, "interrupts": [],
    }
    last = events[-1]["payload"]
    assert set(last) == {"config", "parent_config", "values", "metadata", "next", "tasks"}
    assert last["values"] == {"log": ["a", "b", "c", "d"]} and last["next"] == [] and last["tasks"] == []
    history = [s async for s in graph.aget_state_history(cfg())]
    assert [e["payload"]["config"] for e in events if e["type"] == "checkpoint"] == [s.config for s in reversed(history)]
    assert events[4]["payload"]["next"] == ["b", "c"]
    assert [t["name"] for t in events[4]["payload"]["tasks"]] == ["b", "c"]


async def test_tasks_and_checkpoints_are_the_debug_payloads_alone(saver) -> None:
    def graph():  # one per run: b waits for c's event
        return diamond(asyncio.Event()).compile(checkpointer=saver)

    debug = await chunks(graph(), "debug", config=cfg("d"))
    tasks = await chunks(graph(), "tasks", config=cfg("t"))
    checkpoints = await chunks(graph(), "checkpoints", config=cfg("c"))

    assert [(t["name"], "result" in t) for t in tasks] == [
        (e["payload"]["name"], e["type"] == "task_result") for e in debug if e["type"] != "checkpoint"
    ]
    assert [c["values"] for c in checkpoints] == [e["payload"]["values"] for e in debug if e["type"] == "checkpoint"]


async def test_custom_chunks_come_from_async_and_sync_nodes_and_the_writer_parameter(saver) -> None:
    def sync_node(state: S) -> S:
        assert threading.current_thread() is not threading.main_thread()  # a worker thread
        get_stream_writer()("from a thread")
        return {"log": ["s"]}

    g = diamond(asyncio.Event())
    g.add_node("s", sync_node).add_edge("d", "s")
    g.edges.discard(("d", END))
    graph = g.add_edge("s", END).compile(checkpointer=saver)

    assert await chunks(graph, "custom") == [{"custom_from": "a"}, "custom_from_c", "from a thread"]
    # Not streaming "custom": the writer drops what it is given.
    assert (await graph.ainvoke({"log": []}, cfg("quiet")))["log"] == ["a", "b", "c", "d", "s"]


async def test_a_list_of_modes_pairs_each_chunk_with_its_mode_in_langgraph_order(saver) -> None:
    graph = diamond(asyncio.Event()).compile(checkpointer=saver)
    pairs = await chunks(graph, ["updates", "values", "custom", "checkpoints"])
    kinds = [m for m, _ in pairs]
    assert kinds[:4] == ["checkpoints", "values", "checkpoints", "custom"]
    assert kinds[4:7] == ["updates", "values", "checkpoints"]  # a's update, the state, the checkpoint
    assert pairs[-2] == ("values", {"log": ["a", "b", "c", "d"]})


async def test_subgraphs_true_puts_the_namespace_first(saver) -> None:
    graph = diamond().compile(checkpointer=saver)
    single = await chunks(graph, "updates", config=cfg("s"), subgraphs=True)
    pairs = await chunks(graph, ["updates"], config=cfg("p"), subgraphs=True)
    assert single[0] == ((), {"a": {"log": ["a"]}})
    assert pairs[0] == ((), "updates", {"a": {"log": ["a"]}})


async def test_an_interrupt_streams_the_finished_update_first_and_a_resume_marks_it_cached(saver) -> None:
    graph = diamond(asyncio.Event(), ask_in_b=True).compile(checkpointer=saver)
    first = await chunks(graph, ["updates", "tasks"])
    updates = [c for m, c in first if m == "updates"]
    assert updates[-2] == {"c": {"log": ["c"]}}
    assert [i.value for i in updates[-1]["__interrupt__"]] == [{"q": "approve b?"}]
    paused = next(c for m, c in first if m == "tasks" and c["name"] == "b" and "result" in c)
    assert paused["result"] == {} and paused["interrupts"][0]["value"] == {"q": "approve b?"}

    resumed = await chunks(graph, ["updates", "checkpoints"], input=Command(resume="yes"))
    assert resumed[0][0] == "checkpoints"  # the checkpoint it goes on from, with what c wrote
    assert {t["name"]: t.get("result") for t in resumed[0][1]["tasks"]} == {"b": None, "c": {"log": ["c"]}}
    updates = [c for m, c in resumed if m == "updates"]
    assert updates[:2] == [{"c": {"log": ["c"]}, "__metadata__": {"cached": True}}, {"b": {"log": ["b:yes"]}}]


async def test_a_failed_task_result_carries_the_exception(saver) -> None:
    class Boom(Exception):
        pass

    def bad(state: S) -> S:
        raise Boom("no")

    g = StateGraph(S)
    graph = g.add_node("bad", bad).add_edge(START, "bad").add_edge("bad", END).compile(checkpointer=saver)
    seen = []
    with pytest.raises(Boom):
        async for chunk in graph.astream({"log": []}, cfg(), stream_mode="tasks"):
            seen.append(chunk)
    assert isinstance(seen[-1]["error"], Boom) and seen[-1]["result"] == {}


def test_the_writer_and_config_outside_a_run_raise_as_in_langgraph() -> None:
    with pytest.raises(RuntimeError, match="inside a node"):
        get_stream_writer()
    with pytest.raises(RuntimeError, match="inside a node"):
        get_config()


async def test_get_config_inside_a_node_is_the_run_config(saver) -> None:
    g = StateGraph(S)
    g.add_node("n", lambda s: {"log": [get_config()["configurable"]["thread_id"]]})
    graph = g.add_edge(START, "n").add_edge("n", END).compile(checkpointer=saver)
    assert (await graph.ainvoke({"log": []}, cfg("mine")))["log"] == ["mine"]


async def test_stopping_early_cancels_the_running_step(saver) -> None:
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    async def slow(state: S) -> S:
        started.set()
        await release.wait()
        finished.append("slow")
        return {"log": ["slow"]}

    g = StateGraph(S)
    g.add_node("fast", lambda s: {"log": ["fast"]}).add_node("slow", slow)
    graph = g.add_edge(START, "fast").add_edge(START, "slow").add_edge(["fast", "slow"], END).compile(checkpointer=saver)
    stream = graph.astream({"log": []}, cfg(), stream_mode="updates")
    assert await stream.__anext__() == {"fast": {"log": ["fast"]}}
    await stream.aclose()
    release.set()
    await asyncio.sleep(0.01)
    assert started.is_set() and finished == []  # closed mid-step: the slow task was cancelled
