"""The `retrace` command line: output, JSON, and exit code 2 with one line for bad input."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.checkpoint.sqlite.schema import APPLICATION_ID, SCHEMA_VERSION
from tui.cli import main


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "demo.db"
    result = CliRunner().invoke(main, ["demo", "--db", str(path), "--no-open"])
    assert result.exit_code == 0, result.output
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_demo_prints_a_line_per_thread(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    result = CliRunner().invoke(main, ["demo", "--db", str(path), "--no-open"])
    assert result.exit_code == 0
    lines = [l for l in result.output.splitlines() if l.startswith("wrote thread")]
    assert len(lines) == 19
    assert any("search-buggy" in l and l.endswith("error") for l in lines)
    assert any("calc-add" in l and l.endswith("done") for l in lines)
    # the failure is printed whole, fix included, under its thread
    assert "InvalidUpdateError" in result.output
    assert "lambda a, b: a + b]." in " ".join(result.output.split())


def test_demo_refuses_a_directory(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--db", str(tmp_path), "--no-open"])
    assert result.exit_code == 2
    assert "is a directory" in result.output


def test_demo_replaces_its_own_database_but_not_other_files(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    runner = CliRunner()
    assert runner.invoke(main, ["demo", "--db", str(path), "--no-open"]).exit_code == 0
    again = runner.invoke(main, ["demo", "--db", str(path), "--no-open"])
    assert again.exit_code == 0
    threads = json.loads(runner.invoke(main, ["threads", str(path), "--json"]).output)
    assert len(threads) == 19  # replaced, not appended to

    other = tmp_path / "notes.db"
    other.write_text("my notes")
    refused = runner.invoke(main, ["demo", "--db", str(other), "--no-open"])
    assert refused.exit_code == 2
    assert "left untouched" in refused.output
    assert other.read_text() == "my notes"


def test_threads_table_and_json(demo_db: Path) -> None:
    runner = CliRunner()
    table = runner.invoke(main, ["threads", str(demo_db)])
    assert table.exit_code == 0
    assert "calc-add" in table.output and "alice_session_1" in table.output
    rows = {t["thread_id"]: t for t in json.loads(runner.invoke(main, ["threads", str(demo_db), "--json"]).output)}
    assert rows["search-buggy"]["status"] == "error"
    assert rows["search-buggy"]["error"]["type"] == "InvalidUpdateError"
    assert rows["calc-add"]["status"] == "done"
    assert rows["calc-add"]["checkpoint_count"] == 5
    assert rows["calc-add"]["latest_step"] == 3


def test_history_table_and_json(demo_db: Path) -> None:
    runner = CliRunner()
    table = runner.invoke(main, ["history", str(demo_db), "calc-add"])
    assert table.exit_code == 0
    assert "agent" in table.output and "(input)" in table.output
    rows = json.loads(runner.invoke(main, ["history", str(demo_db), "calc-add", "--json"]).output)
    for row in rows:  # piped output keeps whole ids, whatever the terminal width
        assert row["checkpoint_id"] in table.output
    lines = {line.split()[0]: line.split() for line in table.output.splitlines()[1:]}
    assert lines["3"][-1] == rows[1]["checkpoint_id"]  # the parent column shows forks too
    assert lines["-1"][-1] == "-"
    assert [r["step"] for r in rows] == [3, 2, 1, 0, -1]
    assert [r["nodes"] for r in rows] == [["agent"], ["tools"], ["agent"], ["__start__"], []]
    assert rows[-1]["source"] == "input"
    for newer, older in zip(rows, rows[1:]):
        assert newer["parent_checkpoint_id"] == older["checkpoint_id"]
    limited = json.loads(runner.invoke(main, ["history", str(demo_db), "calc-add", "--json", "--limit", "2"]).output)
    assert [r["step"] for r in limited] == [3, 2]


def test_unknown_thread_is_a_one_line_error(demo_db: Path) -> None:
    result = CliRunner().invoke(main, ["history", str(demo_db), "nobody"])
    assert result.exit_code == 2
    assert "thread 'nobody' is not in" in result.output
    assert "Traceback" not in result.output


def _make_foreign(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO customers (name) VALUES ('x')")
    conn.close()


def _make_newer(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
        conn.execute("CREATE TABLE future (x)")
    conn.close()


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (None, "no such file"),
        (lambda p: p.write_bytes(b"this is not sqlite at all, just text" * 10), "not a SQLite database"),
        (_make_foreign, "not one retrace wrote"),
        (_make_newer, "newer retrace"),
    ],
    ids=["missing", "not-sqlite", "foreign-sqlite", "newer-schema"],
)
@pytest.mark.parametrize("command", ["threads", "open", "history"])
def test_bad_databases_exit_2_untouched(tmp_path: Path, make, expected: str, command: str) -> None:
    path = tmp_path / "x.db"
    if make is not None:
        make(path)
        before = digest(path)
    args = [command, str(path)] + (["t"] if command == "history" else [])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert expected in result.output
    assert len(result.output.strip().splitlines()) == 1
    if make is None:
        assert not path.exists()
    else:
        assert digest(path) == before
        assert not Path(f"{path}-wal").exists()


def test_real_process_prints_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"\x00" * 100)
    proc = subprocess.run(
        [sys.executable, "-c", "from tui.cli import main; main()", "threads", str(path)],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("retrace: error:")
    assert "Traceback" not in proc.stderr + proc.stdout


def test_control_characters_in_thread_ids_are_escaped(tmp_path: Path) -> None:
    import asyncio
    from typing import TypedDict

    from engine.checkpoint.sqlite import AsyncSqliteSaver
    from engine.graph import END, START, StateGraph

    class S(TypedDict):
        x: str

    builder = StateGraph(S).add_node("n", lambda s: {"x": "y"}).add_edge(START, "n").add_edge("n", END)
    path = tmp_path / "hostile.db"

    async def write() -> None:
        async with AsyncSqliteSaver.from_conn_string(path) as saver:
            await builder.compile(checkpointer=saver).ainvoke({"x": "a"}, {"configurable": {"thread_id": "evil\x1b[2J[bold]"}})

    asyncio.run(write())
    result = CliRunner().invoke(main, ["threads", str(path)])
    assert result.exit_code == 0
    assert "\x1b" not in result.output
    assert "evil\\x1b[2J[bold]" in result.output


def test_open_and_demo_launch_the_debugger_on_the_database(tmp_path: Path, demo_db: Path, monkeypatch) -> None:
    from tui.app import RetraceApp

    opened: list[Path] = []
    monkeypatch.setattr(RetraceApp, "run", lambda self: opened.append(self.db_path))
    runner = CliRunner()
    assert runner.invoke(main, ["open", str(demo_db)]).exit_code == 0
    fresh = tmp_path / "fresh.db"
    assert runner.invoke(main, ["demo", "--db", str(fresh)]).exit_code == 0
    assert opened == [demo_db, fresh]
