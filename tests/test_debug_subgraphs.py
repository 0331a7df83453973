"""The debugger finds the subgraph runs of a step: a finished one in the step that made a
checkpoint, a failed or paused one in the step after the thread's newest checkpoint, a nested
one below it, and ``checkpointer=True``'s namespace of its own."""

from __future__ import annotations

from pathlib import Path

from test_engine_subgraphs import P, cfg, child, counting_child, one_node_parent, parent

from engine.checkpoint.sqlite import AsyncSqliteSaver
from engine.debug.source import open_source
from engine.debug.status import unfinished_after
from engine.debug.subgraphs import child_namespace, subgraph_runs
from engine.graph import END, START, StateGraph
from engine.types import Command


def by_step(checkpoints) -> dict[int, object]:
    return {c.step: c for c in checkpoints}


def test_child_namespaces_join_levels_with_a_bar() -> None:
    assert child_namespace("", "sub", "t1") == "sub:t1"
    assert child_namespace("sub:t1", "inner", "t2") == "sub:t1|inner:t2"
    assert child_namespace("sub:t1", "inner", None) == "sub:t1|inner"


async def test_the_step_that_ran_a_subgraph_lists_its_run(tmp_path: Path) -> None:
    path = tmp_path / "sub.db"
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        await parent(child([]), saver).ainvoke({"topic": "x", "log": []}, cfg())
    reader = await open_source(path)
    try:
        steps = by_step(await reader.list_checkpoints("t"))
        assert [await subgraph_runs(reader, steps[s]) for s in (-1, 0, 1, 3)] == [[], [], [], []]
        (run,) = await subgraph_runs(reader, steps[2])  # step 2 ran "sub"
        assert (run.node, run.when, run.checkpoints) == ("sub", "ran", 4)  # input, s1, s2 and __start__
        assert run.namespace == f"sub:{run.task_id}"
        assert run.task_id in steps[2].metadata["task_ids"]
        inner = await reader.list_checkpoints("t", checkpoint_ns=run.namespace)
        assert [c.step for c in inner] == [2, 1, 0, -1]
        assert inner[0].metadata["parents"] == {"": steps[1].checkpoint_id}
    finally:
        await reader.close()


async def test_a_subgraph_paused_inside_is_listed_with_the_unfinished_step(tmp_path: Path) -> None:
    path = tmp_path / "paused.db"
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        graph = parent(child([]), saver)
        await graph.ainvoke({"topic": "ask", "log": []}, cfg())  # s2 asks: the parent's "sub" pauses
        reader = await open_source(path)
        try:
            thread = await reader.get_thread("t")
            latest = (await reader.list_checkpoints("t"))[0]
            assert unfinished_after(thread, latest)
            assert await subgraph_runs(reader, latest) == []
            (run,) = await subgraph_runs(reader, latest, unfinished=True)
            assert (run.node, run.when) == ("sub", "next")
            inner = await reader.list_checkpoints("t", checkpoint_ns=run.namespace)
            assert inner[0].next == ("s2",)
        finally:
            await reader.close()
        await graph.ainvoke(Command(resume="yes"), cfg())
    reader = await open_source(path)
    try:
        steps = by_step(await reader.list_checkpoints("t"))
        (run,) = await subgraph_runs(reader, steps[2])
        inner = await reader.list_checkpoints("t", checkpoint_ns=run.namespace)
        assert inner[0].next == ()  # the same namespace, finished after the resume
    finally:
        await reader.close()


async def test_a_nested_subgraph_is_found_from_its_parents_step(tmp_path: Path) -> None:
    middle = StateGraph(P)
    middle.add_node("inner", child([])).add_edge(START, "inner").add_edge("inner", END)
    path = tmp_path / "nested.db"
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        await parent(middle.compile(), saver).ainvoke({"topic": "x", "log": []}, cfg())
    reader = await open_source(path)
    try:
        (outer,) = await subgraph_runs(reader, by_step(await reader.list_checkpoints("t"))[2])
        middle_steps = by_step(await reader.list_checkpoints("t", checkpoint_ns=outer.namespace))
        (nested,) = await subgraph_runs(reader, middle_steps[1])
        assert nested.node == "inner"
        assert nested.namespace == f"{outer.namespace}|inner:{nested.task_id}"
        assert nested.checkpoints == 4
    finally:
        await reader.close()


async def test_checkpointer_true_runs_share_the_node_namespace(tmp_path: Path) -> None:
    path = tmp_path / "persistent.db"
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        graph = one_node_parent(counting_child(True), saver)
        await graph.ainvoke({"topic": "a", "log": []}, cfg())
        await graph.ainvoke({"topic": "b", "log": []}, cfg())
    reader = await open_source(path)
    try:
        newest = (await reader.list_checkpoints("t"))[0]
        (run,) = await subgraph_runs(reader, newest)
        assert (run.namespace, run.node) == ("sub", "sub")
        assert run.checkpoints == 6  # two calls: input, __start__ and inner each
    finally:
        await reader.close()
