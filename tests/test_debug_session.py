"""The debugger core's write actions, without Textual: edit, replay and continue on a database."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import threading
from pathlib import Path
from typing import TypedDict

import pytest

from engine.checkpoint.sqlite import AsyncSqliteSaver, CheckpointReader
from engine.debug.edit import EditError
from engine.debug.session import DebugSession, NoGraphError
from engine.graph import END, START, StateGraph
from sample_graphs.demo import demo_graphs, write_demo_database


async def history(path: Path, thread: str):
    reader = await CheckpointReader.open(path)
    try:
        return await reader.list_checkpoints(thread, limit=1000)
    finally:
        await reader.close()


async def before_tools(path: Path):
    return next(c for c in await history(path, "calc-add") if c.next == ("tools",))


async def test_edit_the_tool_argument_then_continue_gives_a_second_branch(demo: Path) -> None:
    session = DebugSession(demo, demo_graphs())
    try:
        at = await before_tools(demo)
        start = await session.start_edit(at)
        assert start.default_as_node == "agent"  # agent ran the step that made this checkpoint
        assert '"a": 10.0' in start.text
        new = await session.edit(at, start, start.text.replace('"a": 10.0', '"a": 40.0'), None)
        steps = []
        result = await session.run_from(
            next(c for c in await history(demo, "calc-add") if c.checkpoint_id == new["configurable"]["checkpoint_id"]),
            on_step=lambda committed: steps.append((committed.step, committed.source, committed.next)),
        )
    finally:
        await session.close()
    assert result.error is None
    assert steps == [(3, "loop", ("agent",)), (4, "loop", ())]
    rows = await history(demo, "calc-add")
    edited = next(c for c in rows if c.checkpoint_id == new["configurable"]["checkpoint_id"])
    assert (edited.source, edited.parent_checkpoint_id, edited.next) == ("update", at.checkpoint_id, ("tools",))
    assert edited.metadata["edited_as"] == "agent"
    reader = await CheckpointReader.open(demo)
    try:
        heads = [c for c in rows if c.next == () and c.source == "loop"]
        answers = sorted([
            (await reader.get_checkpoint("calc-add", c.checkpoint_id)).channel_values["messages"][-1].content
            for c in heads
        ])
    finally:
        await reader.close()
    assert answers == ["10 + 20 = 30", "40 + 20 = 60"]  # the old branch is kept


async def test_replay_from_a_run_checkpoint_writes_a_fork_copy_then_runs_on(demo: Path) -> None:
    session = DebugSession(demo, demo_graphs())
    try:
        at = await before_tools(demo)
        steps = []
        result = await session.run_from(at, on_step=lambda c: steps.append((c.step, c.source)))
    finally:
        await session.close()
    assert result.error is None and result.checkpoints == 3
    assert steps == [(at.step + 1, "fork"), (at.step + 2, "loop"), (at.step + 3, "loop")]


async def test_without_a_graph_write_actions_say_how_to_attach_one(demo: Path) -> None:
    session = DebugSession(demo, [])
    at = await before_tools(demo)
    reason = session.why_not(at)
    assert reason is not None and "--graph sample_graphs.calculator_agent:graph" in reason
    with pytest.raises(NoGraphError, match="no graph attached"):
        await session.start_edit(at)
    with pytest.raises(NoGraphError):
        await session.run_from(at)
    read_only = DebugSession(demo, demo_graphs(), read_only="its folder is read-only")
    assert "read-only" in read_only.why_not(at)


@pytest.mark.parametrize(
    ("change", "message", "line"),
    [
        (lambda t: t.replace('"messages": [', '"messages": [,', 1), "not valid JSON", 2),
        (lambda t: t.replace('"messages"', '"mesages"', 1), "'mesages' is not a channel", 2),
        (lambda t: t, "nothing changed", None),
        (lambda t: "[]", "must be a JSON object", 1),
    ],
)
async def test_a_bad_edit_is_refused_with_its_line_and_nothing_is_written(demo: Path, change, message, line) -> None:
    session = DebugSession(demo, demo_graphs())
    try:
        at = await before_tools(demo)
        before = await history(demo, "calc-add")
        start = await session.start_edit(at)
        with pytest.raises(EditError, match=message) as caught:
            await session.edit(at, start, change(start.text), None)
        assert caught.value.line == line
    finally:
        await session.close()
    assert await history(demo, "calc-add") == before


async def test_a_failing_run_is_returned_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    await asyncio.to_thread(lambda: asyncio.run(write_demo_database(path)))
    session = DebugSession(path, demo_graphs())
    try:
        rows = await history(path, "search-buggy")
        result = await session.run_from(rows[-1])  # replay the buggy search from its input
    finally:
        await session.close()
    assert type(result.error).__name__ == "InvalidUpdateError"


async def test_a_default_node_the_graph_does_not_have_is_no_default(demo: Path) -> None:
    session = DebugSession(demo, demo_graphs())
    try:
        at = await before_tools(demo)
        ghost = dataclasses.replace(at, metadata={**at.metadata, "writes": {"\x1b[2Jghost": ["messages"]}})
        start = await session.start_edit(ghost)
    finally:
        await session.close()
    assert start.default_as_node is None and start.as_node_choices == ("__start__", "agent", "tools")


class Counter(TypedDict):
    x: int


def strict_router_graph():
    """``a`` routes with a table that has no entry for x=5: a router that raises on an edit."""
    builder = StateGraph(Counter).add_node("a", lambda s: {"x": s["x"]})
    builder.add_edge(START, "a").add_conditional_edges("a", lambda s: {1: END}[s["x"]])
    return builder.compile()


async def test_an_edit_the_graphs_own_code_refuses_is_an_edit_error_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "router.db"
    graph = strict_router_graph()
    graph.graph_ref = "tests:strict_router_graph"
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        await graph.with_checkpointer(saver).ainvoke({"x": 1}, {"configurable": {"thread_id": "r"}})
    session = DebugSession(path, [graph])
    try:
        at = (await history(path, "r"))[0]
        start = await session.start_edit(at)
        with pytest.raises(EditError, match="the graph refused the edit: KeyError"):
            await session.edit(at, start, start.text.replace('"x": 1', '"x": 5'), "a")
    finally:
        await session.close()
    assert len(await history(path, "r")) == 3  # input, step 0, step 1: nothing added


async def test_a_replaced_file_gets_a_new_writer(demo: Path, tmp_path: Path) -> None:
    session = DebugSession(demo, demo_graphs())
    try:
        at = await before_tools(demo)
        start = await session.start_edit(at)
        await session.edit(at, start, start.text.replace('"a": 10.0', '"a": 11.0'), None)
        replacement = tmp_path / "other.db"
        await asyncio.to_thread(lambda: asyncio.run(write_demo_database(replacement)))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{demo}{suffix}").unlink(missing_ok=True)
        shutil.copy(replacement, demo)
        at = await before_tools(demo)
        before = len(await history(demo, "calc-add"))
        start = await session.start_edit(at)
        await session.edit(at, start, start.text.replace('"a": 10.0', '"a": 12.0'), None)
    finally:
        await session.close()
    assert len(await history(demo, "calc-add")) == before + 1  # written into the new file


def test_sync_nodes_run_off_the_event_loop() -> None:
    seen = []
    builder = StateGraph(Counter).add_node("a", lambda s: seen.append(threading.current_thread()) or {"x": 2})
    graph = builder.add_edge(START, "a").add_edge("a", END).compile()
    assert graph.invoke({"x": 1}) == {"x": 2}
    assert seen and seen[0] is not threading.main_thread()
