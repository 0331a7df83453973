"""Provenance comes from channel versions: the step and node that wrote each value, or the edit."""

from __future__ import annotations

import shutil
from pathlib import Path

from engine.checkpoint.sqlite import CheckpointReader
from engine.debug.provenance import provenance
from engine.debug.session import DebugSession
from sample_graphs.demo import demo_graphs


async def test_each_value_names_the_step_and_node_that_wrote_it(demo_db: Path) -> None:
    async with await CheckpointReader.open(demo_db) as reader:
        history = await reader.list_checkpoints("calc-add", limit=100)
        final = await reader.get_checkpoint("calc-add", history[0].checkpoint_id)
    known = {c.checkpoint_id: c for c in history}
    found = provenance(final, ["messages", "nope"], known)
    assert found["messages"].describe() == f"written by agent in step {history[0].step}"
    assert "nope" not in found


async def test_an_edit_is_named_as_the_persons_update(demo_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    shutil.copy(demo_db, path)
    session = DebugSession(path, demo_graphs())
    try:
        async with await CheckpointReader.open(path) as reader:
            at = next(c for c in await reader.list_checkpoints("calc-add", limit=100) if c.next == ("tools",))
        start = await session.start_edit(at)
        new = await session.edit(at, start, start.text.replace('"a": 10.0', '"a": 11.0'), None)
    finally:
        await session.close()
    async with await CheckpointReader.open(path) as reader:
        history = await reader.list_checkpoints("calc-add", limit=100)
        edited = await reader.get_checkpoint("calc-add", new["configurable"]["checkpoint_id"])
    found = provenance(edited, ["messages"], {c.checkpoint_id: c for c in history})
    assert found["messages"].describe() == f"edited as agent in step {at.step + 1}"
