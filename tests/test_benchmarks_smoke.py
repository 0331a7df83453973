"""The benchmarks run (tiny sizes, LangGraph's side skipped): so they never rot. They measure;
nothing here asserts a speed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_side_by_side_benchmark_prints_its_table_without_langgraph() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "vs_langgraph.py"), "--rounds", "1", "--scale", "0.01"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "LangGraph's side is skipped: no --langgraph-python given" in out
    header = next(line for line in out.splitlines() if line.startswith("workload"))
    assert "retrace FULL" in header and "LangGraph " not in header
    rows = {tuple(line.split()[:2]) for line in out.splitlines()[out.splitlines().index(header) + 1:]}
    assert {("chain", "steps_per_s"), ("fanout", "bytes_per_checkpoint"), ("plain", "steps_per_s"),
            ("chat", "growth_x2"), ("history", "history_all_ms"), ("history", "debugger_listing_ms")} <= rows


def test_the_lint_precision_benchmark_prints_its_table() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "lint_precision.py"), "5"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    header, row = done.stdout.strip().splitlines()[-2:]
    assert header.split()[0] == "graphs" and row.split()[0] == "5"


def test_the_debugger_scale_benchmark_prints_its_table() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "tui_scale.py"), "--threads", "20", "--checkpoints", "300",
         "--presses", "3"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    measures = [line.split("  ")[0] for line in done.stdout.splitlines()[2:]]
    assert measures == ["first full screen (threads, history, state)", "key in history -> state shown (3 presses)",
                        "jump to the oldest checkpoint (G)", "diff of two checkpoints 150 steps apart",
                        "peak memory (max RSS)"]
