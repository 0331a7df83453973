"""A run in ``durability="sync"`` killed with SIGKILL at random points loses no finished step:
the file passes ``PRAGMA integrity_check``, every checkpoint the run reported as saved is there,
and resuming ends in the same state as a run never killed."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import pytest

from engine.checkpoint.sqlite import AsyncSqliteSaver

TRIALS = 20
STEPS = 8

CHILD = textwrap.dedent(
    """
    import asyncio, operator, sys, time
    from typing import Annotated, TypedDict
    from engine.checkpoint.sqlite import AsyncSqliteSaver
    from engine.graph import END, START, StateGraph

    class S(TypedDict):
        log: Annotated[list, operator.add]

    def build(steps):
        b = StateGraph(S)
        names = [f"n{i}" for i in range(steps)]
        for name in names:
            def node(state, name=name):
                time.sleep(0.01)
                return {"log": [name]}
            b.add_node(name, node)
        b.add_edge(START, names[0])
        for a, c in zip(names, names[1:]):
            b.add_edge(a, c)
        return b.add_edge(names[-1], END)

    async def main(path, steps):
        async with AsyncSqliteSaver.from_conn_string(path) as saver:
            graph = build(steps).compile(checkpointer=saver)
            print("ready", flush=True)
            config = {"configurable": {"thread_id": "t"}}
            async for cp in graph.astream({"log": []}, config, stream_mode="checkpoints", durability="sync"):
                print("saved", cp["config"]["configurable"]["checkpoint_id"], flush=True)
        print("done", flush=True)

    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
    """
)


def _build(steps: int):
    """The same graph as the child's (a module of its own, so its state's annotations resolve)."""
    module = sys.modules.get("sigkill_child") or types.ModuleType("sigkill_child")
    if "build" not in module.__dict__:
        sys.modules["sigkill_child"] = module
        exec(CHILD.split("async def main")[0], module.__dict__)
    return module.build(steps)


async def _check_trial(path: Path, reported: list[str], expected: list[str]) -> None:
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in conn.execute("SELECT checkpoint_id FROM checkpoints")}
    assert set(reported) <= stored, "a checkpoint reported saved is missing"
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        graph = _build(STEPS).compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "t"}}
        latest = await saver.aget_tuple(config)
        out = await graph.ainvoke(None if latest is not None else {"log": []}, config)
        assert out["log"] == expected
        history = [s async for s in graph.aget_state_history(config)]
        steps = [s.metadata["step"] for s in history]
        assert steps == sorted(steps, reverse=True) and len(set(steps)) == len(steps)  # no step twice


@pytest.mark.parametrize("trial", range(TRIALS))
async def test_sigkill_in_sync_mode_never_loses_a_finished_step(tmp_path: Path, trial: int) -> None:
    rng = random.Random(1000 + trial)
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    path = tmp_path / "run.db"
    child = subprocess.Popen(
        [sys.executable, str(script), str(path), str(STEPS)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready", child.stderr.read() if child.stderr else ""
    time.sleep(rng.uniform(0.0, 0.016 * STEPS))  # somewhere in the run: a node, a commit, between
    child.send_signal(signal.SIGKILL)
    out, _ = child.communicate(timeout=30)
    reported = [line.split()[1] for line in out.splitlines() if line.startswith("saved")]
    await _check_trial(path, reported, [f"n{i}" for i in range(STEPS)])
