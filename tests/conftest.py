"""Shared fixtures: one checkpoint saver of each kind, and databases for the debugger (TUI) tests."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from tui_helpers import HOSTILE, Note

from engine.checkpoint.memory import InMemorySaver
from engine.checkpoint.sqlite import AsyncSqliteSaver
from engine.graph import END, START, StateGraph
from sample_graphs.demo import write_demo_database


@pytest.fixture
async def sqlite_saver():
    """A private in-memory SQLite saver (its ``conn`` can be queried directly)."""
    saver = await AsyncSqliteSaver.open(":memory:")
    yield saver
    await saver.close()


@pytest.fixture(params=["memory", "sqlite"])
async def saver(request):
    """Each checkpoint saver in turn: ``InMemorySaver`` and an in-memory ``AsyncSqliteSaver``."""
    if request.param == "memory":
        yield InMemorySaver()
        return
    saver = await AsyncSqliteSaver.open(":memory:")
    yield saver
    await saver.close()


# Databases for the debugger (TUI) tests -----------------------------------------------------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    asyncio.run(write_demo_database(path))
    return path


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


@pytest.fixture
def demo(tmp_path: Path, demo_db: Path) -> Path:
    """A copy of the demo database the test may write to (a module may define its own)."""
    copy = tmp_path / "demo.db"
    shutil.copy(demo_db, copy)
    return copy


@pytest.fixture
def approval_infra(monkeypatch: pytest.MonkeyPatch):
    """The pretend infrastructure of ``sample_graphs.approval:graph`` (what the debugger and
    `retrace run` attach), fresh for the test: its ``calls`` count the tools that really ran."""
    from sample_graphs import approval

    fresh = approval.Infrastructure()
    for name in ("databases", "archived", "calls"):
        monkeypatch.setattr(approval.infrastructure, name, getattr(fresh, name))
    return approval.infrastructure


@pytest.fixture(autouse=True)
def no_live_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    """The debugger's live view polls the file twice a second; tests of other features run
    without it (a poll between two key presses would make them timing-dependent). The live
    view's own tests turn it back on."""
    from tui.screens.hitl import DebuggerInbox

    monkeypatch.setattr(DebuggerInbox, "poll_seconds", None)
