"""Reading while another process writes: readers that stay open, readers opened beside them,
and the debugger's reload, each after a real writer process ran a failing run, a fork and another
failing run (the sequence that used to end in "database disk image is malformed").
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

from tui_helpers import SIZE, column, press, screen_text, settle

from engine.checkpoint.sqlite import CheckpointReader
from tui.app import RetraceApp
from tui.widgets.state_tree import StateTree
from tui.widgets.threads_table import ThreadsTable

WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from typing import TypedDict
    from engine.checkpoint.sqlite import AsyncSqliteSaver
    from engine.graph import END, START, StateGraph

    class Note(TypedDict):
        note: str

    def shout(state):
        if state["note"].startswith("boom"):
            raise RuntimeError("the node failed on purpose")
        return {"note": state["note"] + "!"}

    graph = StateGraph(Note).add_node("shout", shout).add_edge(START, "shout").add_edge("shout", END)

    async def main(path, action, thread_id):
        async with AsyncSqliteSaver.from_conn_string(path) as saver:
            compiled = graph.compile(checkpointer=saver)
            config = {"configurable": {"thread_id": thread_id}}
            if action == "fork":
                await compiled.ainvoke({"note": "hi"}, config)
                first = [s async for s in compiled.aget_state_history(config)][-1]
                await compiled.aupdate_state(first.config, {"note": "edited"}, as_node="shout")
                return
            try:
                await compiled.ainvoke({"note": "boom"}, config)
            except RuntimeError:
                pass

    asyncio.run(main(*sys.argv[1:]))
    """
)
SEQUENCE = [("fail", "run-1"), ("fork", "run-2"), ("fail", "run-3")]


def write(path: Path, action: str, thread_id: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WRITER, str(path), action, thread_id],
        cwd=Path(__file__).parent.parent, capture_output=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]


async def thread_ids(reader: CheckpointReader) -> set[str]:
    return {t.thread_id for t in await reader.list_threads()}


async def test_readers_see_each_write_of_another_process_and_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    write(path, "fail", "run-0")
    reader = await CheckpointReader.open(path)
    try:
        expected = {"run-0"}
        for round_ in range(3):  # the bug showed on the third reopen; go past it
            for action, name in SEQUENCE:
                thread_id = f"{name}-{round_}"
                write(path, action, thread_id)
                expected.add(thread_id)
                assert await thread_ids(reader) == expected  # the open reader sees the commit
                second = await CheckpointReader.open(path)  # a reader opened beside it
                assert await thread_ids(second) == expected
                await reader.close()
                reader = second
                for t in await reader.list_threads():
                    for summary in await reader.list_checkpoints(t.thread_id):
                        await reader.get_checkpoint(t.thread_id, summary.checkpoint_id)
        fork = await reader.list_checkpoints("run-2-0")
        assert fork[0].source == "update" and fork[-1].source == "input"
    finally:
        await reader.close()


async def test_reload_after_each_write_of_another_process(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    write(path, "fail", "run-0")
    app = RetraceApp(path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        expected = ["run-0"]
        for round_ in range(2):
            for action, name in SEQUENCE:
                write(path, action, f"{name}-{round_}")
                expected.insert(0, f"{name}-{round_}")
                await press(pilot, "r")
                assert column(app.screen.query_one(ThreadsTable), 1) == expected
                shown = screen_text(app)
                assert "malformed" not in shown and "Could not read" not in shown
        assert app.failures == []


async def test_reads_started_while_reload_reopens_the_file_wait_for_it(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "live.db"
    for i in range(3):
        write(path, "fork", f"run-{i}")
    gate = asyncio.Event()
    opened = CheckpointReader.open.__func__

    async def slow_open(cls, *args, **kwargs):  # the reload is between closing and reopening
        await gate.wait()
        return await opened(cls, *args, **kwargs)

    app = RetraceApp(path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        monkeypatch.setattr(CheckpointReader, "open", classmethod(slow_open))
        await pilot.press("2", "r", "j", "j")  # reads of the highlighted checkpoints start now
        for _ in range(5):
            await pilot.pause()
        gate.set()
        await settle(pilot)
        assert app.failures == []
        assert "not open" not in screen_text(app)
        assert app.screen.query_one(StateTree).view is not None


async def test_a_late_highlight_of_the_previous_threads_row_reads_nothing(tmp_path: Path) -> None:
    from tui.messages import CheckpointHighlighted
    from tui.widgets.history_table import HistoryTable

    path = tmp_path / "live.db"
    write(path, "fork", "run-a")
    write(path, "fork", "run-b")
    app = RetraceApp(path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        stale_row = app.screen.query_one(HistoryTable).checkpoints[1]  # run-b's, the thread shown first
        await press(pilot, "j")  # now run-a
        app.screen.post_message(CheckpointHighlighted(stale_row))
        await settle(pilot)
        assert app.failures == []
        assert app.screen.checkpoint_id != stale_row.checkpoint_id
