"""How fast the debugger's reads are on one thread with many checkpoints.

Run: ``uv run python benchmarks/reader_large_thread.py [--checkpoints N]``. Builds a synthetic
database (rows written straight into the schema, each checkpoint changing one channel), then
times the reads the debugger makes. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time

from engine.checkpoint.base import new_checkpoint_id
from engine.checkpoint.serde import JsonSerializer
from engine.checkpoint.sqlite import AsyncSqliteSaver, CheckpointReader


async def build(path: str, count: int) -> list[str]:
    serde = JsonSerializer()
    ids = [new_checkpoint_id() for _ in range(count)]
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        conn = saver.conn
        await conn.execute("BEGIN IMMEDIATE")
        checkpoints, values = [], []
        for step, checkpoint_id in enumerate(ids):
            version = f"{step + 1:010d}.00000000"
            versions = {"counter": version, "query": "0000000001.00000000"}
            checkpoints.append((
                "big", "", checkpoint_id, ids[step - 1] if step else None, step - 1,
                "input" if step == 0 else "loop", "2026-01-01T00:00:00+00:00",
                json.dumps(["work"]), json.dumps(versions), "{}", "[]",
                serde.dumps({"source": "loop", "step": step - 1, "writes": {"work": ["counter"]}}).decode(),
            ))
            values.append(("big", "", "counter", version, serde.dumps(step)))
        values.append(("big", "", "query", "0000000001.00000000", serde.dumps("q")))
        await conn.executemany("INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", checkpoints)
        await conn.executemany("INSERT INTO channel_values VALUES (?, ?, ?, ?, ?)", values)
        await conn.execute(
            "INSERT INTO threads VALUES ('big', ?, ?, ?, '2026-01-01', '2026-01-01', 'done', NULL)",
            (count, ids[-1], count - 2),
        )
        await conn.execute("COMMIT")
    return ids


async def timed(label: str, coro) -> tuple[str, float]:
    start = time.perf_counter()
    await coro
    return label, (time.perf_counter() - start) * 1000


async def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.db")
        start = time.perf_counter()
        ids = await build(path, count)
        print(f"built {count:,} checkpoints in {time.perf_counter() - start:.1f} s "
              f"({os.path.getsize(path) / 1e6:.1f} MB)")
        async with await CheckpointReader.open(path) as reader:
            rows = [
                await timed("list_threads", reader.list_threads(limit=200)),
                await timed("first history page (200)", reader.list_checkpoints("big", limit=200)),
                await timed("page after the middle (before=)", reader.list_checkpoints("big", limit=200, before=ids[count // 2])),
                await timed("last page by offset", reader.list_checkpoints("big", limit=200, offset=count - 200)),
                await timed("latest checkpoint with values", reader.get_checkpoint("big")),
                await timed("oldest checkpoint with values", reader.get_checkpoint("big", ids[0])),
                await timed("pending writes of one checkpoint", reader.get_pending_writes("big", ids[count // 2])),
            ]
    print(f"{'read':<36}{'ms':>10}")
    for label, ms in rows:
        print(f"{label:<36}{ms:>10.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkpoints", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().checkpoints))
