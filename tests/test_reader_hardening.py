"""The hardened read path in-process: lenient decoding per tag, placeholders that cannot be saved,
strict readers that refuse damage, the per-read budget, and the read-only fallbacks' clean-up."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import hostile_corpus as corpus
import pytest

from engine.checkpoint.serde import JsonSerializer, Undecodable
from engine.checkpoint.sqlite import AsyncSqliteSaver, CheckpointReader, readonly
from engine.checkpoint.sqlite.rows import Limits
from engine.errors import CheckpointStoreError, SerializationError
from sample_graphs.demo import write_demo_database


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    asyncio.run(write_demo_database(path))
    return path


def test_a_malformed_tag_becomes_a_placeholder_beside_its_sound_siblings() -> None:
    serde = JsonSerializer()
    raw = '[{"__retrace__":"uuid","value":1}, {"__retrace__":"tuple","items":[1,2]}, "ok"]'
    bad, good, text = serde.loads(raw, lenient=True)
    assert isinstance(bad, Undecodable) and "malformed 'uuid' value" in bad.reason
    assert good == (1, 2) and text == "ok"
    with pytest.raises(SerializationError, match="malformed 'uuid'"):
        serde.loads(raw)


@pytest.mark.parametrize(
    "raw",
    ['{"__retrace__":"dict","items":["ab"]}', '{"__retrace__":"datetime","value":[1]}',
     '{"__retrace__":"bytes","value":5}', '{"__retrace__":"message","type":"ai","fields":[]}'],
)
def test_tag_payloads_of_the_wrong_shape_are_refused_not_guessed(raw: str) -> None:
    assert isinstance(JsonSerializer().loads(raw, lenient=True), Undecodable)


def test_values_nested_too_deep_and_non_text_are_placeholders() -> None:
    serde = JsonSerializer()
    assert "levels deep" in serde.loads("[" * 150 + "]" * 150, lenient=True).reason
    assert "must be text" in serde.loads(12, lenient=True).reason  # type: ignore[arg-type]
    long_reason = serde.loads('{"__retrace__":"date","value":"%s"}' % ("x" * 100_000), lenient=True).reason
    assert len(long_reason) < 1000


def test_a_placeholder_is_never_saved_back() -> None:
    with pytest.raises(SerializationError, match="placeholder"):
        JsonSerializer().dumps({"messages": [Undecodable("too large")]})


async def test_a_strict_reader_refuses_a_damaged_row(demo: Path, tmp_path: Path) -> None:
    path = corpus.copy_demo(demo, tmp_path / "d.db")
    corpus.huge_integers(path)
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        with pytest.raises(CheckpointStoreError, match="step is not a whole number"):
            await saver.reader.get_checkpoint("calc-add")
    async with await CheckpointReader.open(path) as reader:  # the debugger still shows it
        assert (await reader.get_checkpoint("calc-add")).summary.damage


async def test_a_strict_reader_reads_back_ids_of_any_length(tmp_path: Path) -> None:
    from tui_helpers import shout_graph

    async with AsyncSqliteSaver.from_conn_string(tmp_path / "long.db") as saver:
        thread_id = "t" * 5000
        graph = shout_graph().compile(checkpointer=saver)
        await graph.ainvoke({"note": "hi"}, {"configurable": {"thread_id": thread_id}})
        assert (await saver.reader.get_checkpoint(thread_id)).channel_values["note"] == "hi!"


async def test_one_read_returns_values_up_to_its_budget(demo: Path) -> None:
    async with await CheckpointReader.open(demo) as reader:
        whole = (await reader.get_checkpoint("alice_session_1")).channel_values
    first = sorted(whole)[0]  # values are read in channel order
    size = len(JsonSerializer().dumps(whole[first]))
    async with await CheckpointReader.open(demo, limits=Limits(max_read_bytes=size)) as reader:
        values = (await reader.get_checkpoint("alice_session_1")).channel_values
    assert values[first] == whole[first]
    rest = [values[name] for name in sorted(whole)[1:]]
    assert rest and all(isinstance(v, Undecodable) and "fill one read" in v.reason for v in rest)


async def test_a_snapshot_copy_is_read_and_removed_on_close(demo: Path, tmp_path: Path, monkeypatch) -> None:
    path = corpus.copy_demo(demo, tmp_path / "killed.db")
    corpus.killed_writer(path, "retrace")
    Path(f"{path}-shm").unlink()

    async def cannot_make_an_index(conn):  # what a read-only directory answers
        error = sqlite3.OperationalError("unable to open database file")
        error.sqlite_errorcode = 14
        return error

    monkeypatch.setattr(readonly, "_probe", cannot_make_an_index)
    before = corpus.Files.of(path)
    reader = await CheckpointReader.open(path)
    folder = reader._database.snapshot_dir
    assert reader.how == "snapshot" and folder.is_dir()
    assert "only-in-wal-2" in {t.thread_id for t in await reader.list_threads()}
    await reader.close()
    assert not folder.exists()
    assert corpus.Files.of(path) == before


async def test_a_symlink_finds_the_wal_beside_the_real_file(demo: Path, tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    path = corpus.copy_demo(demo, tmp_path / "real" / "killed.db")
    corpus.killed_writer(path, "retrace")
    link = tmp_path / "link.db"
    link.symlink_to(path)
    async with await CheckpointReader.open(link) as reader:
        assert "only-in-wal-0" in {t.thread_id for t in await reader.list_threads()}


async def test_a_closed_reader_says_so_in_its_own_error(demo: Path) -> None:
    reader = await CheckpointReader.open(demo)
    await reader.close()
    with pytest.raises(CheckpointStoreError, match="not open"):
        await reader.list_threads()


async def test_oversized_values_and_errors_show_how_they_start(demo: Path, tmp_path: Path) -> None:
    path = corpus.copy_demo(demo, tmp_path / "big.db")
    corpus.huge_error(path)
    corpus.huge_channel_value(path)
    async with await CheckpointReader.open(path) as reader:
        error = (await reader.get_thread("search-buggy")).error
        assert error["type"] == "E"  # seen in the start of the record
        assert error["message"].startswith("too large to read") and '"message":"\\u001b' in error["message"]
        values = (await reader.get_checkpoint("alice_session_1")).channel_values
    big = [v for v in values.values() if isinstance(v, Undecodable)]
    assert big and all(v.preview.startswith('"\\u0007') and len(v.preview) <= 300 for v in big)
