"""Human in the loop in the debugger, driven by Pilot: the Inbox, approve, reject with a reason,
edit the answer (invalid JSON, esc), breakpoints with b, a new run from the dialog, and c on a
thread that waits. Side-effect counters prove which tools ran, and how often."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from textual.widgets import Input, Select, Static, TabbedContent, TextArea
from tui_helpers import (
    SIZE,
    checkpoint_rows,
    column,
    open_thread,
    press,
    screen_text,
    settle,
    state_of,
    static_text,
)

from sample_graphs import approval
from sample_graphs.demo import demo_graphs
from tui.app import RetraceApp
from tui.dialogs.answer import AnswerDialog, ConfirmDialog, ReasonDialog
from tui.dialogs.breakpoints import BreakpointDialog
from tui.dialogs.new_run import NewRunDialog
from tui.widgets.inbox_list import InboxList
from tui.widgets.text_tab import TextTab
from tui.widgets.threads_table import ThreadsTable


def run_log(app: RetraceApp) -> str:
    return static_text(app.screen.query_one("#run-log", Static))


def messages_shown(app: RetraceApp) -> str:
    return "\n".join(state_of(app)[1])


async def open_from_inbox(pilot) -> None:
    """I, then enter on the first waiting thread: it opens with its State tab."""
    await settle(pilot)
    await press(pilot, "I", "3")
    assert isinstance(pilot.app.focused, InboxList)
    await press(pilot, "enter")
    await settle(pilot)


async def test_the_inbox_lists_what_waits_and_opens_it(demo: Path, approval_infra) -> None:
    app = RetraceApp(demo, demo_graphs())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.sub_title == "✋ 1 waiting for input (I: inbox)"
        threads = app.screen.query_one(ThreadsTable)
        assert dict(zip(column(threads, 1), column(threads, 0)))["approval-waiting"] == "✋ input"
        inbox = app.screen.query_one(InboxList)
        assert [w.thread.thread_id for w in inbox.waiting] == ["approval-waiting"]
        assert "tools: delete_database(name='production')" in str(inbox.get_option_at_index(0).prompt)

        await open_from_inbox(pilot)

        assert threads.current.thread_id == "approval-waiting"
        assert app.screen.query_one("#detail", TabbedContent).active == "state"
        header, _ = state_of(app)
        assert "✋ tools waits for input: delete_database(name='production')" in header
        assert "a approve · x reject" in header
        assert '"I will delete production to clean up." → delete_database(name="production")' in messages_shown(app)
        assert approval_infra.calls == Counter()


async def test_approve_asks_once_more_then_runs_the_tool_once(demo: Path, approval_infra) -> None:
    app = RetraceApp(demo, demo_graphs())
    async with app.run_test(size=SIZE) as pilot:
        await open_from_inbox(pilot)
        await press(pilot, "a")
        assert isinstance(app.screen, ConfirmDialog)  # it cannot be undone: enter confirms
        assert "delete_database(name='production')" in screen_text(app)
        await press(pilot, "escape")
        await settle(pilot)
        assert approval_infra.calls == Counter() and app.screen.inbox["approval-waiting"].interrupts
        await press(pilot, "a", "enter")
        await settle(pilot)

        assert approval_infra.calls == Counter({"delete_database": 1})
        assert app.sub_title == "" and app.screen.query_one(InboxList).waiting == []
        threads = app.screen.query_one(ThreadsTable)
        assert threads.current.thread_id == "approval-waiting" and threads.current.status == "done"
        assert '"deleted production"' in messages_shown(app)
        assert "✔ finished: 2 new checkpoints" in run_log(app)


async def test_reject_asks_for_a_reason_and_the_agent_picks_a_safer_action(demo: Path, approval_infra) -> None:
    app = RetraceApp(demo, demo_graphs())
    async with app.run_test(size=SIZE) as pilot:
        await open_from_inbox(pilot)
        await press(pilot, "x")
        assert isinstance(app.screen, ReasonDialog)
        await press(pilot, "enter")  # no reason: refused, still asking
        assert isinstance(app.screen, ReasonDialog)
        assert "Type a reason first" in screen_text(app)
        app.screen.query_one(Input).value = "production is live"
        await press(pilot, "enter")
        await settle(pilot)

        assert approval_infra.calls == Counter({"archive_database": 2})  # nothing deleted
        shown = messages_shown(app)
        assert "Rejected by a person: production is live" in shown
        assert "Understood, I will not delete anything" in shown
        assert column(app.screen.query_one("#history"), 1)[:5] == ["7", "6", "5", "4", "3"]  # every step kept


async def test_edit_refuses_invalid_json_then_runs_the_edited_call(demo: Path, approval_infra) -> None:
    app = RetraceApp(demo, demo_graphs())
    async with app.run_test(size=SIZE) as pilot:
        await open_from_inbox(pilot)
        before = checkpoint_rows(demo)
        await press(pilot, "E")
        dialog = app.screen
        assert isinstance(dialog, AnswerDialog)
        area = dialog.query_one(TextArea)
        assert json.loads(area.text) == {"type": "edit", "args": {"action": "delete_database", "args": {"name": "production"}}}

        area.text = '{"type": "edit", "args": '
        await press(pilot, "ctrl+s")
        assert app.screen is dialog and "Not sent: the answer is not valid JSON" in screen_text(app)
        assert checkpoint_rows(demo) == before and approval_infra.calls == Counter()

        area.text = area.text + '{"action": "delete_database", "args": {"name": "test_2019"}}}'
        await press(pilot, "ctrl+s")
        await settle(pilot)

        assert approval_infra.calls == Counter({"delete_database": 1})
        assert list(approval.infrastructure.databases) == ["production", "staging_old"]
        assert 'delete_database(name="test_2019")' in messages_shown(app)


async def test_esc_leaves_the_answer_editor_and_the_reason_with_nothing_written(demo: Path, approval_infra) -> None:
    app = RetraceApp(demo, demo_graphs())
    async with app.run_test(size=SIZE) as pilot:
        await open_from_inbox(pilot)
        before = checkpoint_rows(demo)
        for key in ("E", "x"):
            await press(pilot, key)
            assert isinstance(app.screen, AnswerDialog | ReasonDialog)
            await press(pilot, "escape")
            await settle(pilot)
            assert not isinstance(app.screen, AnswerDialog | ReasonDialog)
        assert checkpoint_rows(demo) == before and approval_infra.calls == Counter()
        assert app.sub_title == "✋ 1 waiting for input (I: inbox)"


async def test_c_on_a_thread_that_waits_says_how_to_answer(demo: Path, approval_infra) -> None:
    app = RetraceApp(demo, demo_graphs())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_from_inbox(pilot)
        before = checkpoint_rows(demo)
        await press(pilot, "c")
        await settle(pilot)
        assert "waits for an answer: a approves" in screen_text(app)
        assert checkpoint_rows(demo) == before and approval_infra.calls == Counter()


async def test_answer_keys_on_a_thread_that_does_not_wait_say_so(demo: Path, approval_infra) -> None:
    app = RetraceApp(demo, demo_graphs())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await open_thread(pilot, "approval-approved")
        await press(pilot, "a")
        await settle(pilot)
        assert "approval-approved does not wait for input" in screen_text(app)


async def test_answers_need_the_graph_attached(demo: Path, approval_infra) -> None:
    app = RetraceApp(demo)  # no --graph
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_from_inbox(pilot)
        await press(pilot, "a")
        await settle(pilot)
        assert any("--graph sample_graphs.approval:graph" in n.message for n in app._notifications)
        assert approval_infra.calls == Counter()


async def new_run(pilot, graph: str, text: str) -> NewRunDialog:
    await press(pilot, "N")
    dialog = pilot.app.screen
    assert isinstance(dialog, NewRunDialog)
    dialog.query_one("#run-graph", Select).value = graph
    await pilot.pause()
    dialog.query_one("#run-input", TextArea).text = text
    return dialog


async def test_a_new_run_from_the_dialog_waits_in_the_inbox(demo: Path, approval_infra) -> None:
    app = RetraceApp(demo, demo_graphs())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        dialog = await new_run(pilot, "sample_graphs.approval:graph", "{bad")
        assert dialog.query_one("#run-thread", Input).value == "approval-1"  # a free id suggested
        await press(pilot, "ctrl+s")
        assert app.screen is dialog and "Not started: the input is not valid JSON" in screen_text(app)
        dialog.query_one("#run-input", TextArea).text = json.dumps({"messages": [["human", "Clean up unused databases"]]})
        await press(pilot, "ctrl+s")
        await settle(pilot)

        threads = app.screen.query_one(ThreadsTable)
        assert threads.current.thread_id == "approval-1"  # the new thread is selected
        assert app.sub_title == "✋ 2 waiting for input (I: inbox)"
        assert approval_infra.calls == Counter({"list_databases": 1})
        assert "✋ waiting for input: delete_database(name='production')" in run_log(app)


async def test_the_new_run_dialog_starts_on_the_selected_thread_s_graph(demo: Path, approval_infra) -> None:
    app = RetraceApp(demo, demo_graphs())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "approval-approved")
        await press(pilot, "N")
        dialog = app.screen
        assert isinstance(dialog, NewRunDialog)
        assert dialog.query_one("#run-graph", Select).value == "sample_graphs.approval:graph"
        assert static_text(dialog.query_one("#run-pauses", Static)) == "no breakpoints (b sets them)"
        await press(pilot, "escape")
        assert not isinstance(app.screen, NewRunDialog) and approval_infra.calls == Counter()


async def test_b_sets_a_breakpoint_that_runs_from_the_debugger_stop_at(demo: Path, approval_infra) -> None:
    app = RetraceApp(demo, demo_graphs())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "approval-approved")
        await press(pilot, "b")
        assert isinstance(app.screen, BreakpointDialog)
        await press(pilot, "j", "b", "escape")  # agent, tools: set it on tools
        await press(pilot, "V")
        assert "● tools" in app.screen.query_one("#graph-text", TextTab).shown

        await new_run(pilot, "sample_graphs.approval:graph", json.dumps({"messages": [["human", "Clean up unused databases"]]}))
        await press(pilot, "ctrl+s")
        await settle(pilot)

        assert approval_infra.calls == Counter()  # paused before tools ran at all
        current = app.screen.query_one(ThreadsTable).current
        assert current.thread_id == "approval-1" and current.status == "interrupted"
        assert "⏸ paused before tools (c goes on)" in run_log(app)
        await press(pilot, "2", "c")  # goes past the breakpoint it stopped at, then stops at the next
        await settle(pilot)
        assert approval_infra.calls == Counter({"list_databases": 1})
        assert app.screen.inbox["approval-1"].kind == "breakpoint"  # stopped before tools again


async def test_the_checkpoint_header_shows_a_step_s_warnings(tmp_path: Path) -> None:
    from typing import TypedDict

    from engine.checkpoint.sqlite import AsyncSqliteSaver
    from engine.graph import START, StateGraph

    class One(TypedDict, total=False):
        n: int

    path = tmp_path / "w.db"
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        graph = StateGraph(One).add_node("a", lambda s: {"n": 1, "typo": 2}).add_edge(START, "a").compile(checkpointer=saver)
        await graph.ainvoke({"n": 0}, {"configurable": {"thread_id": "w"}})
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        header, _ = state_of(app)
        assert "⚠ node 'a' returned key 'typo', not in the state: dropped" in header
