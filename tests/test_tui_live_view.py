"""The live view with two processes: `retrace run` in another process writes checkpoints and an
interrupt while the debugger is open; the panes update on their own, the selection stays, the
new interrupt is announced, and it can be approved from the debugger."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest
from tui_helpers import SIZE, column, open_thread, press, screen_text, settle

from engine.checkpoint.sqlite import CheckpointReader
from sample_graphs import approval
from sample_graphs.demo import demo_graphs
from tui.app import RetraceApp
from tui.screens.hitl import DebuggerInbox
from tui.widgets.history_table import HistoryTable
from tui.widgets.threads_table import ThreadsTable

ROOT = Path(__file__).resolve().parent.parent
DEADLINE_S = 20.0
"""How long the test waits for the live view at most (it takes one poll, 0.1 s here)."""


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DebuggerInbox, "poll_seconds", 0.1)


async def retrace_run(db: Path, thread: str, *args: str) -> int:
    """`retrace run sample_graphs.approval:graph` in a process of its own; its exit code."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from tui.cli import main; main()", "run", "sample_graphs.approval:graph",
        "--db", str(db), "--thread", thread, *args,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode in (0, 3), (out + err).decode()
    return process.returncode


async def until(pilot, condition) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_S
    while not condition():
        assert loop.time() < deadline, "the live view did not update"
        await pilot.pause(0.05)


async def test_another_process_s_run_shows_up_live_and_is_approved_here(
    tmp_path: Path, demo_db: Path, live, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "demo.db"
    shutil.copy(demo_db, db)
    fresh = approval.Infrastructure()
    for name in ("databases", "archived", "calls"):
        monkeypatch.setattr(approval.infrastructure, name, getattr(fresh, name))
    app = RetraceApp(db, demo_graphs())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await open_thread(pilot, "calc-add")
        await press(pilot, "2", "j")  # a row of calc-add's history, not its newest
        history = app.screen.query_one(HistoryTable)
        selected = history.current_checkpoint.checkpoint_id
        reads: list[dict] = []
        list_threads = CheckpointReader.list_threads

        async def recorded(self, **kwargs):
            reads.append(kwargs)
            return await list_threads(self, **kwargs)

        monkeypatch.setattr(CheckpointReader, "list_threads", recorded)

        code = await retrace_run(db, "live-1", "--input", json.dumps({"messages": [["human", "Clean up unused databases"]]}))
        assert code == 3  # it waits for a person

        threads = app.screen.query_one(ThreadsTable)
        await until(pilot, lambda: "live-1" in column(threads, 1) and "live-1" in app.screen.inbox)
        assert threads.current.thread_id == "calc-add"  # the selection stayed
        assert history.current_checkpoint.checkpoint_id == selected
        assert app.sub_title == "✋ 2 waiting for input (I: inbox)"
        announced = [n.message for n in app._notifications]
        assert any("live-1: delete_database(name='production')" in m for m in announced), announced
        # Only what changed was read: threads updated since the newest one shown (and the inbox).
        assert reads and all(r.get("updated_since") or r.get("status") == "interrupted" for r in reads), reads

        await press(pilot, "r")  # a reopen between another process's writes reads a healthy file
        await settle(pilot)
        assert "malformed" not in screen_text(app) and app.failures == []

        await open_thread(pilot, "live-1")
        await press(pilot, "a", "enter")
        await settle(pilot)
        assert approval.infrastructure.calls == Counter({"delete_database": 1})  # here, once
        assert threads.current.thread_id == "live-1" and threads.current.status == "done"

        # And the other way round: the other process goes on with a thread, the history follows.
        assert await retrace_run(db, "live-2", "--input", json.dumps({"messages": [["human", "Clean up unused databases"]]})) == 3
        await until(pilot, lambda: "live-2" in app.screen.inbox)
        await open_thread(pilot, "live-2")
        assert column(history, 1)[0] == "3"
        await retrace_run(db, "live-2", "--resume", json.dumps({"type": "response", "args": "no"}))
        await until(pilot, lambda: column(history, 1)[:1] == ["7"] and "live-2" not in app.screen.inbox)
        assert threads.current.thread_id == "live-2" and threads.current.status == "done"
        assert app.failures == []


async def test_reading_again_keeps_the_rows_where_the_person_scrolled(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        threads = app.screen.query_one(ThreadsTable)
        await press(pilot, "1", "G", "k", "k")  # scrolled to the bottom, the cursor two rows up
        scrolled, row = threads.scroll_y, threads.cursor_row
        assert scrolled > 0
        await press(pilot, "r")
        await settle(pilot)
        assert (threads.scroll_y, threads.cursor_row) == (scrolled, row)


async def test_a_file_made_again_under_the_open_debugger_is_read_again(tmp_path: Path, demo_db: Path, live) -> None:
    db = tmp_path / "demo.db"
    shutil.copy(demo_db, db)
    app = RetraceApp(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        threads = app.screen.query_one(ThreadsTable)
        assert "live-9" not in column(threads, 1)
        fresh = tmp_path / "fresh.db"
        assert await retrace_run(fresh, "live-9", "--input", json.dumps({"messages": [["human", "Clean up unused databases"]]})) == 3
        for suffix in ("-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        fresh.replace(db)  # deleted and made again, as `retrace demo` does

        await until(pilot, lambda: column(threads, 1) == ["live-9"] and "live-9" in app.screen.inbox)
        assert list(app.screen.inbox) == ["live-9"] and app.failures == []
