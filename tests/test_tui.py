"""The debugger driven as a user would: ``RetraceApp.run_test`` and ``Pilot`` key presses.

Every test waits for the app's workers and messages to finish (``settle``), never for time.
"""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path
from typing import Any, TypedDict

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static, Tree
from textual.widgets.tree import TreeNode
from textual.worker import WorkerState

from engine.checkpoint.sqlite import AsyncSqliteSaver, CheckpointReader
from engine.errors import CheckpointStoreError
from engine.graph import END, START, StateGraph
from sample_graphs.demo import write_demo_database
from tui.app import RetraceApp
from tui.commands import RetraceCommands
from tui.dialogs.help import HelpDialog
from tui.dialogs.value_viewer import ValueViewer
from tui.keys import bindings_of
from tui.screens.debugger import DebuggerScreen
from tui.screens.open_error import OpenErrorScreen
from tui.widgets.checkpoint_header import CheckpointHeader
from tui.widgets.history_table import HistoryTable
from tui.widgets.paged_table import PagedTable
from tui.widgets.state_tree import StateTree
from tui.widgets.threads_table import ThreadsTable

SIZE = (160, 45)
DEMO_ORDER = [  # most recently updated first, as the demo writes them
    "bob_session_1",
    "alice_session_1",
    "calc-two-questions",
    "calc-add",
    "search-buggy",
    "search-state-management",
    "search-fixed",
]

# Helpers ------------------------------------------------------------------------------------

_BUSY = (WorkerState.PENDING, WorkerState.RUNNING)


async def settle(pilot: Pilot) -> None:
    """Wait until no worker runs and the messages they posted have been handled.

    One key press can start a chain (highlight -> worker -> result -> highlight -> worker), so
    wait until two passes in a row find nothing running.
    """
    app, quiet = pilot.app, 0
    for _ in range(100):
        await pilot.pause()
        if any(w.state in _BUSY for w in app.workers):
            quiet = 0
            await app.workers.wait_for_complete()
        else:
            quiet += 1
            if quiet == 2:
                return
    raise AssertionError("the app never settled")


async def press(pilot: Pilot, *keys: str) -> None:
    """Press keys one at a time, letting each one's work finish, as a person typing would."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def column(table: DataTable, index: int) -> list[str]:
    return [table.get_row_at(row)[index].plain for row in range(table.row_count)]


def tree_labels(tree: Tree | TreeNode) -> list[str]:
    """Every label made so far (open or not) under the tree or node, depth first."""
    out: list[str] = []

    def walk(node: Any) -> None:
        for child in node.children:
            out.append(child.label.plain)
            walk(child)

    walk(tree.root if isinstance(tree, Tree) else tree)
    return out


def static_text(widget: Static) -> str:
    content = widget.content
    return content.plain if hasattr(content, "plain") else str(content)


def screen_text(app: RetraceApp) -> str:
    """The characters on screen, line by line, read from the SVG screenshot."""
    svg = app.export_screenshot()
    rows: dict[float, str] = {}
    for match in re.finditer(r'<text class="[^"]*" x="[^"]*" y="([^"]*)"[^>]*>(.*?)</text>', svg):
        y = float(match.group(1))
        rows[y] = rows.get(y, "") + html.unescape(match.group(2)).replace("\xa0", " ")
    return "\n".join(rows[y] for y in sorted(rows))


async def open_thread(pilot: Pilot, thread_id: str) -> None:
    """Move the threads cursor to ``thread_id`` with j/k and wait for its newest checkpoint."""
    threads = pilot.app.screen.query_one(ThreadsTable)
    target = [t.thread_id for t in threads.items].index(thread_id)
    await press(pilot, "1")
    while threads.cursor_row != target:
        await press(pilot, "j" if threads.cursor_row < target else "k")
    assert pilot.app.screen.query_one(HistoryTable).thread_id == thread_id


def section(tree: Tree, heading: str) -> list[str]:
    """The labels of the state tree's section whose heading starts with ``heading`` (none: [])."""
    for node in tree.root.children:
        if node.label.plain.startswith(heading):
            return [node.label.plain, *tree_labels(node)]
    return []


def state_of(app: RetraceApp) -> tuple[str, list[str]]:
    screen = app.screen
    return static_text(screen.query_one(CheckpointHeader)), tree_labels(screen.query_one(StateTree))


# Fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    asyncio.run(write_demo_database(path))
    return path


class Note(TypedDict):
    note: str


HOSTILE = "[bold red]x[/]\x1b[2J\nnext"
HOSTILE_SHOWN = "[bold red]x[/]\\x1b[2J\\nnext"


@pytest.fixture
def hostile_db(tmp_path: Path) -> Path:
    """A thread whose id, node name and values are markup, an escape sequence and a newline."""
    node = "[b]evil[/b]"
    builder = (
        StateGraph(Note).add_node(node, lambda s: {"note": HOSTILE}).add_edge(START, node).add_edge(node, END)
    )
    path = tmp_path / "hostile.db"

    async def write() -> None:
        async with AsyncSqliteSaver.from_conn_string(path) as saver:
            await builder.compile(checkpointer=saver).ainvoke(
                {"note": HOSTILE}, {"configurable": {"thread_id": HOSTILE}}
            )

    asyncio.run(write())
    return path


# The threads, history and state panes -------------------------------------------------------


async def test_threads_are_listed_with_their_status(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ThreadsTable)
        assert column(table, 1) == DEMO_ORDER
        statuses = dict(zip(column(table, 1), column(table, 0), strict=True))
        assert statuses["search-buggy"] == "✖ error"
        assert {s for t, s in statuses.items() if t != "search-buggy"} == {"✔ done"}
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
        assert column(history, 0) == ["3", "2", "1", "0", "-1"]
        assert column(history, 1) == ["loop", "loop", "loop", "loop", "input"]
        # The input checkpoint's "(input)" is dimmed, so it does not read as a node named input.
        assert column(history, 2) == ["agent", "tools", "agent", "__start__", "(input)"]
        assert history.get_row_at(4)[2].style != history.get_row_at(0)[2].style
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


async def test_failed_thread_shows_its_error_and_the_pending_writes(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "search-buggy")
        header, labels = state_of(app)
        assert "The next step failed: InvalidUpdateError: Can receive only one value" in header
        pending = section(app.screen.query_one(StateTree), "The next step failed")
        assert "what its finished tasks wrote  by 2 tasks (pending writes)" in pending[0]
        assert any(label.startswith("doc_search") and "wrote results" in label for label in labels)
        assert any(label.startswith("web_search") and "wrote results" in label for label in labels)
        assert "total_score  0.9" in labels and "total_score  0.8" in labels
        # The whole error is a value too, for messages longer than the header shows.
        tree = app.screen.query_one(StateTree)
        await press(pilot, "3")
        for _ in range(30):
            if tree.cursor_node.data.path == ("error", "error"):
                break
            await press(pilot, "j")
        assert tree.cursor_node.data.path == ("error", "error")
        await press(pilot, "enter")
        assert "Give each such key a reducer" in static_text(app.screen.query_one("#value-text", Static))
        await press(pilot, "escape")
        # An older checkpoint of the same thread points at the failure.
        await press(pilot, "left_square_bracket")
        assert "This thread failed later (InvalidUpdateError)" in state_of(app)[0]
        assert "InvalidUpdateError" in screen_text(app)


async def test_state_shows_what_this_step_wrote_not_the_next_one(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "calc-add")
        tree = app.screen.query_one(StateTree)
        written = section(tree, "Written in this step")
        assert written[:2] == ["Written in this step  by 1 task", "agent  wrote messages"]
        assert any("10 + 20 = 30" in label for label in written)
        assert not section(tree, "The next step")  # a finished step has no pending writes

        await press(pilot, "left_square_bracket")  # step 2: ran tools -> next agent
        assert "ran tools  →  next agent" in state_of(app)[0]
        written = section(tree, "Written in this step")
        assert written[1] == "tools  wrote messages"
        assert any('tool (add): "30"' in label for label in written)
        # What agent writes in step 3 is not shown here.
        assert not any("10 + 20 = 30" in label for label in state_of(app)[1])
        assert not any("pending" in label for label in state_of(app)[1])

        await press(pilot, *["left_square_bracket"] * 3)  # step -1: the input
        written = section(tree, "Written in this step")
        assert "nothing ran: this checkpoint holds the run's input" in written[0]
        assert any(label.startswith("input") and "Calculate 10 + 20" in label for label in written)

        await open_thread(pilot, "calc-two-questions")  # the second run's input has a parent
        await press(pilot, *["left_square_bracket"] * 4)
        assert "step 4  source input" in state_of(app)[0]
        assert "holds the run's input" in section(tree, "Written in this step")[0]


async def test_a_fork_shows_its_own_writes_not_the_original_runs(tmp_path: Path) -> None:
    path = tmp_path / "fork.db"
    runs = iter(["first run", "the fork"])
    builder = StateGraph(Note).add_node("n", lambda s: {"note": next(runs)}).add_edge(START, "n")
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        graph = builder.add_edge("n", END).compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "t"}}
        await graph.ainvoke({"note": ""}, config)
        before_n = [s async for s in graph.aget_state_history(config)][1].config  # step 0
        await graph.ainvoke(None, before_n)  # run n again from there: a second child of step 0
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        written = section(app.screen.query_one(StateTree), "Written in this step")
        assert written[:3] == ["Written in this step  by 1 task", "n  wrote note", 'note  "the fork"']


async def test_internal_channels_are_hidden_until_toggled(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "calc-add")
        await press(pilot, "left_square_bracket")  # step 2 has branch:to:agent
        assert not any(label.startswith("branch:to:agent") for label in state_of(app)[1])
        assert "1 internal hidden" in " ".join(state_of(app)[1])
        await press(pilot, "i")
        assert any(label.startswith("branch:to:agent") for label in state_of(app)[1])
        await press(pilot, "i")
        assert not any(label.startswith("branch:to:agent") for label in state_of(app)[1])


async def test_input_checkpoint_with_only_internal_channels_says_so(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "calc-add")
        await press(pilot, *["left_square_bracket"] * 4)
        header, labels = state_of(app)
        assert "source input" in header
        assert "nothing but internal channels; press i to show them" in labels


async def test_value_viewer_shows_a_value_whole(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "search-buggy")
        await press(pilot, "3")
        tree = app.screen.query_one(StateTree)
        assert tree.cursor_node is not None and tree.cursor_node.data.path == ("state",)
        await press(pilot, "v")  # a heading has no value: nothing opens
        assert not isinstance(app.screen, ValueViewer)
        await press(pilot, "j", "enter")
        assert isinstance(app.screen, ValueViewer)
        assert static_text(app.screen.query_one("#value-text", Static)) == "concurrency"
        await press(pilot, "escape")
        assert isinstance(app.screen, DebuggerScreen)

        await open_thread(pilot, "calc-add")
        await press(pilot, "3", "j", "v")  # the messages channel, every message in full
        text = static_text(app.screen.query_one("#value-text", Static))
        assert 'content: "Calculate 10 + 20"' in text and 'content: "10 + 20 = 30"' in text
        assert 'tool_calls: [{name: "add", args: {a: 10.0, b: 20.0}, id: "call_1"}]' in text
        assert 'tool_call_id: "call_1"' in text
        await press(pilot, "q")  # q closes the dialog, not the app
        assert isinstance(app.screen, DebuggerScreen)
        assert app.return_code is None


async def test_value_viewer_shows_a_message_whole(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "calc-add")
        await press(pilot, "3", "j", "j", "j", "v")  # messages › 1: the AI message calling add
        text = static_text(app.screen.query_one("#value-text", Static))
        assert text.startswith("AIMessage(\n")
        for line in ('type: "ai"', 'content: ""', "name: None", 'args: {a: 10.0, b: 20.0}, id: "call_1"'):
            assert line in text
        assert re.search(r'\n  id: "[0-9a-f-]{36}"\n', text)
        await press(pilot, "escape", "j", "v")  # messages › 2: the tool's answer
        text = static_text(app.screen.query_one("#value-text", Static))
        assert 'content: "30"' in text and 'name: "add"' in text and 'tool_call_id: "call_1"' in text
        await press(pilot, "escape", "k", "space", "j", "v")  # messages › 1 › content: ""
        assert static_text(app.screen.query_one("#value-text", Static)) == '""'


async def test_help_lists_every_binding_from_the_binding_data(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpDialog)
        table = app.screen.query_one(DataTable)
        rows = set(zip(column(table, 0), column(table, 1), strict=True))
        for cls in (RetraceApp, DebuggerScreen, ThreadsTable, HistoryTable, StateTree, ValueViewer):
            for binding in bindings_of(cls):
                assert (app.get_key_display(binding), binding.tooltip or binding.description) in rows
        keys = set(column(table, 0))
        assert {"[", "]", "i", "q", "?", "j", "k", "tab", "v"} <= keys
        await press(pilot, "escape")
        assert isinstance(app.screen, DebuggerScreen)


async def test_help_scrolls_with_the_keys_its_hint_names(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        table = app.screen.query_one(DataTable)

        async def scroll_after(key: str) -> float:
            await press(pilot, key)
            await pilot.wait_for_scheduled_animations()
            return table.scroll_y

        assert [await scroll_after(key) for key in ("j", "down", "k", "up")] == [1, 2, 1, 0]
        assert await scroll_after("end") == table.max_scroll_y > 0
        assert await scroll_after("home") == 0
        assert await scroll_after("pagedown") > 2
        assert await scroll_after("pageup") == 0
        assert "j/k, arrows" in screen_text(app)


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
            "Previous (older) checkpoint",
            "Next (newer) checkpoint",
            "Show or hide internal channels (__start__, branch:to:*, join:*)",
            "Show every key binding",
            "Quit retrace",
        } <= names
        hits = [hit async for hit in provider.search("older checkpoint")]
        best = max(hits, key=lambda hit: hit.score)
        assert best.text == "Previous (older) checkpoint"
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


async def test_q_quits(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code == 0


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
        assert "View value" in footer and "Fold" in footer and "Older" in footer
        await press(pilot, "shift+tab", "shift+tab")
        assert app.focused is screen.query_one(ThreadsTable)
        await pilot.click(HistoryTable, offset=(3, 3))  # the mouse works too
        await settle(pilot)
        assert app.focused is screen.query_one(HistoryTable)


async def test_r_reloads_what_another_process_wrote(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    graph = StateGraph(Note).add_node("shout", lambda s: {"note": s["note"] + "!"})
    graph = graph.add_edge(START, "shout").add_edge("shout", END)

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
        chosen, rows = history.current.checkpoint_id, history.row_count

        await run("first")  # another process goes on with the thread and starts a new one
        await run("third")
        await press(pilot, "r")
        threads = app.screen.query_one(ThreadsTable)
        assert column(threads, 1) == ["third", "first", "second"]
        assert threads.current.thread_id == "first"  # the selection stays where it was
        assert history.row_count > rows and history.current.checkpoint_id == chosen
        assert f"step {history.current.step}" in state_of(app)[0]
        assert "3 threads · 1 new thread, 6 new checkpoints" in screen_text(app)
        assert app.screen.query_one("#threads-pane").border_title == "Threads (3)"


async def test_r_reopens_a_database_file_that_was_replaced(tmp_path: Path) -> None:
    path = tmp_path / "remade.db"
    graph = StateGraph(Note).add_node("shout", lambda s: {"note": s["note"] + "!"})
    graph = graph.add_edge(START, "shout").add_edge("shout", END)

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


async def test_an_edited_checkpoint_says_it_was_set_by_hand(tmp_path: Path) -> None:
    path = tmp_path / "edited.db"
    graph = StateGraph(Note).add_node("shout", lambda s: {"note": s["note"] + "!"})
    graph = graph.add_edge(START, "shout").add_edge("shout", END)
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        compiled = graph.compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "t"}}
        await compiled.ainvoke({"note": "hi"}, config)
        await compiled.aupdate_state(config, {"note": "fixed by hand"})
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "t")
        header = state_of(app)[0]
        assert "edited state set by hand, as if shout had written it" in header
        assert column(app.screen.query_one(HistoryTable), 1)[0] == "update"


def test_the_viewer_says_where_a_huge_value_was_cut() -> None:
    from tui.full_text import MAX_FULL_CHARS, full_text

    text = full_text(list(range(100_000)))
    assert len(text) < MAX_FULL_CHARS + 200
    assert text.endswith(f"cut here: the value is longer than {MAX_FULL_CHARS:,} characters laid out")


async def test_help_lists_the_command_palette(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert "Open the command palette" in screen_text(app)


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


# Untrusted data, failures and empty states --------------------------------------------------


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
        assert column(history, 2)[0] == "[b]evil[/b]"
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
        assert set(column(app.screen.query_one(DataTable), 2)) == {"everywhere"}  # no viewer, no panes


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
        assert column(history, 0) == ["8", "7", "6", "5", "4", "3", "2", "1", "0", "-1"]
        assert history.cursor_row == 9
        assert "step -1" in state_of(app)[0]
        await press(pilot, "1", "end")
        assert column(threads, 1) == DEMO_ORDER
