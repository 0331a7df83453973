"""`retrace show` and `retrace diff`: one checkpoint, and what changed between two, for people and
for scripts; checkpoints named by id, a unique prefix, or a step on the current branch."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from tui_helpers import shout_graph, write_replayed_thread

from engine.checkpoint.sqlite import AsyncSqliteSaver, CheckpointReader
from engine.debug.lineage import parent_chain
from engine.debug.refs import CheckpointRefError, resolve, short_ids
from sample_graphs.demo import write_demo_database
from tui.cli import main


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    asyncio.run(write_demo_database(path))
    return path


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_show_prints_what_made_the_checkpoint_its_state_and_its_writes(demo: Path) -> None:
    code, out, _ = cli("show", str(demo), "calc-add", "--checkpoint", "2")
    assert code == 0
    assert "step 2  source loop" in out and "ran        tools  →  next agent" in out
    assert 'tools → messages: [tool (add): "30"]' in out
    assert "branch:to" not in out  # the engine's channels only with --internal
    assert "branch:to:agent" in cli("show", str(demo), "calc-add", "--checkpoint", "2", "--internal")[1]


def test_show_json_has_the_values_in_full(demo: Path) -> None:
    code, out, _ = cli("show", str(demo), "calc-add", "--json")
    data = json.loads(out)
    assert code == 0 and data["step"] == 3 and data["source"] == "loop"
    messages = data["values"]["messages"]
    assert [(m["__retrace__"], m["type"]) for m in messages] == [
        ("message", "human"), ("message", "ai"), ("message", "tool"), ("message", "ai")
    ]
    assert messages[-1]["fields"]["content"] == "10 + 20 = 30"
    assert [w["node"] for w in data["writes"]] == ["agent"]


def test_show_at_a_failed_step_says_what_failed_and_what_finished(demo: Path) -> None:
    code, out, _ = cli("show", str(demo), "flaky-failed")
    assert code == 0
    lines = out.splitlines()
    start = lines.index("✖ the next step failed in node tools: ConnectionError: weather service unavailable "
                        "(connection reset); try again")
    tasks = sorted(lines[start + 1:start + 3], key=lambda line: "finished" in line)
    assert all(line.startswith("  task tools ") for line in tasks)
    assert tasks[0].endswith(": failed: ConnectionError: weather service unavailable (connection reset); try again")
    assert tasks[1].endswith(": finished (kept: a resume does not run it again)")
    assert "R in the debugger" in lines[start + 3]
    data = json.loads(cli("show", str(demo), "flaky-failed", "--json")[1])["failed_step"]
    assert data["error"]["type"] == "ConnectionError" and sorted(t["finished"] for t in data["tasks"]) == [False, True]
    assert "✖" not in cli("show", str(demo), "flaky-resumed")[1]
    assert json.loads(cli("show", str(demo), "calc-add", "--json")[1])["failed_step"] is None


def test_diff_against_the_parent_names_the_node_that_wrote_each_channel(demo: Path) -> None:
    code, out, _ = cli("diff", str(demo), "calc-add")
    assert code == 0
    assert "~ messages: +1 message  (written by agent in step 3)" in out
    assert '+ [3]: ai: "10 + 20 = 30"' in out and "0 channels unchanged" in out


def test_diff_between_any_two_steps_as_json(demo: Path) -> None:
    code, out, _ = cli("diff", str(demo), "calc-add", "--from", "-1", "--to", "3", "--json")
    data = json.loads(out)
    assert code == 0 and (data["from"]["step"], data["to"]["step"]) == (-1, 3)
    (channel,) = data["channels"]
    assert channel["channel"] == "messages" and channel["summary"] == "+4 messages"  # from the input's []
    assert [c["path"] for c in channel["changes"]] == [[0], [1], [2], [3]]
    # Who wrote the value comes from the data (the channel's version), for any two checkpoints.
    assert channel["written_by"] == ["agent"]
    assert channel["provenance"]["step"] == 3 and channel["provenance"]["edited_as"] is None
    assert data["to"]["thread_id"] == "calc-add"


async def fork_thread(path: Path) -> list:
    """Thread ``t``: a run, then an edit of its first step's result (a second branch); its history."""
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        graph = shout_graph().compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "t"}}
        await graph.ainvoke({"note": "hi"}, config)
        first = [s async for s in graph.aget_state_history(config)][-2]
        await graph.aupdate_state(first.config, {"note": "edited"}, as_node="shout")
    async with await CheckpointReader.open(path) as reader:
        return await reader.list_checkpoints("t", limit=None)


def test_diff_across_branches_after_an_edit(tmp_path: Path) -> None:
    path = tmp_path / "fork.db"
    history = asyncio.run(fork_thread(path))
    old_tip = next(c for c in history if c.source == "loop" and c.step == 1)
    code, out, err = cli("diff", str(path), "t", "--from", old_tip.checkpoint_id[:30], "--to", history[0].checkpoint_id)
    assert code == 0, err
    assert '~ note: changed  (edited as shout in step 1)' in out and '"hi!" → "edited"' in out


def test_diff_across_threads(demo: Path) -> None:
    code, out, err = cli("diff", str(demo), "calc-add", "--from-thread", "calc-two-questions", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["from"]["thread_id"] == "calc-two-questions" and data["to"]["thread_id"] == "calc-add"
    (channel,) = data["channels"]
    assert channel["channel"] == "messages" and channel["status"] == "changed"
    code, _, err = cli("diff", str(demo), "calc-add", "--from-thread", "nobody")
    assert code == 2 and "thread 'nobody' is not in" in err


def test_bad_references_are_one_line_errors(demo: Path) -> None:
    code, _, err = cli("diff", str(demo), "calc-add", "--from", "0")
    assert code == 0  # a step on the branch
    code, _, err = cli("diff", str(demo), "calc-add", "--from", "01")
    assert code == 2 and err.startswith("retrace: error: '01' names 5 checkpoints") and err.count("\n") == 1
    code, _, err = cli("show", str(demo), "nobody")
    assert code == 2 and "thread 'nobody' is not in" in err
    code, _, err = cli("show", str(demo), "calc-add", "--checkpoint", "zzz")
    assert code == 2 and "no checkpoint 'zzz'" in err
    code, _, err = cli("diff", str(demo), "calc-add", "--to", "-1")
    assert code == 2 and "is the thread's first: give --from" in err


async def test_a_step_number_prefers_the_current_branch(tmp_path: Path) -> None:
    rows = await fork_thread(tmp_path / "fork.db")
    head = rows[0]
    branch = parent_chain(rows, head)
    assert branch[0] is head and branch[-1].source == "input" and len(branch) == 3
    assert resolve(rows, "1") is head  # the edit, not the abandoned step of the same number
    assert resolve(rows, head.checkpoint_id[:30]) is head
    with pytest.raises(CheckpointRefError, match="no checkpoint"):
        resolve(rows, "99")
    assert resolve(rows, "0").step == 0  # a step number...
    with pytest.raises(CheckpointRefError, match="names 4 checkpoints"):
        resolve(rows, "01")  # ...but with a leading zero, the start of an id (they all start 01)


def test_short_ids_stay_unique_and_resolve(demo: Path) -> None:
    async def history():
        async with await CheckpointReader.open(demo) as reader:
            return await reader.list_checkpoints("calc-add", limit=None)

    rows = asyncio.run(history())
    short = short_ids([c.checkpoint_id for c in rows])
    assert len(set(short.values())) == len(rows) and all(13 <= len(s) < 36 for s in short.values())
    assert all(resolve(rows, short[c.checkpoint_id]) is c for c in rows)
    assert short_ids(["abc", "abd"], minimum=1) == {"abc": "abc", "abd": "abd"}
    assert short_ids(["abcdef", "xyz"], minimum=2) == {"abcdef": "ab", "xyz": "xy"}


def test_a_replays_fork_copy_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "replay.db"
    asyncio.run(write_replayed_thread(path))
    code, out, _ = cli("history", str(path), "t", "--json")
    rows = json.loads(out)
    assert code == 0 and [(r["step"], r["source"]) for r in rows][:2] == [(2, "loop"), (1, "fork")]
    assert "(fork)" in cli("history", str(path), "t")[1]
    assert "ran        (fork)" in cli("show", str(path), "t", "--checkpoint", "1")[1]
