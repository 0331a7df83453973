"""retrace's engine against LangGraph on the same workloads, side by side, in one invocation.

    uv run python benchmarks/vs_langgraph.py --langgraph-python /tmp/lgvenv/bin/python [--rounds 5] [--scale 1]

LangGraph is never a dependency of retrace: its side runs in another interpreter that has it
(``uv venv /tmp/lgvenv && uv pip install -p /tmp/lgvenv langgraph==1.2.22
langgraph-checkpoint-sqlite==3.1.2``). Without ``--langgraph-python`` (or when that
interpreter lacks LangGraph) its column is skipped and says why. Every measurement runs in a
fresh process on a fresh database; libraries alternate round by round; the table shows medians
with min–max and the ratio. retrace's write workloads are reported twice: at its default
(``synchronous=NORMAL``) and at LangGraph's durability class (``synchronous=FULL``).
``--scale`` multiplies every size (0.05 for a quick look; the smoke test uses less).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import operator
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any, TypedDict

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"chain_runs": 200, "fanout_runs": 100, "plain_runs": 200, "chat_turns": 1000, "history": 5000}


# The worker: runs one workload with one library, prints one JSON line. ---------------------------


def _lib(name: str) -> dict[str, Any]:
    if name == "langgraph":
        from langchain_core.messages import AIMessage
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
        from langgraph.graph import END, START, MessagesState, StateGraph
    else:
        sys.path.insert(0, str(ROOT))
        from engine.checkpoint.sqlite import AsyncSqliteSaver
        from engine.graph import END, START, MessagesState, StateGraph
        from engine.messages import AIMessage
    return {"StateGraph": StateGraph, "START": START, "END": END, "MessagesState": MessagesState,
            "AIMessage": AIMessage, "Saver": AsyncSqliteSaver}


class ChainState(TypedDict, total=False):
    log: Annotated[list, operator.add]
    counter: int


def _chain(lib: dict[str, Any]) -> Any:
    builder = lib["StateGraph"](ChainState)
    names = [f"n{i}" for i in range(10)]
    for i, name in enumerate(names):
        builder.add_node(name, lambda s, i=i: {"log": [i], "counter": i})
    builder.add_edge(lib["START"], names[0])
    for a, b in zip(names, names[1:]):
        builder.add_edge(a, b)
    return builder


def _fanout(lib: dict[str, Any]) -> Any:
    builder = lib["StateGraph"](ChainState)
    for chain in range(10):
        names = [f"c{chain}_{step}" for step in range(5)]
        for name in names:
            builder.add_node(name, lambda s, name=name: {"log": [name]})
        builder.add_edge(lib["START"], names[0])
        for a, b in zip(names, names[1:]):
            builder.add_edge(a, b)
    return builder


def _loop(lib: dict[str, Any], steps: int) -> Any:
    builder = lib["StateGraph"](ChainState)
    builder.add_node("work", lambda s: {"counter": s.get("counter", 0) + 1})
    builder.add_edge(lib["START"], "work")
    builder.add_conditional_edges("work", lambda s: "work" if s["counter"] < steps else lib["END"], ["work", lib["END"]])
    return builder


async def _open(lib: dict[str, Any], path: str, full: bool) -> Any:
    saver_cm = lib["Saver"].from_conn_string(path)
    saver = await saver_cm.__aenter__()
    if full:
        await saver.conn.execute("PRAGMA synchronous = FULL")
    return saver_cm, saver


async def _size(saver: Any, path: str) -> int:
    await saver.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return os.path.getsize(path)


async def worker(lib_name: str, workload: str, size: int, full: bool) -> dict[str, float]:
    lib = _lib(lib_name)
    folder = tempfile.mkdtemp(prefix="bench-")
    path = os.path.join(folder, "bench.db")
    if workload == "plain":
        graph = _chain(lib).compile()
        t0 = time.perf_counter()
        for _ in range(size):
            await graph.ainvoke({"log": []})
        return {"steps_per_s": size * 11 / (time.perf_counter() - t0)}
    saver_cm, saver = await _open(lib, path, full)
    try:
        if workload in ("chain", "fanout"):
            graph = (_chain(lib) if workload == "chain" else _fanout(lib)).compile(checkpointer=saver)
            steps = 11 if workload == "chain" else 6
            t0 = time.perf_counter()
            for run in range(size):
                await graph.ainvoke({"log": []}, {"configurable": {"thread_id": f"t{run}"}})
            elapsed = time.perf_counter() - t0
            checkpoints = size * (steps + 1)
            return {"steps_per_s": size * steps / elapsed, "checkpoints_per_s": checkpoints / elapsed,
                    "bytes_per_checkpoint": await _size(saver, path) / checkpoints}
        if workload == "chat":
            builder = lib["StateGraph"](lib["MessagesState"])
            builder.add_node("reply", lambda s: {"messages": [lib["AIMessage"]("a" * 200)]})
            builder.add_edge(lib["START"], "reply")
            graph = builder.compile(checkpointer=saver)
            config = {"configurable": {"thread_id": "chat"}}
            half = 0
            for turn in range(size):
                await graph.ainvoke({"messages": [("human", "h" * 100)]}, config)
                if turn + 1 == size // 2:
                    half = await _size(saver, path)
            total = await _size(saver, path)
            return {"total_mb": total / 1e6, "bytes_per_checkpoint": total / (size * 3), "growth_x2": total / max(half, 1)}
        if workload == "history":
            graph = _loop(lib, size).compile(checkpointer=saver)
            config = {"configurable": {"thread_id": "h"}, "recursion_limit": size + 10}
            await graph.ainvoke({"counter": 0}, config)
            out: dict[str, float] = {}
            t0 = time.perf_counter()
            latest = await graph.aget_state(config)
            out["get_state_latest_ms"] = (time.perf_counter() - t0) * 1000
            ids = [s.config["configurable"]["checkpoint_id"] async for s in graph.aget_state_history(config, limit=size // 2)]
            middle = {"configurable": {"thread_id": "h", "checkpoint_id": ids[-1]}}
            t0 = time.perf_counter()
            await graph.aget_state(middle)
            out["get_state_by_id_ms"] = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            [s async for s in graph.aget_state_history(config, limit=20)]
            out["history_first_20_ms"] = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            count = len([s async for s in graph.aget_state_history(config)])
            out["history_all_ms"] = (time.perf_counter() - t0) * 1000
            out["checkpoints"] = count
            if lib_name == "retrace":
                from engine.debug.source import open_source

                reader = await open_source(path)
                t0 = time.perf_counter()
                await reader.list_checkpoints("h", limit=None)
                out["debugger_listing_ms"] = (time.perf_counter() - t0) * 1000
                await reader.close()
            del latest
            return out
        raise ValueError(f"unknown workload {workload!r}")
    finally:
        await saver_cm.__aexit__(None, None, None)


# The driver: fresh processes, alternating libraries, medians. ---------------------------------

WORKLOADS = [  # (workload, size key, [(metric, kind)]); kind: rate (higher is better), size, time, plain
    ("chain", "chain_runs", [("steps_per_s", "rate"), ("checkpoints_per_s", "rate"), ("bytes_per_checkpoint", "size")]),
    ("fanout", "fanout_runs", [("steps_per_s", "rate"), ("checkpoints_per_s", "rate"), ("bytes_per_checkpoint", "size")]),
    ("plain", "plain_runs", [("steps_per_s", "rate")]),
    ("chat", "chat_turns", [("total_mb", "size"), ("bytes_per_checkpoint", "size"), ("growth_x2", "plain")]),
    ("history", "history", [("get_state_latest_ms", "time"), ("get_state_by_id_ms", "time"), ("history_first_20_ms", "time"),
                            ("history_all_ms", "time"), ("debugger_listing_ms", "time")]),
]
AGAINST = {"debugger_listing_ms": "history_all_ms"}
"""A retrace-only metric compared with this LangGraph one (the debugger's listing against
LangGraph's whole history, the only way LangGraph lists a thread)."""
WRITES = {"chain", "fanout", "chat"}


def run_worker(python: str, lib: str, workload: str, size: int, full: bool) -> dict[str, float]:
    command = [python, str(Path(__file__).resolve()), "--worker", lib, workload, str(size)] + (["--full"] if full else [])
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"{lib} {workload} failed: {done.stderr.strip()[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def langgraph_available(python: str | None) -> str | None:
    """None when ``python`` can import LangGraph, else why its column is skipped."""
    if not python:
        return "no --langgraph-python given"
    try:
        done = subprocess.run([python, "-c", "import langgraph, langgraph.checkpoint.sqlite.aio"], capture_output=True, timeout=120)
    except OSError as exc:
        return f"{python} cannot be run ({exc})"
    return None if done.returncode == 0 else f"{python} has no langgraph and langgraph-checkpoint-sqlite"


def _cell(values: list[float]) -> str:
    if not values:
        return "-"
    fmt = (lambda v: f"{v:,.0f}") if max(values) >= 100 else (lambda v: f"{v:,.2f}")
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}–{fmt(max(values))})" if len(values) > 1 else fmt(values[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--langgraph-python", default=None, help="an interpreter that has langgraph (see above)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--only", default=None, help="comma-separated workloads (default: all)")
    args = parser.parse_args()
    skipped = langgraph_available(args.langgraph_python)
    if skipped:
        print(f"LangGraph's side is skipped: {skipped}. Install it in a venv of its own:\n"
              "  uv venv /tmp/lgvenv && uv pip install -p /tmp/lgvenv langgraph==1.2.22 langgraph-checkpoint-sqlite==3.1.2\n"
              "then pass --langgraph-python /tmp/lgvenv/bin/python")
    wanted = set(args.only.split(",")) if args.only else {w for w, _, _ in WORKLOADS}
    columns = ([("LangGraph", args.langgraph_python, "langgraph", False)] if not skipped else []) + [
        ("retrace", sys.executable, "retrace", False), ("retrace FULL", sys.executable, "retrace", True)]
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    for round_ in range(args.rounds):
        for workload, size_key, _ in WORKLOADS:
            if workload not in wanted:
                continue
            size = max(2, int(SIZES[size_key] * args.scale))
            order = columns if round_ % 2 == 0 else list(reversed(columns))
            for label, python, lib, full in order:
                if full and workload not in WRITES:
                    continue
                results.setdefault((workload, label), []).append(run_worker(python, lib, workload, size, full))
    header = f"{'workload':<9} {'metric':<22}" + "".join(f" {label:>24}" for label, *_ in columns) + f" {'retrace / LangGraph':>20}"
    print(header)
    for workload, _, metrics in WORKLOADS:
        for metric, kind in metrics:
            cells, medians = [], {}
            for label, *_ in columns:
                values = [r[metric] for r in results.get((workload, label), []) if metric in r]
                cells.append(_cell(values))
                if values:
                    medians[label] = statistics.median(values)
            if not any(c != "-" for c in cells):
                continue
            theirs = [r.get(AGAINST.get(metric, metric)) for r in results.get((workload, "LangGraph"), [])]
            theirs = [v for v in theirs if v is not None]
            ratio = "-"
            if kind != "plain" and theirs and medians.get("retrace"):
                lg = statistics.median(theirs)
                value = medians["retrace"] / lg if kind == "rate" else lg / medians["retrace"]
                better, worse = ("smaller", "larger") if kind == "size" else ("faster", "slower")
                ratio = f"{value:.2f}× {better}" if value >= 1 else f"{1 / value:.2f}× {worse}"
            print(f"{workload:<9} {metric:<22}" + "".join(f" {c:>24}" for c in cells) + f" {ratio:>20}")

if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _, _, lib_name, workload_name, size_text, *rest = sys.argv
        print(json.dumps(asyncio.run(worker(lib_name, workload_name, int(size_text), "--full" in rest))))
    else:
        main()
