"""Shared helpers for the debugger tests: drive the app with ``Pilot`` and read what it shows.

Every test waits for the app's workers and messages to finish (``settle``), never for time.
"""

from __future__ import annotations

import html
import re
import sqlite3
from pathlib import Path
from typing import Any, TypedDict

from textual.pilot import Pilot
from textual.widgets import DataTable, Static, Tree
from textual.widgets.tree import TreeNode
from textual.worker import WorkerState

from engine.graph import END, START, StateGraph
from tui.app import RetraceApp
from tui.widgets.checkpoint_header import CheckpointHeader
from tui.widgets.history_table import HistoryTable
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
    "approval-rejected",
    "approval-approved",
    "approval-waiting",
    "map-reduce",
    "iteration-buggy",
    "iteration-fixed",
    "flaky-retried",
    "flaky-resumed",
    "flaky-failed",
    "rate-limited",
    "preferences-conflict",
    "research-team",
]


class Note(TypedDict):
    note: str


HOSTILE = "[bold red]x[/]\x1b[2J\nnext"
HOSTILE_SHOWN = "[bold red]x[/]\\x1b[2J\\nnext"

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


def checkpoint_rows(path: Path) -> int:
    """How many checkpoints the file holds (read-only): a test's check that nothing was written."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT count(*) FROM checkpoints").fetchone()[0]


def column(table: DataTable, index: int) -> list[str]:
    return [table.get_row_at(row)[index].plain for row in range(table.row_count)]


async def to_step(pilot: Pilot, step: int) -> None:
    """Focus the screen's history and move its cursor to the first row of ``step``."""
    history = pilot.app.screen.query_one(HistoryTable)
    history.focus()
    target = column(history, 1).index(str(step))
    while history.cursor_row != target:
        await press(pilot, "j" if history.cursor_row < target else "k")


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


def shout_graph() -> StateGraph:
    """START -> shout -> END on a one-key state: the smallest graph that makes checkpoints."""
    graph = StateGraph(Note).add_node("shout", lambda s: {"note": s["note"] + "!"})
    return graph.add_edge(START, "shout").add_edge("shout", END)


async def write_replayed_thread(path) -> None:
    """Thread ``t`` on ``path``: a run of :func:`shout_graph`, then a replay from its step 0 (so
    the thread has a ``fork`` copy of that checkpoint, and a second branch)."""
    from engine.checkpoint.sqlite import AsyncSqliteSaver

    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        graph = shout_graph().compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "t"}}
        await graph.ainvoke({"note": "hi"}, config)
        step0 = [s async for s in graph.aget_state_history(config)][-2]
        await graph.ainvoke(None, step0.config)
