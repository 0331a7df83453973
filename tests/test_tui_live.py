"""The debugger while things change around it: r reloads what another process wrote or a file
that was replaced, a theme change restyles the rows, and the layout fits the terminal's size.

Every test waits for the app's workers and messages to finish (``settle``), never for time.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tui_helpers import (
    DEMO_ORDER,
    SIZE,
    Note,
    column,
    open_thread,
    press,
    screen_text,
    settle,
    shout_graph,
    state_of,
    tree_labels,
)

from engine.checkpoint.sqlite import AsyncSqliteSaver
from engine.graph import END, START, StateGraph
from tui.app import RetraceApp
from tui.widgets.history_table import HistoryTable
from tui.widgets.state_tree import StateTree
from tui.widgets.threads_table import ThreadsTable

# Reloading ----------------------------------------------------------------------------------


async def test_r_reloads_what_another_process_wrote(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    graph = shout_graph()

    async def run(thread_id: str) -> None:
        async with AsyncSqliteSaver.from_conn_string(path) as saver:
            config = {"configurable": {"thread_id": thread_id}}
            await graph.compile(checkpointer=saver).ainvoke({"note": "hi"}, config)

    await run("first")
    await run("second")
    app = RetraceApp(path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await open_thread(pilot, "first")
        await press(pilot, "left_square_bracket")
        history = app.screen.query_one(HistoryTable)
        chosen, rows = history.current_checkpoint.checkpoint_id, history.row_count

        await run("first")  # another process goes on with the thread and starts a new one
        await run("third")
        await press(pilot, "r")
        threads = app.screen.query_one(ThreadsTable)
        assert column(threads, 1) == ["third", "first", "second"]
        assert threads.current.thread_id == "first"  # the selection stays where it was
        assert history.row_count > rows and history.current_checkpoint.checkpoint_id == chosen
        assert f"step {history.current_checkpoint.step}" in state_of(app)[0]
        assert "3 threads · 1 new thread, 6 new checkpoints" in screen_text(app)
        assert app.screen.query_one("#threads-pane").border_title == "Threads (3)"


async def test_r_reopens_a_database_file_that_was_replaced(tmp_path: Path) -> None:
    path = tmp_path / "remade.db"
    graph = shout_graph()

    async def run(*thread_ids: str) -> None:
        async with AsyncSqliteSaver.from_conn_string(path) as saver:
            for thread_id in thread_ids:
                config = {"configurable": {"thread_id": thread_id}}
                await graph.compile(checkpointer=saver).ainvoke({"note": "hi"}, config)

    await run("old-1", "old-2")
    app = RetraceApp(path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        for leftover in tmp_path.glob("remade.db*"):
            leftover.unlink()  # a script deletes the file and writes it anew
        await run("new")
        await press(pilot, "r")
        assert column(app.screen.query_one(ThreadsTable), 1) == ["new"]
        assert app.reader is app.screen.reader  # the app closes the file it now reads on exit
        assert "the file was replaced since it was opened" in screen_text(app)


# Theme and terminal size --------------------------------------------------------------------


async def test_a_theme_change_restyles_the_rows(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        threads, tree = app.screen.query_one(ThreadsTable), app.screen.query_one(StateTree)

        def styles() -> tuple[Any, Any]:
            status = threads.get_row_at(DEMO_ORDER.index("search-buggy"))[0]
            return status.style, tree.root.children[0].children[0].label.style  # a channel's key

        before = styles()
        app.theme = "textual-light"  # from the default, textual-dark
        await settle(pilot)
        assert styles() != before
        assert styles() == (
            threads.get_component_rich_style("threads-table--error", partial=True),
            tree.get_component_rich_style("state-tree--key", partial=True),
        )


async def test_small_terminal_shows_each_thread_status(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        lines = screen_text(app).splitlines()
        failed = [line for line in lines if "search-buggy" in line]
        assert failed and re.search(r"✖ error\s+search-buggy", failed[0])
        assert sum("✔ done" in line or "✖ error" in line for line in lines) >= 5
        await open_thread(pilot, "search-buggy")
        text = screen_text(app)  # the header keeps what ran and why it failed in view
        assert "ran __start__" in text and "✖ The next step failed" in text


async def test_tree_previews_grow_with_the_pane(tmp_path: Path) -> None:
    path = tmp_path / "long.db"
    builder = StateGraph(Note).add_node("n", lambda s: {"note": "x" * 400}).add_edge(START, "n")
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        graph = builder.add_edge("n", END).compile(checkpointer=saver)
        await graph.ainvoke({"note": ""}, {"configurable": {"thread_id": "t"}})
    app = RetraceApp(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(StateTree)

        def note_label() -> str:
            return next(label for label in tree_labels(tree) if label.startswith("note"))

        narrow = note_label()
        await pilot.resize_terminal(240, 30)
        await settle(pilot)
        assert len(note_label()) > len(narrow) + 100


def test_reload_summary_names_gone_threads_and_a_replaced_file() -> None:
    from engine.checkpoint.sqlite import ThreadSummary
    from tui.screens.debugger_text import describe_reload

    def thread(thread_id: str, count: int) -> ThreadSummary:
        return ThreadSummary(thread_id, count, count - 2, "c", "t0", "t1", "done")

    before = [thread("a", 3), thread("b", 3)]
    assert describe_reload(before, [thread("a", 5)]) == "1 thread · 2 new checkpoints, 1 thread gone"
    assert describe_reload(before, before) == "2 threads · nothing new"
    assert describe_reload(before, before, replaced=True) == "the file was replaced since it was opened · 2 threads"
