"""``retrace run --context JSON``: a graph with a ``context_schema`` runs and goes on from the
command line, and a context that does not fit is refused with one line."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from click.testing import CliRunner

from engine.checkpoint.sqlite import SqliteSaver
from engine.graph import END, START, StateGraph
from engine.runtime import Runtime
from tui.cli import main


class State(TypedDict, total=False):
    greeting: str


@dataclass
class Who:
    user: str


def hello(state: State, runtime: Runtime[Who]) -> dict:
    return {"greeting": f"hello {runtime.context.user}"}


def shout(state: State, runtime: Runtime[Who]) -> dict:
    return {"greeting": f"{state['greeting']}, {runtime.context.user.upper()}!"}


builder = StateGraph(State, context_schema=Who).add_node("hello", hello).add_node("shout", shout)
graph = builder.add_edge(START, "hello").add_edge("hello", "shout").add_edge("shout", END).compile()
REF = "test_cli_context:graph"


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


def test_run_passes_the_context_and_the_printed_command_to_go_on_keeps_it(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    first = cli("run", REF, "--db", str(db), "--thread", "t", "--input", "{}", "--context", '{"user": "ann"}',
                "--interrupt-before", "shout")
    assert first.exit_code == 3, first.output
    go_on = first.output.strip().splitlines()[-1].strip()
    assert "--context" in go_on
    again = cli(*shlex.split(go_on)[1:])  # the printed command, as a user would paste it
    assert again.exit_code == 0, again.output
    with SqliteSaver.from_conn_string(db) as saver:
        assert graph.with_checkpointer(saver).get_state({"configurable": {"thread_id": "t"}}).values == {
            "greeting": "hello ann, ANN!"}


def test_a_context_that_does_not_fit_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = cli("run", REF, "--db", str(tmp_path / "c.db"), "--thread", "t", "--input", "{}",
                 "--context", '{"name": "ann"}')
    assert result.exit_code == 2
    assert "context ['name'] does not fit context_schema Who (fields: user)" in result.output
    assert "Traceback" not in result.output
    bad_json = cli("run", REF, "--db", str(tmp_path / "c.db"), "--thread", "t", "--context", "{user}")
    assert bad_json.exit_code == 2 and "--context is not valid JSON" in bad_json.output
