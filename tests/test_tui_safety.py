"""Untrusted data, failures and empty states: hostile strings, files that are not a retrace
database, a thread without checkpoints, an empty database and a read that fails.

Every test waits for the app's workers and messages to finish (``settle``), never for time.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static
from tui_helpers import (
    HOSTILE,
    HOSTILE_SHOWN,
    SIZE,
    column,
    press,
    screen_text,
    settle,
    state_of,
    static_text,
)

from engine.checkpoint.sqlite import AsyncSqliteSaver, CheckpointReader
from engine.errors import CheckpointStoreError
from tui.app import RetraceApp
from tui.dialogs.help import HelpDialog
from tui.screens.open_error import OpenErrorScreen
from tui.widgets.history_table import HistoryTable
from tui.widgets.threads_table import ThreadsTable


async def test_hostile_strings_render_literally(hostile_db: Path) -> None:
    app = RetraceApp(hostile_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3", "j")
        threads = app.screen.query_one(ThreadsTable)
        cell = threads.get_row_at(0)[1]
        assert cell.plain == HOSTILE_SHOWN
        assert not cell.spans and not cell.style  # no markup was applied
        history = app.screen.query_one(HistoryTable)
        assert column(history, 3)[0] == "[b]evil[/b]"
        labels = state_of(app)[1]
        assert f'note  "{HOSTILE_SHOWN}"' in labels
        assert all("\x1b" not in label for label in labels)
        note = next(label for label in labels if label.startswith("note"))
        assert "\\nnext" in note  # the newline is shown as \n (a Tree keeps only a label's first line)
        shown = screen_text(app)
        assert "\x1b" not in shown
        assert HOSTILE_SHOWN[:20] in shown  # in the threads table (cut to fit the column)
        assert f"History of {HOSTILE_SHOWN}" in shown
        assert "[b]evil[/b]" in shown
        await press(pilot, "v")
        viewer = static_text(app.screen.query_one("#value-text", Static))
        assert viewer == HOSTILE.replace("\x1b", "\\x1b")  # whole, newline kept, escape visible


@pytest.mark.parametrize("content", [b"this is not a database\n", b""])
async def test_a_file_that_is_not_a_retrace_database_shows_an_error_screen(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, OpenErrorScreen)
        reason = static_text(app.screen.query_one("#open-error-reason", Static))
        with pytest.raises(CheckpointStoreError) as refusal:
            await CheckpointReader.open(path)
        assert "notes.db" in reason and reason == str(refusal.value)  # the store's words, no traceback
        assert "Press q to quit" in screen_text(app)
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code == 0


async def test_help_on_the_error_screen_lists_only_the_apps_keys(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not a database\n")
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpDialog)
        assert [where for where, _ in app.screen.shown] == ["everywhere"]  # no viewer, no panes
        assert column(app.screen.query_one(DataTable), 0)[0] == "Everywhere"


async def test_a_missing_file_shows_an_error_screen(tmp_path: Path) -> None:
    app = RetraceApp(tmp_path / "nowhere.db")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, OpenErrorScreen)
        assert not (tmp_path / "nowhere.db").exists()


async def test_a_thread_without_checkpoints_says_so(tmp_path: Path) -> None:
    path = tmp_path / "early.db"
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        error = {"type": "ValueError", "message": "bad input [red]x[/]"}
        await saver.arecord_error({"configurable": {"thread_id": "early"}}, error)
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert column(app.screen.query_one(ThreadsTable), 0) == ["✖ error"]
        text = screen_text(app)
        assert "This thread has no checkpoints. It failed before its first one:" in text
        assert "ValueError: bad input [red]x[/]" in text
        assert "No checkpoint to show" in text


async def test_an_empty_database_says_there_are_no_threads(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    saver = await AsyncSqliteSaver.open(path)
    await saver.close()
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "No threads in this database yet" in text
        assert "No thread to show." in text


async def test_a_failed_read_becomes_a_message_not_a_crash(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        async def broken(*args: object, **kwargs: object) -> None:
            raise CheckpointStoreError("the checkpoint database is damaged or locked (disk I/O error)")

        monkeypatch.setattr(app.reader, "get_checkpoint", broken)
        await press(pilot, "left_square_bracket")
        assert app.return_code is None
        assert "Could not read this checkpoint: the checkpoint database is damaged" in screen_text(app)


async def test_a_screenshot_without_a_downloads_folder_lands_in_the_current_directory(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # a home with no Downloads folder
    (tmp_path / "home").mkdir()
    monkeypatch.chdir(tmp_path)
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.action_screenshot()
        for _ in range(50):
            await pilot.pause(0.05)
            if list(tmp_path.glob("*.svg")):
                break
    (saved,) = tmp_path.glob("*.svg")
    assert "retrace" in saved.read_text()
