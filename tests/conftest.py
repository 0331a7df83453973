"""Shared fixtures: one checkpoint saver of each kind, and databases for the debugger (TUI) tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from engine.checkpoint.memory import InMemorySaver
from engine.checkpoint.sqlite import AsyncSqliteSaver
from engine.graph import END, START, StateGraph
from sample_graphs.demo import write_demo_database
from tui_helpers import HOSTILE, Note


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
