"""A step that ran a subgraph opens (``o``) on the subgraph's own history, with its state, diff
and writes; a nested one opens one screen deeper; ``esc`` goes back where it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_engine_subgraphs import P, cfg, child, parent
from tui_helpers import (
    HOSTILE,
    SIZE,
    column,
    open_thread,
    press,
    screen_text,
    settle,
    state_of,
    to_step,
)

from engine.checkpoint.sqlite import AsyncSqliteSaver
from engine.graph import END, START, StateGraph
from tui.app import RetraceApp
from tui.screens.debugger import DebuggerScreen
from tui.screens.subgraph import SubgraphScreen
from tui.widgets.history_table import HistoryTable
from tui.widgets.text_tab import TextTab


@pytest.fixture
async def subgraph_db(tmp_path: Path) -> Path:
    path = tmp_path / "subgraphs.db"
    middle = StateGraph(P)
    middle.add_node("inner", child([])).add_edge(START, "inner").add_edge("inner", END)
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        await parent(child([]), saver).ainvoke({"topic": "x", "log": []}, cfg("flat"))
        await parent(child([]), saver).ainvoke({"topic": "ask", "log": []}, cfg("paused"))
        await parent(middle.compile(), saver).ainvoke({"topic": HOSTILE, "log": []}, cfg("nested"))
    return path


async def test_o_opens_the_subgraph_a_step_ran_and_esc_comes_back(subgraph_db: Path) -> None:
    app = RetraceApp(subgraph_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "flat")
        rows = dict(zip(column(app.screen.query_one(HistoryTable), 1), column(app.screen.query_one(HistoryTable), 3)))
        assert rows["2"] == "sub ⧉" and rows["1"] == "prep"  # the row of the step that ran it is marked
        await to_step(pilot, 2)
        header, _ = state_of(app)
        assert "⧉ sub ran a subgraph (4 checkpoints): o opens its history" in header
        await press(pilot, "o")
        screen = app.screen
        assert isinstance(screen, SubgraphScreen)
        history = screen.query_one(HistoryTable)
        assert column(history, 1) == ["2", "1", "0", "-1"]
        assert column(history, 3)[:2] == ["s2", "s1"]
        header, labels = state_of(app)
        assert "ran s2" in header
        assert any(label.startswith("notes") and "n:x" in label for label in labels)  # the subgraph's own key
        await press(pilot, "w")
        assert "s2" in screen.query_one("#writes-text", TextTab).shown
        await press(pilot, "d")
        assert "log" in screen.query_one("#diff-text", TextTab).shown
        await press(pilot, "escape")
        assert isinstance(app.screen, DebuggerScreen)
        assert app.screen.query_one(HistoryTable).current_checkpoint.step == 2


async def test_o_on_a_step_without_a_subgraph_says_so(subgraph_db: Path) -> None:
    app = RetraceApp(subgraph_db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await open_thread(pilot, "flat")
        await to_step(pilot, 1)
        assert "⧉" not in state_of(app)[0]
        await press(pilot, "o")
        assert isinstance(app.screen, DebuggerScreen)
        assert "No subgraph ran in this step" in screen_text(app)


async def test_a_subgraph_paused_inside_opens_from_the_newest_checkpoint(subgraph_db: Path) -> None:
    app = RetraceApp(subgraph_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "paused")
        await press(pilot, "2", "o")
        assert isinstance(app.screen, SubgraphScreen)
        history = app.screen.query_one(HistoryTable)
        assert column(history, 1)[0] == "1"  # s1 ran; s2 asks
        header, _ = state_of(app)
        assert "next s2" in header
        assert "in the step that has not finished" not in screen_text(app)  # one run: no list


async def test_a_nested_subgraph_opens_one_screen_deeper_and_hostile_text_stays_inert(subgraph_db: Path) -> None:
    app = RetraceApp(subgraph_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "nested")
        await to_step(pilot, 2)
        await press(pilot, "o")
        await to_step(pilot, 1)
        assert "⧉ inner ran a subgraph" in state_of(app)[0]  # the hint one level down too
        await press(pilot, "o")
        assert len([s for s in app.screen_stack if isinstance(s, SubgraphScreen)]) == 2
        text = screen_text(app)
        assert "Subgraph inner" in text and "› sub" in text
        assert "[bold red]" in text  # the topic, shown as the characters it is
        assert "\x1b" not in text
        await press(pilot, "escape", "escape")
        assert isinstance(app.screen, DebuggerScreen)
