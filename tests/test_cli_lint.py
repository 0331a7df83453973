"""``retrace lint``: exit codes, the text and ``--json`` shapes, ``--rules`` and ``--db``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sample_graphs.demo import write_demo_database
from tui.cli import main

BUGGY = "sample_graphs.parallel_search:buggy_graph"


def cli(*args: str):
    return CliRunner().invoke(main, ["lint", *args])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lint") / "demo.db"
    asyncio.run(write_demo_database(path))
    return path


def test_the_buggy_search_exits_1_naming_each_field_where_it_is_declared_and_its_fix() -> None:
    result = cli(BUGGY)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("sample_graphs/parallel_search.py:18: R1 error results: ")
    assert lines[1].startswith("    fix: declare it `results: Annotated[list")
    assert any(": R2 error total_score: " in line for line in lines)
    assert any(": R2 error search_count: " in line for line in lines)
    assert lines[-1] == f"{BUGGY}: 3 error(s), 0 warning(s)"


def test_the_fixed_search_exits_0() -> None:
    result = cli("sample_graphs.parallel_search:graph")
    assert result.exit_code == 0 and result.output.strip().endswith(": 0 error(s), 0 warning(s)")


def test_json_lists_every_finding_with_its_fields() -> None:
    result = cli(BUGGY, "--json")
    data = json.loads(result.output)
    assert result.exit_code == 1 and data["graph"] == BUGGY and data["threads_read"] == 0
    assert [f["channel"] for f in data["findings"]] == ["results", "search_count", "total_score"]
    assert set(data["findings"][0]) == {"rule", "severity", "channel", "nodes", "message", "fix", "file", "line"}


def test_rules_chooses_what_is_checked() -> None:
    result = cli("sample_graphs.iteration_counter:graph", "--rules", "R3", "--json")
    assert result.exit_code == 0 and json.loads(result.output)["findings"] == []  # every field is commented
    assert cli(BUGGY, "--rules", "r4").exit_code == 0  # the conflicts are R1/R2: not asked for


def test_db_adds_the_recorded_runs(demo: Path) -> None:
    data = json.loads(cli(BUGGY, "--db", str(demo), "--json").output)
    assert data["threads_read"] == 1  # search-buggy, the one thread the buggy graph wrote


@pytest.mark.parametrize("args, message", [
    (["nope:graph"], "nope"),
    ([BUGGY, "--rules", "R9"], "unknown rule(s) R9"),
    ([BUGGY, "--db", "/nonexistent.db"], "does not exist"),
])
def test_bad_arguments_exit_2_with_one_line(args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
