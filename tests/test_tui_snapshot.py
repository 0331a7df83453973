"""SVG snapshot of the debugger's main screen at a fixed size, on a database made deterministic.

Regenerate after an intended change with ``uv run pytest tests/test_tui_snapshot.py
--snapshot-update`` and look at the new SVG before committing it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerState

import engine.messages
from engine.checkpoint.sqlite import AsyncSqliteSaver
from engine.debug.attach import load_graph
from engine.pregel.runtime import RunEnv
from sample_graphs.demo import write_demo_database
from tui.app import RetraceApp


@pytest.fixture
def deterministic_env(monkeypatch: pytest.MonkeyPatch) -> RunEnv:
    """Fixed, increasing timestamps, checkpoint ids, tokens and message ids."""
    start = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc)
    ticks = itertools.count()

    def utc_now() -> str:
        return (start + timedelta(milliseconds=250 * next(ticks))).isoformat()

    checkpoints = itertools.count(1)
    messages = itertools.count(1)
    tokens = itertools.count(1)
    env = RunEnv(
        now=utc_now,
        checkpoint_id=lambda: f"01900000-0000-7000-8000-{next(checkpoints):012x}",
        token=lambda: f"{next(tokens):016x}",
        monotonic=lambda: 0.0,  # tasks in threads finish in any order: every attempt takes 0 ms
    )
    monkeypatch.setattr(engine.messages.uuid, "uuid4", lambda: uuid.UUID(int=next(messages)))
    return env


@pytest.fixture
def deterministic_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deterministic_env: RunEnv) -> str:
    """The demo database written with :func:`deterministic_env`.

    Returns a path relative to the working directory, so the header shows the same text on
    every machine.
    """
    asyncio.run(write_demo_database(tmp_path / "demo.db", deterministic_env))
    monkeypatch.chdir(tmp_path)
    return "demo.db"


async def _edit_and_continue(path: Path, env: RunEnv) -> None:
    """calc-add gets a second branch: the tool's argument edited at step 1 (10 -> 40), then run on."""
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        graph = load_graph("sample_graphs.calculator_agent:graph").with_checkpointer(saver, env=env)
        config = {"configurable": {"thread_id": "calc-add"}}
        at = [s async for s in graph.aget_state_history(config) if s.next == ("tools",)][0]
        call = at.values["messages"][-1]
        edited = dataclasses.replace(call, tool_calls=[{**call.tool_calls[0], "args": {"a": 40.0, "b": 20.0}}])
        await graph.ainvoke(None, await graph.aupdate_state(at.config, {"messages": [edited]}, as_node="agent"))


async def _settle(pilot: Pilot) -> None:
    busy = (WorkerState.PENDING, WorkerState.RUNNING)
    quiet = 0
    while quiet < 2:
        await pilot.pause()
        if any(w.state in busy for w in pilot.app.workers):
            quiet = 0
            await pilot.app.workers.wait_for_complete()
        else:
            quiet += 1


def test_main_screen_on_a_tool_call(snap_compare, deterministic_demo: str) -> None:
    """calc-add at step 1: the AI message that calls ``add``, opened, and what agent wrote in it."""

    async def run_before(pilot: Pilot) -> None:
        await _settle(pilot)
        for key in ("j", "j", "j", "left_square_bracket", "left_square_bracket", "3", "j", "j", "j", "space"):
            await pilot.press(key)
            await _settle(pilot)

    assert snap_compare(RetraceApp(deterministic_demo), terminal_size=(160, 45), run_before=run_before)


def test_branch_tree_and_the_diff_of_two_branches_answers(
    snap_compare, deterministic_demo: str, deterministic_env: RunEnv
) -> None:
    """calc-add after an edit and a continue: the tree (the new head on top, the fork point at
    step 1), the new answer marked, and the Diff tab on the old answer against it."""

    asyncio.run(_edit_and_continue(Path(deterministic_demo), deterministic_env))

    async def run_before(pilot: Pilot) -> None:
        await _settle(pilot)
        for key in ("2", "m", "j", "j", "j", "d"):  # calc-add is the newest thread now
            await pilot.press(key)
            await _settle(pilot)
        pilot.app.clear_notifications()  # the "Marked" toast times out: no clock in a snapshot
        await _settle(pilot)

    assert snap_compare(RetraceApp(deterministic_demo), terminal_size=(160, 45), run_before=run_before)
