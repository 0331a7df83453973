"""The approval scenario (seed 001, "Updating State Manually") end to end, through the API and
through `retrace run` / `retrace inbox`: side-effect counters prove which tools ran, and how
often, so a double execution fails."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.checkpoint.sqlite import AsyncSqliteSaver
from engine.messages import ToolMessage
from engine.types import Command
from sample_graphs import approval
from tui.cli import main

EDIT = {"type": "edit", "args": {"action": "delete_database", "args": {"name": "test_2019"}}}
REJECT = {"type": "response", "args": "production is live"}


async def paused(saver, infra: approval.Infrastructure, thread: str = "t"):
    graph = approval.make_graph(infra).compile(checkpointer=saver)
    config = {"configurable": {"thread_id": thread}}
    out = await graph.ainvoke(approval.QUESTION, config)
    return graph, config, out


async def test_a_destructive_call_waits_with_its_tool_and_arguments(saver) -> None:
    infra = approval.Infrastructure()
    graph, config, out = await paused(saver, infra)

    [waiting] = out["__interrupt__"]
    assert waiting.value["action_request"] == {"action": "delete_database", "args": {"name": "production"}}
    state = await graph.aget_state(config)
    assert state.next == ("tools",)
    assert [i.id for i in state.interrupts] == [waiting.id]
    assert infra.calls == Counter({"list_databases": 1})  # nothing destructive ran


@pytest.mark.parametrize(
    ("answer", "calls", "left", "last_tool"),
    [
        ({"type": "accept"}, {"list_databases": 1, "delete_database": 1}, ["staging_old", "test_2019"], "deleted production"),
        (REJECT, {"list_databases": 1, "archive_database": 2}, ["production", "staging_old", "test_2019"],
         "archived test_2019 (it can be restored)"),
        (EDIT, {"list_databases": 1, "delete_database": 1}, ["production", "staging_old"], "deleted test_2019"),
    ],
    ids=["approve", "reject", "edit"],
)
async def test_each_answer_runs_what_it_says_once(saver, answer, calls, left, last_tool) -> None:
    infra = approval.Infrastructure()
    graph, config, _ = await paused(saver, infra)

    out = await graph.ainvoke(Command(resume=answer), config)

    assert "__interrupt__" not in out
    assert infra.calls == Counter(calls)
    assert list(infra.databases) == left
    tool_results = [m.content for m in out["messages"] if isinstance(m, ToolMessage)]
    assert tool_results[-1] == last_tool
    again = await graph.ainvoke(Command(resume=answer), config)  # a finished thread: nothing runs
    assert again == out and infra.calls == Counter(calls)


async def test_rejecting_tells_the_agent_why_and_it_picks_a_safer_action(saver) -> None:
    infra = approval.Infrastructure()
    graph, config, _ = await paused(saver, infra)
    out = await graph.ainvoke(Command(resume=REJECT), config)

    texts = [m.content for m in out["messages"]]
    assert "Rejected by a person: production is live. The tool did not run." in texts
    assert infra.archived == ["staging_old", "test_2019"]
    steps = [s.metadata["step"] async for s in graph.aget_state_history(config)]
    assert steps == list(range(7, -2, -1))  # every step of it is in the history


async def test_editing_shows_the_edited_call_in_the_history(saver) -> None:
    infra = approval.Infrastructure()
    graph, config, _ = await paused(saver, infra)
    out = await graph.ainvoke(Command(resume=EDIT), config)

    calls = [c for m in out["messages"] for c in getattr(m, "tool_calls", None) or []]
    assert {"name": "delete_database", "args": {"name": "test_2019"}, "id": "call_3"} in calls
    assert not any(c["args"] == {"name": "production"} for c in calls)


# The command line ----------------------------------------------------------------------------


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


def start(db: Path, thread: str = "t"):
    return cli("run", "sample_graphs.approval:graph", "--db", str(db), "--thread", thread,
               "--input", json.dumps({"messages": [["human", "Clean up unused databases"]]}))


def test_run_exits_3_at_the_interrupt_and_prints_how_to_answer(tmp_path: Path, approval_infra) -> None:
    db = tmp_path / "r.db"
    result = start(db)

    assert result.exit_code == 3, result.output
    assert '"action": "delete_database", "args": {"name": "production"}' in result.output
    assert "--resume '{\"type\": \"accept\", \"args\": null}'" in result.output
    assert [l.split()[1] for l in result.output.splitlines() if l.startswith("step")] == ["-1", "0", "1", "2", "3"]
    inbox = cli("inbox", str(db), "--json")
    assert inbox.exit_code == 0
    [waiting] = json.loads(inbox.output)
    assert waiting["thread_id"] == "t" and waiting["kind"] == "interrupt"
    assert waiting["interrupts"][0]["value"]["action_request"]["args"] == {"name": "production"}
    assert approval_infra.calls == Counter({"list_databases": 1})


@pytest.mark.parametrize(
    ("answer", "calls"),
    [({"type": "accept"}, {"list_databases": 1, "delete_database": 1}),
     (REJECT, {"list_databases": 1, "archive_database": 2}),
     (EDIT, {"list_databases": 1, "delete_database": 1})],
    ids=["approve", "reject", "edit"],
)
def test_resume_from_the_command_line_runs_once_to_the_end(tmp_path: Path, approval_infra, answer, calls) -> None:
    db = tmp_path / "r.db"
    start(db)

    result = cli("run", "sample_graphs.approval:graph", "--db", str(db), "--thread", "t", "--resume", json.dumps(answer))

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "done"
    assert approval_infra.calls == Counter(calls)
    assert cli("inbox", str(db)).output.strip() == "no thread is waiting"


def test_breakpoints_and_single_steps_exit_3_and_go_on(tmp_path: Path, approval_infra) -> None:
    db = tmp_path / "r.db"
    stepped = cli("run", "sample_graphs.approval:graph", "--db", str(db), "--thread", "b", "--step",
                  "--input", json.dumps(approval.QUESTION))
    assert stepped.exit_code == 3 and "paused before agent" in stepped.output
    before = cli("run", "sample_graphs.approval:graph", "--db", str(db), "--thread", "b", "--interrupt-before", "tools")
    assert before.exit_code == 3 and "paused before tools" in before.output
    assert json.loads(cli("inbox", str(db), "--json").output)[0]["kind"] == "breakpoint"
    assert approval_infra.calls == Counter()  # stopped before the tools node ran at all


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--input", "{bad"], "--input is not valid JSON"),
        (["--input", "{}", "--resume", "{}"], "not both"),
        (["--resume", '"yes"'], "no thread 'x' in"),
        (["--resume", "{bad"], "e.g. --resume '{\"type\": \"accept\"}'"),
        (["--interrupt-before", "ghost"], "not a node"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path: Path, approval_infra, args, message) -> None:
    result = cli("run", "sample_graphs.approval:graph", "--db", str(tmp_path / "r.db"), "--thread", "x", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_answering_a_thread_that_does_not_wait_or_with_another_graph_is_refused(tmp_path: Path, approval_infra) -> None:
    db = tmp_path / "r.db"
    start(db)
    other = cli("run", "sample_graphs.chat:graph", "--db", str(db), "--thread", "t", "--resume", '{"type": "accept"}')
    assert other.exit_code == 2 and "was run by sample_graphs.approval:graph, not sample_graphs.chat:graph" in other.output
    cli("run", "sample_graphs.approval:graph", "--db", str(db), "--thread", "t", "--resume", '{"type": "accept"}')
    again = cli("run", "sample_graphs.approval:graph", "--db", str(db), "--thread", "t", "--resume", '{"type": "accept"}')
    assert again.exit_code == 2 and "is not waiting for input: its run ended" in again.output
    assert approval_infra.calls == Counter({"list_databases": 1, "delete_database": 1})  # once


def test_inbox_says_what_waits_and_how_to_answer_it(tmp_path: Path, approval_infra) -> None:
    db = tmp_path / "r.db"
    start(db)
    shown = cli("inbox", str(db)).output.splitlines()
    assert shown[:2] == ["t  (interrupt, step 3)", "  tools: delete_database(name='production')"]
    assert shown[3] == (f"  answer: retrace run sample_graphs.approval:graph --db {db} --thread t "
                        "--resume '{\"type\": \"accept\", \"args\": null}'")


def test_an_unknown_graph_exits_2(tmp_path: Path) -> None:
    result = cli("run", "no_such_module:graph", "--db", str(tmp_path / "r.db"), "--thread", "x")
    assert result.exit_code == 2 and "no_such_module" in result.output


def test_a_failing_node_exits_1_and_the_step_is_saved(tmp_path: Path, approval_infra, monkeypatch) -> None:
    def broken(tool, args):
        raise RuntimeError("the cloud is down")

    monkeypatch.setattr(approval.infrastructure, "run", broken)
    result = start(tmp_path / "r.db")
    assert result.exit_code == 1
    assert "node failed: RuntimeError: the cloud is down" in result.output
    assert "error" in cli("threads", str(tmp_path / "r.db")).output


async def test_the_demo_leaves_one_thread_waiting_one_approved_one_rejected(demo_db: Path) -> None:
    saver = await AsyncSqliteSaver.open(demo_db)
    try:
        graph = approval.graph.compile(checkpointer=saver)
        waiting = await graph.aget_state({"configurable": {"thread_id": "approval-waiting"}})
        approved = await graph.aget_state({"configurable": {"thread_id": "approval-approved"}})
        rejected = await graph.aget_state({"configurable": {"thread_id": "approval-rejected"}})
    finally:
        await saver.close()
    assert waiting.next == ("tools",) and waiting.interrupts
    assert approved.next == () and approved.values["messages"][-2].content == "deleted production"
    assert rejected.next == () and "archived" in rejected.values["messages"][-1].content
