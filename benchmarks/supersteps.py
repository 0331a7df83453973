"""Super-steps per second and bytes per checkpoint, in memory and in SQLite.

Run: ``uv run python benchmarks/supersteps.py [--steps N]``. Prints a table; asserts nothing.
The graph is one node looping on itself, appending one message per super-step (the shape of an
agent loop), so the bytes column shows what a growing message list costs per checkpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from operator import add
from typing import Annotated, TypedDict

from engine.checkpoint.memory import InMemorySaver
from engine.checkpoint.sqlite import AsyncSqliteSaver
from engine.graph import END, START, StateGraph


class LoopState(TypedDict):
    messages: Annotated[list[str], add]
    counter: int


def build(steps: int) -> StateGraph:
    def work(state: LoopState) -> dict:
        return {"messages": [f"message {state['counter']} " + "x" * 200], "counter": state["counter"] + 1}

    builder = StateGraph(LoopState)
    builder.add_node("work", work)
    builder.add_edge(START, "work")
    builder.add_conditional_edges("work", lambda s: "work" if s["counter"] < steps else END, ["work", END])
    return builder


async def measure(steps: int, saver_name: str) -> tuple[float, int | None]:
    builder = build(steps)
    config = {"configurable": {"thread_id": "bench"}, "recursion_limit": steps + 10}
    if saver_name == "none":
        graph = builder.compile()
        start = time.perf_counter()
        await graph.ainvoke({"messages": [], "counter": 0}, config)
        return time.perf_counter() - start, None
    if saver_name == "memory":
        graph = builder.compile(checkpointer=InMemorySaver())
        start = time.perf_counter()
        await graph.ainvoke({"messages": [], "counter": 0}, config)
        return time.perf_counter() - start, None
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.db")
        async with AsyncSqliteSaver.from_conn_string(path) as saver:
            graph = builder.compile(checkpointer=saver)
            start = time.perf_counter()
            await graph.ainvoke({"messages": [], "counter": 0}, config)
            elapsed = time.perf_counter() - start
            await saver.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return elapsed, os.path.getsize(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    print(f"{'checkpointer':<14}{'super-steps':>12}{'seconds':>10}{'steps/s':>10}{'bytes/checkpoint':>18}")
    for name in ("none", "memory", "sqlite"):
        elapsed, size = asyncio.run(measure(args.steps, name))
        per_checkpoint = f"{size / (args.steps + 2):,.0f}" if size else "-"
        print(f"{name:<14}{args.steps:>12}{elapsed:>10.3f}{args.steps / elapsed:>10.0f}{per_checkpoint:>18}")


if __name__ == "__main__":
    main()
