"""How the debugger feels on a huge database: many threads and one very long thread.

    uv run python benchmarks/tui_scale.py [--threads 10000] [--checkpoints 100000] [--presses 200]

Builds a database (rows written straight into the schema, as ``reader_large_thread.py`` does),
then drives the app headless with ``Pilot`` and prints: the time to the first full screen, the
time from a key press in the history to the state pane showing the new checkpoint (median and
p95), the time to jump to the oldest checkpoint, the time to show the diff of two checkpoints
half the thread apart, and the peak memory of the process. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reader_large_thread import build  # noqa: E402

from engine.checkpoint.sqlite import AsyncSqliteSaver  # noqa: E402
from tui.app import RetraceApp  # noqa: E402
from tui.widgets.checkpoint_header import CheckpointHeader  # noqa: E402
from tui.widgets.history_table import HistoryTable  # noqa: E402
from tui.widgets.text_tab import TextTab  # noqa: E402
from tui.widgets.threads_table import ThreadsTable  # noqa: E402


async def add_threads(path: str, count: int) -> None:
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        rows = [(f"thread-{i:06d}", 1, None, 0, "2025-06-01", "2025-06-01", "done", None) for i in range(count)]
        await saver.conn.executemany("INSERT INTO threads VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


async def until(pilot, ready, timeout_s: float = 30.0) -> float:
    """Seconds until ``ready()`` holds, pausing the app between checks."""
    start = time.perf_counter()
    while not ready():
        if time.perf_counter() - start > timeout_s:
            raise TimeoutError("the screen did not get there")
        await pilot.pause(0.001)
    return time.perf_counter() - start


def shown_checkpoint(app) -> str | None:
    shown = app.screen.query_one(CheckpointHeader).shown
    return shown[1].checkpoint_id if shown else None


async def measure(path: str, presses: int) -> list[tuple[str, str]]:
    app = RetraceApp(Path(path))
    rows: list[tuple[str, str]] = []
    start = time.perf_counter()
    async with app.run_test(size=(160, 45)) as pilot:
        await until(pilot, lambda: bool(app.screen.query(ThreadsTable)))
        threads = app.screen.query_one(ThreadsTable)
        history = app.screen.query_one(HistoryTable)
        await until(pilot, lambda: threads.items and history.items and shown_checkpoint(app) is not None)
        rows.append(("first full screen (threads, history, state)", f"{(time.perf_counter() - start) * 1000:,.0f} ms"))
        history.focus()
        times = []
        for _ in range(presses):
            before = shown_checkpoint(app)
            t0 = time.perf_counter()
            await pilot.press("j")
            await until(pilot, lambda before=before: shown_checkpoint(app) not in (None, before))
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        rows.append((f"key in history -> state shown ({presses} presses)",
                     f"p50 {statistics.median(times):.1f} ms, p95 {times[int(len(times) * 0.95) - 1]:.1f} ms"))
        t0 = time.perf_counter()
        await pilot.press("G")
        await until(pilot, lambda: history.current_checkpoint is not None and history.current_checkpoint.step == -1
                    and shown_checkpoint(app) == history.current_checkpoint.checkpoint_id, timeout_s=300)
        rows.append(("jump to the oldest checkpoint (G)", f"{(time.perf_counter() - t0) * 1000:,.0f} ms"))
        await pilot.press("m")  # mark the oldest, then go half the thread up and show the diff
        middle = len(history.items) // 2
        t0 = time.perf_counter()
        history.move_cursor(row=middle)
        await pilot.press("d")
        tab = app.screen.query_one("#diff-text", TextTab)
        await until(pilot, lambda: tab.shown.startswith("from step"), timeout_s=300)
        rows.append((f"diff of two checkpoints {middle:,} steps apart", f"{(time.perf_counter() - t0) * 1000:,.0f} ms"))
    rows.append(("peak memory (max RSS)", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB"))
    return rows


async def main(threads: int, checkpoints: int, presses: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "scale.db")
        t0 = time.perf_counter()
        await build(path, checkpoints)
        await add_threads(path, threads)
        print(f"built {threads:,} threads and a thread of {checkpoints:,} checkpoints in "
              f"{time.perf_counter() - t0:.1f} s ({os.path.getsize(path) / 1e6:.1f} MB)")
        rows = await measure(path, presses)
    print(f"{'measure':<52}{'result':>30}")
    for label, value in rows:
        print(f"{label:<52}{value:>30}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--checkpoints", type=int, default=100_000)
    parser.add_argument("--presses", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.threads, args.checkpoints, args.presses))
