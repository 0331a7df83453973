"""The debugger driven as a user would: the threads, history and state panes, the keys that move
between them and through checkpoints, paging, the command palette and help.

Every test waits for the app's workers and messages to finish (``settle``), never for time.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.widgets import DataTable
from tui_helpers import (
    DEMO_ORDER,
    SIZE,
    column,
    open_thread,
    press,
    screen_text,
    settle,
    state_of,
)

from tui.app import RetraceApp
from tui.commands import RetraceCommands
from tui.dialogs.help import HelpDialog
from tui.dialogs.value_viewer import ValueViewer
from tui.keys import bindings_of
from tui.screens.debugger import DebuggerScreen
from tui.widgets.history_table import HistoryTable
from tui.widgets.paged_table import PagedTable
from tui.widgets.state_tree import StateTree
from tui.widgets.threads_table import ThreadsTable

# The threads, history and state panes -------------------------------------------------------


async def test_threads_are_listed_with_their_status(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ThreadsTable)
        assert column(table, 1) == DEMO_ORDER
        statuses = dict(zip(column(table, 1), column(table, 0), strict=True))
        failed = ("search-buggy", "iteration-buggy", "flaky-failed")
        assert {statuses[t] for t in failed} == {"✖ error"}
        assert statuses["approval-waiting"] == "✋ input"  # waits for an answer, not at a breakpoint
        assert {s for t, s in statuses.items() if t not in (*failed, "approval-waiting")} == {"✔ done"}
        assert dict(zip(column(table, 1), column(table, 2), strict=True))["calc-add"] == "5"
        # Error looks different from done, not only by its word.
        error_cell = table.get_row_at(DEMO_ORDER.index("search-buggy"))[0]
        done_cell = table.get_row_at(0)[0]
        assert error_cell.style != done_cell.style


async def test_selecting_a_thread_shows_its_history_newest_first(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "calc-add")
        history = app.screen.query_one(HistoryTable)
        assert column(history, 1) == ["3", "2", "1", "0", "-1"]
        assert column(history, 2) == ["loop", "loop", "loop", "loop", "input"]
        # The input checkpoint's "(input)" is dimmed, so it does not read as a node named input.
        assert column(history, 3) == ["agent", "tools", "agent", "__start__", "(input)"]
        assert history.get_row_at(4)[3].style != history.get_row_at(0)[3].style
        assert history.cursor_row == 0
        header, labels = state_of(app)
        assert "step 3" in header
        assert any("ai" in label and "10 + 20 = 30" in label for label in labels)


async def test_brackets_and_jk_step_through_checkpoints_from_any_pane(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "calc-add")
        history = app.screen.query_one(HistoryTable)

        await press(pilot, "left_square_bracket", "left_square_bracket")  # from the threads pane
        assert history.cursor_row == 2
        header, labels = state_of(app)
        assert "step 1" in header
        assert any("ai" in label and "→ add(a=10.0, b=20.0)" in label for label in labels)
        assert not any("10 + 20 = 30" in label for label in labels)

        await press(pilot, "3", "right_square_bracket")  # from the state pane
        assert history.cursor_row == 1
        assert "step 2" in state_of(app)[0]

        await press(pilot, "2", "j", "j")  # j/k in the history pane
        assert "step 0" in state_of(app)[0]
        await press(pilot, "k")
        assert "step 1" in state_of(app)[0]
        await press(pilot, "enter")
        assert app.focused is app.screen.query_one(StateTree)


async def test_tab_moves_between_panes(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert app.focused is screen.query_one(ThreadsTable)
        await press(pilot, "tab")
        assert app.focused is screen.query_one(HistoryTable)
        await press(pilot, "tab")
        assert app.focused is screen.query_one(StateTree)
        footer = screen_text(app).splitlines()[-1]  # the footer follows focus
        assert "View value" in footer and "Fold" in footer and "Parent" in footer
        await press(pilot, "shift+tab", "shift+tab")
        assert app.focused is screen.query_one(ThreadsTable)
        await pilot.click(HistoryTable, offset=(3, 3))  # the mouse works too
        await settle(pilot)
        assert app.focused is screen.query_one(HistoryTable)


async def test_a_key_typed_right_after_a_pane_key_goes_to_that_pane(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.post_message(events.Key("2", "2"))  # both queued before either is handled: "2j" typed fast
        app.post_message(events.Key("j", "j"))
        await settle(pilot)
        assert app.focused is app.screen.query_one(HistoryTable)
        assert app.screen.query_one(ThreadsTable).cursor_row == 0
        assert app.screen.query_one(HistoryTable).cursor_row == 1


async def test_g_and_G_go_to_the_ends_of_the_state_tree(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3", "G")
        tree = app.screen.query_one(StateTree)
        assert tree.cursor_line == tree.last_line > 3
        await press(pilot, "g")
        assert tree.cursor_line == 0


async def test_q_quits(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code == 0


async def test_history_and_threads_load_in_pages(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tui.screens.reads.PAGE_SIZE", 4)
    monkeypatch.setattr(PagedTable, "LOAD_AHEAD", 1)
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        threads = app.screen.query_one(ThreadsTable)
        assert column(threads, 1) == DEMO_ORDER[:4]  # not all of them up front
        await open_thread(pilot, "calc-two-questions")
        history = app.screen.query_one(HistoryTable)
        assert history.row_count == 4
        await press(pilot, *["left_square_bracket"] * 9)
        assert column(history, 1) == ["8", "7", "6", "5", "4", "3", "2", "1", "0", "-1"]
        assert history.cursor_row == 9
        assert "step -1" in state_of(app)[0]
        await press(pilot, "1", *["end"] * 4)  # each end loads the next page
        assert column(threads, 1) == DEMO_ORDER


# Help and the command palette ---------------------------------------------------------------


async def test_help_lists_every_binding_from_the_binding_data(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpDialog)
        table = app.screen.query_one(DataTable)
        cells = list(zip(column(table, 0), column(table, 1), strict=True))
        shown = {where: rows for where, rows in app.screen.shown}
        assert len(cells) == sum(1 + len(rows) for rows in shown.values())  # a heading, then its rows
        parts = [("everywhere", RetraceApp), ("debugger", DebuggerScreen), ("threads pane", ThreadsTable)]
        parts += [("history pane", HistoryTable), ("state pane", StateTree), ("value viewer", ValueViewer)]
        for where, cls in parts:
            bindings = bindings_of(cls)
            for binding in bindings:
                # One row per action: all its keys, and the first tooltip of its bindings.
                group = [b for b in bindings if b.action == binding.action]
                keys = ", ".join(dict.fromkeys(app.get_key_display(b) for b in group))
                text = next((b.tooltip for b in group if b.tooltip), group[0].description)
                assert (keys, text) in cells
                assert (keys, text) in {(", ".join(row.keys), row.text) for row in shown[where]}
        keys = {key for cell in column(table, 0) for key in cell.split(", ")}
        assert {"[", "]", "i", "q", "?", "j", "k", "tab", "v"} <= keys
        await press(pilot, "escape")
        assert isinstance(app.screen, DebuggerScreen)


async def test_help_scrolls_with_the_keys_its_hint_names(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark", "enter")  # from the filter to the list
        table = app.screen.query_one(DataTable)
        assert app.focused is table

        async def scroll_after(key: str) -> float:
            await press(pilot, key)
            await pilot.wait_for_scheduled_animations()
            return table.scroll_y

        assert [await scroll_after(key) for key in ("j", "down", "k", "up")] == [1, 2, 1, 0]
        assert await scroll_after("end") == table.max_scroll_y > 0
        assert await scroll_after("home") == 0
        assert await scroll_after("pagedown") > 2
        assert await scroll_after("pageup") == 0
        text = " ".join(screen_text(app).split())
        assert "arrows, page up/down to scroll" in text and "(j/k, home/end;" in text


async def test_help_lists_the_command_palette(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert "Open the command palette" in screen_text(app)


async def test_command_palette_offers_the_main_actions(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "calc-add")
        provider = RetraceCommands(app.screen)
        names = {hit.text async for hit in provider.discover()}
        assert {
            "Focus the threads pane",
            "Focus the history pane",
            "Focus the state pane",
            "The parent checkpoint (older, along this branch)",
            "The child checkpoint on this branch (newer)",
            "Show or hide internal channels (__start__, branch:to:*, join:*)",
            "Show every key binding",
            "Quit retrace",
        } <= names
        hits = [hit async for hit in provider.search("parent checkpoint")]
        best = max(hits, key=lambda hit: hit.score)
        assert best.text == "The parent checkpoint (older, along this branch)"
        await best.command()
        await settle(pilot)
        assert app.screen.query_one(HistoryTable).cursor_row == 1
        assert "step 2" in state_of(app)[0]


async def test_palette_goes_to_a_thread_by_its_id(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p", *"search-buggy")
        assert "Go to thread search-buggy" in screen_text(app)
        await press(pilot, "enter")
        assert isinstance(app.screen, DebuggerScreen)
        assert app.screen.query_one(ThreadsTable).current.thread_id == "search-buggy"
        history = app.screen.query_one(HistoryTable)
        assert history.thread_id == "search-buggy" and app.focused is history
        assert "The next step failed" in state_of(app)[0]


async def test_palette_offers_no_key_panel_that_escape_cannot_close(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Keys" not in titles and "Quit" not in titles
        assert "Theme" in titles  # Textual's other commands stay


async def test_a_small_terminal_drops_the_least_needed_columns_and_keeps_help_in_sight(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_thread(pilot, "calc-add")
        threads, history = app.screen.query_one(ThreadsTable), app.screen.query_one(HistoryTable)
        assert [c.label.plain for c in threads.columns.values()] == ["status", "thread"]
        assert [c.label.plain for c in history.columns.values()] == ["", "step", "source", "nodes that ran"]
        assert "? for keys" in screen_text(app).splitlines()[0]
        await pilot.resize_terminal(160, 45)
        await settle(pilot)
        assert "updated (UTC)" in [c.label.plain for c in threads.columns.values()]
        assert history.current_checkpoint is not None and history.current_checkpoint.step == 3  # kept
