"""Durability modes, as LangGraph's ``durability=`` (checked side by side with 1.2.22: how many
checkpoints a run leaves in each mode, on success, failure and interrupt)."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, TypedDict

import pytest

from engine.graph import END, START, StateGraph
from engine.types import Command, interrupt


class S(TypedDict):
    log: Annotated[list, operator.add]


def cfg(thread: str = "t") -> dict:
    return {"configurable": {"thread_id": thread}}


def three_steps(fail_in: str | None = None, ask_in: str | None = None) -> StateGraph:
    def node(name: str):
        def run(state: S) -> S:
            if name == fail_in:
                raise ValueError(f"boom in {name}")
            if name == ask_in:
                return {"log": [f"{name}:{interrupt('ok?')}"]}
            return {"log": [name]}
        return run

    b = StateGraph(S)
    for name in ("n1", "n2", "n3"):
        b.add_node(name, node(name))
    return b.add_edge(START, "n1").add_edge("n1", "n2").add_edge("n2", "n3").add_edge("n3", END)


async def history(graph, thread: str = "t") -> list:
    return [(s.metadata["step"], s.values["log"], s.next) async for s in graph.aget_state_history(cfg(thread))]


@pytest.mark.parametrize("mode", ["sync", "async", None])
async def test_sync_and_async_keep_every_step(saver, mode) -> None:
    graph = three_steps().compile(checkpointer=saver)
    assert (await graph.ainvoke({"log": []}, cfg(), durability=mode))["log"] == ["n1", "n2", "n3"]
    assert [step for step, _, _ in await history(graph)] == [3, 2, 1, 0, -1]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_failure_keeps_the_steps_before_it_in_both_modes(saver, mode) -> None:
    graph = three_steps(fail_in="n3").compile(checkpointer=saver)
    with pytest.raises(ValueError, match="boom in n3"):
        await graph.ainvoke({"log": []}, cfg(), durability=mode)
    assert [step for step, _, _ in await history(graph)] == [2, 1, 0, -1]
    state = await graph.aget_state(cfg())
    assert state.tasks[0].error["type"] == "ValueError"


async def test_exit_writes_only_the_last_checkpoint(saver) -> None:
    graph = three_steps().compile(checkpointer=saver)
    await graph.ainvoke({"log": []}, cfg(), durability="exit")
    assert await history(graph) == [(3, ["n1", "n2", "n3"], ())]
    # A later run on the thread goes on from it, as from any checkpoint.
    await graph.ainvoke({"log": ["again"]}, cfg(), durability="exit")
    steps = await history(graph)
    assert [s for s, _, _ in steps] == [8, 3] and steps[0][1][-1] == "n3"


async def test_exit_on_failure_keeps_the_checkpoint_the_failed_step_started_from(saver) -> None:
    graph = three_steps(fail_in="n3").compile(checkpointer=saver)
    with pytest.raises(ValueError):
        await graph.ainvoke({"log": []}, cfg(), durability="exit")
    assert await history(graph) == [(2, ["n1", "n2"], ("n3",))]
    state = await graph.aget_state(cfg())
    assert state.tasks[0].error["message"] == "boom in n3"
    fixed = three_steps().compile(checkpointer=saver)
    assert (await fixed.ainvoke(None, cfg()))["log"] == ["n1", "n2", "n3"]  # resumes from it


async def test_exit_on_an_interrupt_saves_where_it_waits_and_resumes(saver) -> None:
    graph = three_steps(ask_in="n2").compile(checkpointer=saver)
    out = await graph.ainvoke({"log": []}, cfg(), durability="exit")
    assert "__interrupt__" in out
    assert await history(graph) == [(1, ["n1"], ("n2",))]
    done = await graph.ainvoke(Command(resume="yes"), cfg(), durability="exit")
    assert done["log"] == ["n1", "n2:yes", "n3"]
    assert [s for s, _, _ in await history(graph)] == [3, 1]


async def test_async_overlaps_the_write_with_the_next_step_but_keeps_order(saver) -> None:
    """A slow saver: in "async" the second node runs while the first step is still being
    written; every checkpoint still lands, in order, with its parent before it."""
    order: list[str] = []
    real_put = saver.aput_step

    async def slow_put(config, record):
        order.append(f"put start {record.metadata['step']}")
        await asyncio.sleep(0.02)
        result = await real_put(config, record)
        order.append(f"put end {record.metadata['step']}")
        return result

    saver.aput_step = slow_put

    def node(name: str):
        def run(state: S) -> S:
            order.append(f"node {name}")
            return {"log": [name]}
        return run

    b = StateGraph(S)
    b.add_node("n1", node("n1")).add_node("n2", node("n2"))
    graph = b.add_edge(START, "n1").add_edge("n1", "n2").add_edge("n2", END).compile(checkpointer=saver)
    await graph.ainvoke({"log": []}, cfg(), durability="async")

    assert order.index("node n1") < order.index("put end 0")  # overlapped
    starts = [e for e in order if e.startswith("put start")]
    assert starts == [f"put start {n}" for n in (-1, 0, 1, 2)]  # never reordered
    assert [s for s, _, _ in await history(graph)] == [2, 1, 0, -1]  # none lost at exit
    chain = [s async for s in graph.aget_state_history(cfg())]
    assert all(a.parent_config == b.config for a, b in zip(chain, chain[1:]))


def test_unknown_durability_and_both_spellings_are_refused() -> None:
    graph = three_steps().compile()
    with pytest.raises(ValueError, match="durability must be one of"):
        graph.invoke({"log": []}, durability="bogus")
    with pytest.raises(ValueError, match="not both"):
        graph.invoke({"log": []}, durability="sync", checkpoint_during=True)
    with pytest.warns(DeprecationWarning, match="checkpoint_during"):
        assert graph.invoke({"log": []}, checkpoint_during=False)["log"] == ["n1", "n2", "n3"]
