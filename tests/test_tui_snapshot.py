"""SVG snapshot of the debugger's main screen at a fixed size, on a database made deterministic.

Regenerate after an intended change with ``uv run pytest tests/test_tui_snapshot.py
--snapshot-update`` and look at the new SVG before committing it.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerState

import engine.messages
from engine.pregel.runtime import RunEnv
from sample_graphs.demo import write_demo_database
from tui.app import RetraceApp


@pytest.fixture
def deterministic_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The demo database with fixed, increasing timestamps, checkpoint ids and message ids.

    Returns a path relative to the working directory, so the header shows the same text on
    every machine.
    """
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
    )
    monkeypatch.setattr(engine.messages.uuid, "uuid4", lambda: uuid.UUID(int=next(messages)))
    asyncio.run(write_demo_database(tmp_path / "demo.db", env))
    monkeypatch.chdir(tmp_path)
    return "demo.db"


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
