"""The debugger over the hostile corpus: it opens, walks every thread and checkpoint, stays up,
shows damaged rows as damaged, never puts a raw escape on screen, and quits on ``q``.

Every test waits for the app's workers and messages to finish (``settle``), never for time.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import hostile_corpus as corpus
import pytest
from textual.widgets import Static
from tui_helpers import (
    SIZE,
    column,
    open_thread,
    press,
    screen_text,
    settle,
    state_of,
    static_text,
)

from sample_graphs.demo import write_demo_database
from tui.app import RetraceApp
from tui.screens.open_error import OpenErrorScreen
from tui.widgets.history_table import HistoryTable
from tui.widgets.threads_table import ThreadsTable


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    asyncio.run(write_demo_database(path))
    return path


async def walk_everything(pilot, app: RetraceApp) -> None:
    """Visit every thread: its newest checkpoint, and the one before it, with their state."""
    threads = app.screen.query_one(ThreadsTable)
    for row in range(threads.row_count):
        threads.move_cursor(row=row)
        await settle(pilot)
        await press(pilot, "left_square_bracket")
        assert "\x1b" not in screen_text(app)


@pytest.mark.parametrize("case", sorted(corpus.HOSTILE_ROWS))
async def test_the_debugger_survives_hostile_rows(case: str, demo: Path, tmp_path: Path) -> None:
    path = corpus.copy_demo(demo, tmp_path / "hostile.db")
    corpus.HOSTILE_ROWS[case](path)
    before = corpus.Files.of(path)
    app = RetraceApp(path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert not isinstance(app.screen, OpenErrorScreen)
        await walk_everything(pilot, app)
        assert app.failures == []  # nothing got as far as a failing handler
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert before.left_alone_by(corpus.Files.of(path))


async def test_bad_pending_writes_show_their_damage_and_the_rest(demo: Path, tmp_path: Path) -> None:
    path = corpus.copy_demo(demo, tmp_path / "h.db")
    corpus.bad_pending_writes(path)
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3")  # bob's newest checkpoint: what its step wrote, idx damaged
        header, labels = state_of(app)
        assert any(label.startswith("respond") for label in labels), labels
        assert any("⚠" in label and "idx is not a whole number" in label for label in labels), labels


async def test_a_damaged_checkpoint_is_marked_in_the_history_and_explained(demo: Path, tmp_path: Path) -> None:
    path = corpus.copy_demo(demo, tmp_path / "h.db")
    corpus.one_bad_row(path)
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "calc-add")
        history = app.screen.query_one(HistoryTable)
        sources = column(history, 2)
        assert sum(s.startswith("⚠") for s in sources) == 1 and len(sources) > 2
        await press(pilot, "2")
        history.move_cursor(row=next(i for i, s in enumerate(sources) if s.startswith("⚠")))
        await settle(pilot)
        header, _ = state_of(app)
        assert "⚠ damaged checkpoint: metadata cannot be read" in header


async def test_an_oversized_error_is_shown_cut_and_q_still_quits(demo: Path, tmp_path: Path) -> None:
    path = corpus.copy_demo(demo, tmp_path / "h.db")
    corpus.huge_error(path)
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "search-buggy")
        await press(pilot, "3")
        header, _ = state_of(app)
        assert "The next step failed: E: too large to read" in header and "it starts:" in header
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_a_refused_file_shows_its_reason_neutralised(demo: Path, tmp_path: Path) -> None:
    path = corpus.copy_demo(demo, tmp_path / "h.db")
    corpus.osc_in_schema(path)
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, OpenErrorScreen)
        reason = static_text(app.screen.query_one("#open-error-reason", Static))
        assert "\\x1b]0;PWNED\\x07" in reason and "\x1b" not in reason
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_a_fifo_does_not_hang_the_debugger(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "x.db"
    os.mkfifo(fifo)
    app = RetraceApp(fifo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, OpenErrorScreen)
        assert "not a regular file" in static_text(app.screen.query_one("#open-error-reason", Static))
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_a_failing_handler_is_reported_and_the_app_stays_up(demo: Path, monkeypatch) -> None:
    from tui.widgets.state_tree import StateTree

    def broken(self, view) -> None:
        raise TypeError("'<' not supported between instances of 'str' and 'int'")

    app = RetraceApp(demo)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        monkeypatch.setattr(StateTree, "show_state", broken)
        await press(pilot, "2", "left_square_bracket")
        assert len(app.failures) == 1 and isinstance(app.failures[0], TypeError)
        assert "TypeError" in screen_text(app)
        monkeypatch.undo()
        await press(pilot, "left_square_bracket")  # the rest still works
        assert app.screen.query_one(HistoryTable).cursor_row == 2
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_a_snapshot_reader_says_so(demo: Path, monkeypatch) -> None:
    from engine.checkpoint.sqlite import CheckpointReader

    opened = CheckpointReader.open.__func__

    async def as_snapshot(cls, path, **kwargs):
        reader = await opened(cls, path, **kwargs)
        reader.how = "snapshot"  # what a read-only directory with a -wal and no -shm gives
        return reader

    monkeypatch.setattr(CheckpointReader, "open", classmethod(as_snapshot))
    app = RetraceApp(demo)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        shown = screen_text(app)
        assert "Read-only directory" in shown and "private copy" in shown, shown
