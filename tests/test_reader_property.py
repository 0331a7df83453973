"""Property: random values of random SQLite types in any column of any table of a demo database
never make the reader raise anything but its documented errors, never make it hang, and never
make it change the file. The debugger's display functions run over what it returns, too.
"""

from __future__ import annotations

import asyncio
import math
import shutil
import sqlite3
import tempfile
from pathlib import Path

import hostile_corpus as corpus
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.checkpoint.sqlite import CheckpointReader
from engine.errors import CheckpointStoreError
from sample_graphs.demo import write_demo_database
from tui.checkpoint_nodes import nodes_that_ran
from tui.full_text import full_text
from tui.safe_text import literal
from tui.thread_status import describe_error
from tui.value_format import inline

READ_TIMEOUT_S = 30
TABLES = ("threads", "checkpoints", "channel_values", "pending_writes", "retrace_meta")

HOSTILE_TEXT = [
    '{"__retrace__":"uuid","value":1}',
    '{"__retrace__":"dict","items":[[[1],2]]}',
    '{"__retrace__":"dict","items":["ab"]}',
    '{"__retrace__":"float","value":[]}',
    '{"__retrace__":"message","type":"ai","fields":{"content":1,"tool_calls":"x"}}',
    '{"__retrace__":"message","type":"ai","fields":[]}',
    '{"__retrace__":"timedelta","days":1e308,"seconds":0,"microseconds":0}',
    '{"__retrace__":"dataclass","type":"os.system","fields":{"command":"touch /tmp/pwned"}}',
    '{"__retrace__":"tuple","items":{"a":1}}',
    '{"type":"E","message":{"__retrace__":"set","items":[[1]]}}',
    '{"writes":{"a":[1]},"task_ids":"x","source":5}',
    '{"writes":[["a"]]}',
    '["a",["b"],{"c":1}]',
    '{"a":"1","b":[]}',
    "[" * 5000 + "]" * 5000,
    "9e999",
    "\x1b]0;PWNED\x07",
    "[b]markup[/b]",
]
VALUES = st.one_of(
    st.none(),
    st.integers(min_value=-(1 << 63), max_value=(1 << 63) - 1),
    st.floats(),
    st.sampled_from([math.inf, -math.inf, 0.5, 1e300, -(2.0**70)]),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.sampled_from(HOSTILE_TEXT),
)


def relaxed_demo(folder: Path) -> tuple[Path, dict[str, list[str]]]:
    """A demo database whose NOT NULL constraints are gone (a stranger's file need not have
    them), and each table's columns."""
    path = folder / "template.db"
    asyncio.run(write_demo_database(path))
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute("UPDATE sqlite_schema SET sql = replace(sql, 'NOT NULL', '') WHERE type = 'table'")
        version = conn.execute("PRAGMA schema_version").fetchone()[0]
        conn.execute(f"PRAGMA schema_version = {version + 1}")
        conn.execute("PRAGMA writable_schema = OFF")
        columns = {t: [row[1] for row in conn.execute(f"PRAGMA table_info({t})")] for t in TABLES}
    finally:
        conn.close()
    return path, columns


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[str]]]:
    return relaxed_demo(tmp_path_factory.mktemp("template"))


def mutations(columns: dict[str, list[str]]) -> st.SearchStrategy:
    pairs = [(table, column) for table, names in columns.items() for column in names]
    one = st.tuples(st.sampled_from(pairs), st.integers(min_value=0, max_value=40), VALUES)
    return st.lists(one, min_size=1, max_size=8)


def apply(path: Path, changes: list) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA ignore_check_constraints = ON")
        for (table, column), row, value in changes:
            try:
                conn.execute(
                    f"UPDATE {table} SET {column} = ? WHERE rowid IN (SELECT rowid FROM {table} LIMIT 1 OFFSET ?)"
                    if table in ("threads", "retrace_meta")
                    else f"UPDATE {table} SET {column} = ? WHERE ({_key(table)}) IN "
                    f"(SELECT {_key(table)} FROM {table} LIMIT 1 OFFSET ?)",
                    (value, row),
                )
            except sqlite3.IntegrityError:
                pass  # a duplicate primary key: that change is not made
    finally:
        conn.close()


def _key(table: str) -> str:
    return {
        "checkpoints": "thread_id, checkpoint_ns, checkpoint_id",
        "channel_values": "thread_id, checkpoint_ns, channel, version",
        "pending_writes": "thread_id, checkpoint_ns, checkpoint_id, task_id, idx",
    }[table]


async def read_everything(path: Path) -> None:
    """What the debugger and the CLI read, and what they make of it for the screen."""
    async with await CheckpointReader.open(path) as reader:
        await reader.get_meta("created_by")
        for thread in await reader.list_threads():
            literal(thread.thread_id)
            describe_error(thread.error)
            assert await reader.get_thread(thread.thread_id) is not None or thread.damage
            for summary in await reader.list_checkpoints(thread.thread_id, limit=20):
                nodes_that_ran(summary, none="-")
                try:
                    detail = await reader.get_checkpoint(thread.thread_id, summary.checkpoint_id)
                except CheckpointStoreError:
                    continue  # e.g. an id that is damaged: no longer found
                for value in detail.channel_values.values():
                    literal(inline(value))
                    full_text(value)
                for write in await reader.get_pending_writes(thread.thread_id, summary.checkpoint_id):
                    literal(inline(write.value))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_column_values_never_break_or_change_the_reader(template, data) -> None:
    source, columns = template
    changes = data.draw(mutations(columns))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.db"
        shutil.copyfile(source, path)
        apply(path, changes)
        before = corpus.Files.of(path)
        try:
            asyncio.run(asyncio.wait_for(read_everything(path), READ_TIMEOUT_S))
        except CheckpointStoreError:
            pass  # the documented refusal (e.g. a schema fact the change broke)
        assert before.left_alone_by(corpus.Files.of(path))
