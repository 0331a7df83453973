"""The debugger core's human-in-the-loop rules, without a UI: the inbox read from the file alone,
the answers' shapes, answering through the session (and refusing a stale one), breakpoints and
new runs, and the reader's status filter, key paging and change counter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.checkpoint.base import PendingWrite
from engine.checkpoint.sqlite import AsyncSqliteSaver, CheckpointReader
from engine.constants import INTERRUPT, INTERRUPT_IDX, RESUME, RESUME_IDX
from engine.debug.inbox import (
    AnswerError,
    PendingInterrupt,
    WaitingThread,
    answers_for,
    approve_answer,
    edit_answer_text,
    parse_answer,
    payload_summary,
    pending_interrupts,
    reject_answer,
    waiting_threads,
)
from engine.debug.new_run import input_template, suggest_thread_id
from engine.debug.session import DebugSession, ThreadMovedError
from engine.errors import UnknownNodeError
from engine.types import Command
from sample_graphs import approval
from sample_graphs.demo import demo_graphs

REQUEST = approval.approval_request({"name": "delete_database", "args": {"name": "production"}, "id": "c1"})


def waiting(*values) -> WaitingThread:
    from engine.debug.model import ThreadSummary

    thread = ThreadSummary("t", 3, 2, "cp", "2026-01-01", "2026-01-01", "interrupted")
    return WaitingThread(thread, tuple(PendingInterrupt(f"id{i}", v, "tools", f"task{i}") for i, v in enumerate(values)))


def test_pending_interrupts_are_the_unanswered_ones_of_unfinished_tasks() -> None:
    rows = [
        PendingWrite("a", "ask", INTERRUPT, [{"id": "i-a", "value": "ok?"}], INTERRUPT_IDX),
        PendingWrite("b", "done", INTERRUPT, [{"id": "i-b", "value": "was asked"}], INTERRUPT_IDX),
        PendingWrite("b", "done", RESUME, ["yes"], RESUME_IDX),
        PendingWrite("b", "done", "log", ["x"], 0),  # it finished: not waiting any more
        PendingWrite("c", "sib", "log", ["y"], 0),
    ]
    assert pending_interrupts(rows) == (PendingInterrupt("i-a", "ok?", "ask", "a"),)


def test_a_foreign_interrupt_row_is_no_interrupt() -> None:
    rows = [PendingWrite("a", "ask", INTERRUPT, "not a list", INTERRUPT_IDX),
            PendingWrite("b", "ask", INTERRUPT, [1, "x", None], INTERRUPT_IDX)]
    assert pending_interrupts(rows) == ()


def test_answers_follow_the_agent_inbox_shapes() -> None:
    assert approve_answer() == {"type": "accept", "args": None}
    assert reject_answer("it is live") == {"type": "response", "args": "it is live"}
    one = waiting(REQUEST)
    assert json.loads(edit_answer_text(one)) == {
        "type": "edit", "args": {"action": "delete_database", "args": {"name": "production"}}
    }
    two = waiting(REQUEST, "plain question?")
    assert answers_for(one, "yes") == "yes"
    assert answers_for(two, "yes") == {"id0": "yes", "id1": "yes"}
    assert json.loads(edit_answer_text(two)) == {
        "id0": {"type": "edit", "args": {"action": "delete_database", "args": {"name": "production"}}},
        "id1": {"type": "accept", "args": None},
    }


def test_payload_summary_reads_a_request_or_shows_bounded_json() -> None:
    assert payload_summary(REQUEST) == (
        "delete_database(name='production')",
        "delete_database(name='production') cannot be undone. Approve it, reject it with a reason, or edit its arguments.",
    )
    assert payload_summary({"q": "ok?"}) == ('{"q": "ok?"}', "")
    what, _ = payload_summary("x" * 10_000)
    assert len(what) == 300 and what.endswith("…")


def test_edit_text_is_ascii_so_no_control_or_bidi_character_reaches_the_editor() -> None:
    text = edit_answer_text(waiting({"action_request": {"action": "rm", "args": {"p": "\x1b[2J\u202e"}}}))
    assert text.isascii() and "\\u001b[2J\\u202e" in text


def test_parse_answer_says_where_the_json_is_wrong() -> None:
    assert parse_answer('{"type": "accept"}') == {"type": "accept"}
    with pytest.raises(AnswerError, match="line 2") as caught:
        parse_answer('{\n  "type": }')
    assert (caught.value.line, caught.value.column) == (2, 11)
    with pytest.raises(AnswerError, match="a string is not closed") as caught:
        parse_answer('{"type": "acc\n"}')
    assert " at at " not in str(caught.value)


def test_new_run_templates_and_thread_ids() -> None:
    assert json.loads(input_template(approval.graph.compile().spec)) == {"messages": [["human", ""]]}
    assert suggest_thread_id("sample_graphs.approval:graph", ["approval-1", "approval-2"]) == "approval-3"
    assert suggest_thread_id("my.module:support_bot", []) == "support_bot-1"


# Through the file and the session ------------------------------------------------------------


async def run_to_interrupt(path: Path, thread: str = "w") -> None:
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        graph = approval.make_graph(approval.Infrastructure()).compile(checkpointer=saver)
        graph.graph_ref = "sample_graphs.approval:graph"  # as the demo records it
        await graph.ainvoke(approval.QUESTION, {"configurable": {"thread_id": thread}})


async def test_the_inbox_is_read_from_the_file_without_graph_code(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    await run_to_interrupt(path)
    reader = await CheckpointReader.open(path)
    try:
        [found] = await waiting_threads(reader)
    finally:
        await reader.close()
    assert found.thread.status == "interrupted" and found.kind == "interrupt"
    [item] = found.interrupts
    assert item.node == "tools" and item.value == REQUEST and len(item.interrupt_id) == 32


async def test_the_session_answers_once_and_refuses_a_stale_checkpoint(tmp_path: Path, approval_infra) -> None:
    path = tmp_path / "w.db"
    await run_to_interrupt(path)
    reader = await CheckpointReader.open(path)
    try:
        [asked] = await reader.list_checkpoints("w", limit=1)
    finally:
        await reader.close()
    session = DebugSession(path, demo_graphs())
    try:
        steps: list[int] = []
        result = await session.answer(asked, reject_answer("never production"), on_step=lambda c: steps.append(c.step))
        assert result.error is None and result.interrupts == () and result.next == ()
        assert steps == [4, 5, 6, 7]
        assert approval_infra.calls == {"archive_database": 2}
        with pytest.raises(ThreadMovedError, match="moved on"):
            await session.answer(asked, approve_answer())
        assert approval_infra.calls == {"archive_database": 2}
    finally:
        await session.close()


async def test_session_breakpoints_pause_runs_started_here(tmp_path: Path, approval_infra) -> None:
    path = tmp_path / "w.db"
    await run_to_interrupt(path, "other")  # makes the file
    session = DebugSession(path, demo_graphs())
    graph = session.graphs["sample_graphs.approval:graph"]
    try:
        with pytest.raises(UnknownNodeError):
            session.toggle_breakpoint(graph, "ghost")
        assert session.toggle_breakpoint(graph, "tools") is True
        result = await session.start_run(graph, "new", approval.QUESTION)
        assert result.next == ("tools",) and result.interrupts == ()
        assert approval_infra.calls == {}
        assert session.toggle_breakpoint(graph, "tools") is False
        again = await session.start_run(graph, "new2", approval.QUESTION)
        assert [i.value for i in again.interrupts] == [REQUEST]
    finally:
        await session.close()


async def test_reader_filters_by_status_pages_by_key_and_counts_changes(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    for name in ("a", "b", "c"):
        await run_to_interrupt(path, name)
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        graph = approval.make_graph(approval.Infrastructure()).compile(checkpointer=saver)
        await graph.ainvoke(Command(resume=approve_answer()), {"configurable": {"thread_id": "b"}})
    reader = await CheckpointReader.open(path)
    try:
        assert [t.thread_id for t in await reader.list_threads()] == ["b", "c", "a"]
        assert [t.thread_id for t in await reader.list_threads(status="interrupted")] == ["c", "a"]
        first = await reader.list_threads(limit=1)
        version = await reader.data_version()
        await run_to_interrupt(path, "d")  # another connection writes: "d" goes on top
        rest = await reader.list_threads(after=(first[0].updated_at, first[0].thread_id))
        assert [t.thread_id for t in rest] == ["c", "a"]  # not shifted by the new row
        assert await reader.data_version() != version
        assert [t.thread_id for t in await reader.list_threads(updated_since=first[0].updated_at)] == ["d", "b"]
    finally:
        await reader.close()
