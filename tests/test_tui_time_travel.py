"""Time travel in the debugger, driven by Pilot: mark and diff, edit (save, invalid, cancel),
replay, continue, write actions off without a graph, and ``[`` / ``]`` along a branch."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from textual.widgets import TabbedContent, TextArea
from tui_helpers import (
    SIZE,
    checkpoint_rows,
    column,
    open_thread,
    press,
    screen_text,
    settle,
    shout_graph,
    to_step,
)

from engine.checkpoint.sqlite import AsyncSqliteSaver
from sample_graphs.demo import demo_graphs, write_demo_database
from tui.app import RetraceApp
from tui.dialogs.edit_state import EditStateDialog
from tui.widgets.history_table import HistoryTable
from tui.widgets.text_tab import TextTab
from tui.widgets.threads_table import ThreadsTable


def history_of(app: RetraceApp) -> HistoryTable:
    return app.screen.query_one(HistoryTable)


async def at_step(pilot, thread: str, step: int) -> None:
    """Wait for the app, open ``thread`` and move to its ``step``."""
    await settle(pilot)
    await open_thread(pilot, thread)
    await to_step(pilot, step)


async def edit_and_save(pilot, old: str, new: str) -> None:
    await press(pilot, "e")
    dialog = pilot.app.screen
    assert isinstance(dialog, EditStateDialog)
    area = dialog.query_one(TextArea)
    assert old in area.text
    area.load_text(area.text.replace(old, new))
    await press(pilot, "ctrl+s")


async def test_edit_then_continue_makes_a_branch_and_the_old_one_stays(demo: Path) -> None:
    app = RetraceApp(demo, demo_graphs())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "calc-add")
        await to_step(pilot, 1)  # the agent asked for add(10, 20); tools runs next
        before = checkpoint_rows(demo)
        await edit_and_save(pilot, '"a": 10.0', '"a": 40.0')
        assert not isinstance(app.screen, EditStateDialog)
        history = history_of(app)
        edited = history.current_checkpoint
        assert edited.source == "update" and edited.step == 2 and edited.next == ("tools",)
        assert checkpoint_rows(demo) == before + 1
        assert "edited as agent" in column(history, 3)
        await press(pilot, "c")
        assert checkpoint_rows(demo) == before + 3  # tools, then agent's answer
        head = history.current_checkpoint
        assert head.step == 4 and head.next == ()
        assert "finished: 2 new checkpoints" in screen_text(app)
        glyphs = column(history, 0)
        assert glyphs[0] == "◉" and "◆─╯" in glyphs  # the new head, and the fork point at step 1
        # [ follows the new branch back: the edit, then step 1 (not the old branch's step 2).
        await press(pilot, "left_square_bracket", "left_square_bracket")
        assert history.current_checkpoint.source == "update"
        await press(pilot, "left_square_bracket")
        assert history.current_checkpoint.step == 1
        await press(pilot, "right_square_bracket")
        assert history.current_checkpoint.source == "update"  # ] comes back the same way


async def test_mark_and_diff_compare_the_two_branches_final_answers(demo: Path) -> None:
    app = RetraceApp(demo, demo_graphs())
    async with app.run_test(size=SIZE) as pilot:
        await at_step(pilot, "calc-add", 1)
        await edit_and_save(pilot, '"a": 10.0', '"a": 40.0')
        await press(pilot, "c")
        await press(pilot, "m")  # the new branch's answer: 40 + 20 = 60
        history = history_of(app)
        old_head = next(i for i, c in enumerate(history.items) if c.checkpoint.step == 3 and c.checkpoint.next == ())
        history.move_cursor(row=old_head)
        await settle(pilot)
        await press(pilot, "d")
        assert app.screen.query_one("#detail", TabbedContent).active == "diff"
        shown = app.screen.query_one("#diff-text", TextTab).shown
        # Older to newer, whichever is marked: the old branch's answer, then the new one's.
        assert shown.startswith("from step 3 · loop · agent  (selected)")
        assert "to   step 4 · loop · agent  (marked)" in shown
        assert column(history, 0)[0].startswith("★")  # the marked row
        assert "~ messages" in shown and "10 + 20 = 30" in shown and "40 + 20 = 60" in shown
        assert "written by agent in step 4" in shown  # the newer side's value


async def test_diff_against_the_parent_names_the_writer_and_the_raw_write(demo: Path) -> None:
    app = RetraceApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "calc-add")
        await to_step(pilot, 2)
        await press(pilot, "d")
        shown = app.screen.query_one("#diff-text", TextTab).shown
        assert shown.startswith("from step 1 · loop · agent  (parent)")
        assert "+1 message" in shown and "(written by tools in step 2)" in shown
        assert "raw write by tools" in shown
        await press(pilot, "w")
        assert "tools" in app.screen.query_one("#writes-text", TextTab).shown
        await press(pilot, "M")
        assert '"source": "loop"' in app.screen.query_one("#metadata-text", TextTab).shown


async def test_an_invalid_edit_shows_the_error_and_writes_nothing(demo: Path) -> None:
    app = RetraceApp(demo, demo_graphs())
    async with app.run_test(size=SIZE) as pilot:
        await at_step(pilot, "calc-add", 1)
        before = checkpoint_rows(demo)
        await edit_and_save(pilot, '"messages": [', '"messages": [,')
        assert isinstance(app.screen, EditStateDialog)
        assert "Not saved: line 2: not valid JSON" in screen_text(app)
        assert app.screen.query_one(TextArea).cursor_location[0] == 1  # the cursor is on that line
        await press(pilot, "escape")
        assert not isinstance(app.screen, EditStateDialog)
        assert checkpoint_rows(demo) == before


async def test_escape_leaves_the_editor_with_nothing_written(demo: Path) -> None:
    app = RetraceApp(demo, demo_graphs())
    async with app.run_test(size=SIZE) as pilot:
        await at_step(pilot, "calc-add", 1)
        before = checkpoint_rows(demo)
        await press(pilot, "e")
        app.screen.query_one(TextArea).load_text("{}")
        await press(pilot, "escape")
        assert not isinstance(app.screen, EditStateDialog)
        assert checkpoint_rows(demo) == before


async def test_replay_adds_a_branch_that_grows_in_the_tree(demo: Path) -> None:
    app = RetraceApp(demo, demo_graphs())
    async with app.run_test(size=SIZE) as pilot:
        await at_step(pilot, "calc-add", 1)
        before = len(history_of(app).checkpoints)
        await press(pilot, "R")
        history = history_of(app)
        assert len(history.checkpoints) == before + 3  # the fork copy, tools, agent
        assert "fork" in column(history, 2)
        text = screen_text(app)
        assert "step 4 loop: agent → done" in text and "finished: 3 new checkpoints" in text  # the newest lines


async def test_a_failing_replay_shows_the_error_and_stays_on_the_screen(demo: Path) -> None:
    app = RetraceApp(demo, demo_graphs())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "search-buggy")
        await to_step(pilot, -1)
        await press(pilot, "R")
        assert "failed: InvalidUpdateError" in screen_text(app)
        assert history_of(app).thread_id == "search-buggy"


async def test_without_a_graph_write_actions_say_how_to_attach_one(demo: Path) -> None:
    app = RetraceApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "calc-add")
        await to_step(pilot, 1)
        before = checkpoint_rows(demo)
        for key in ("e", "R", "c"):
            app.clear_notifications()
            await press(pilot, key)
            assert not isinstance(app.screen, EditStateDialog)
            said = [n.message for n in app._notifications]
            assert any("open it with: retrace open demo.db --graph sample_graphs.calculator_agent:graph" in m for m in said)
        assert checkpoint_rows(demo) == before


async def test_slash_filters_the_threads_and_escape_clears_it(demo: Path) -> None:
    app = RetraceApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        threads = app.screen.query_one(ThreadsTable)
        await press(pilot, "1", "slash")
        for ch in "calc":
            await press(pilot, ch)
        assert column(threads, 1) == ["calc-two-questions", "calc-add"]
        assert "2 of 19 loaded rows match" in screen_text(app)
        await press(pilot, "enter", "j")  # back in the table, the filter kept
        assert threads.current.thread_id == "calc-add"
        await press(pilot, "slash", "escape")
        assert len(column(threads, 1)) == 19 and threads.current.thread_id == "calc-add"


async def test_colon_goes_to_a_step_on_the_branch_and_G_to_the_oldest(demo: Path) -> None:
    app = RetraceApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "calc-two-questions")
        history = history_of(app)
        await press(pilot, "2", "colon", "2", "enter")
        assert history.current_checkpoint.step == 2
        await press(pilot, "colon", "9", "9", "enter")
        assert history.current_checkpoint.step == 2
        assert any("no step 99" in n.message for n in app._notifications)
        await press(pilot, "G")
        assert history.current_checkpoint.step == -1


async def test_G_loads_the_rest_of_a_long_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tui.screens.reads as reads

    monkeypatch.setattr(reads, "PAGE_SIZE", 3)  # calc-two-questions has 10 checkpoints
    monkeypatch.setattr(HistoryTable, "LOAD_AHEAD", 1)
    path = tmp_path / "demo.db"
    await write_demo_database(path)
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "calc-two-questions")
        history = history_of(app)
        assert len(history.checkpoints) < 10
        await press(pilot, "2", "G")
        assert len(history.checkpoints) == 10 and history.complete
        assert history.current_checkpoint.step == -1 and history.current_checkpoint.source == "input"


async def test_editing_a_step_zero_checkpoint_offers_start_as_the_node(demo: Path) -> None:
    app = RetraceApp(demo, demo_graphs())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "calc-add")
        await to_step(pilot, 0)  # made by __start__: the default node of an edit here
        await press(pilot, "e")
        assert isinstance(app.screen, EditStateDialog)
        assert app.screen.query_one("#edit-as-node").value == "__start__"
        assert app.failures == []


async def test_continue_on_a_checkpoint_that_already_ran_on_says_so_and_writes_nothing(demo: Path) -> None:
    app = RetraceApp(demo, demo_graphs())
    async with app.run_test(size=SIZE) as pilot:
        await at_step(pilot, "calc-add", 1)
        before = checkpoint_rows(demo)
        await press(pilot, "c")
        assert checkpoint_rows(demo) == before
        assert any("already run on" in n.message for n in app._notifications)


async def test_a_hostile_graph_name_in_the_metadata_stays_inert(tmp_path: Path) -> None:
    path = tmp_path / "hostile.db"
    graph = shout_graph().compile()
    graph.graph_ref = "\x1b[2J[b]evil[/b]:graph"
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        await graph.with_checkpointer(saver).ainvoke({"note": "hi"}, {"configurable": {"thread_id": "t"}})
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "2", "V")
        shown = app.screen.query_one("#graph-text", TextTab).shown
        assert "\x1b" not in shown and "\\x1b[2J[b]evil[/b]:graph" in shown
        await press(pilot, "e")
        said = " ".join(n.message for n in app._notifications)
        assert "\x1b" not in said and "\\x1b[2J" in said
        assert "\x1b" not in screen_text(app)


async def test_escape_in_a_filtered_table_clears_the_filter(demo: Path) -> None:
    app = RetraceApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        threads = app.screen.query_one(ThreadsTable)
        await press(pilot, "1", "slash", "c", "a", "l", "c", "enter")
        assert len(threads.shown) == 2 and app.focused is threads
        await press(pilot, "escape")
        assert len(threads.shown) == 19 and "loaded rows match" not in screen_text(app)


async def test_a_thread_paused_at_a_breakpoint_says_so_and_c_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "paused.db"
    graph = shout_graph().compile(interrupt_before=["shout"])
    graph.graph_ref = "tests:paused"
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        await graph.with_checkpointer(saver).ainvoke({"note": "hi"}, {"configurable": {"thread_id": "t"}})
    app = RetraceApp(path, [graph])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert column(app.screen.query_one(ThreadsTable), 0) == ["⏸ interrupted"]
        assert "paused at a breakpoint before shout" in screen_text(app)
        await press(pilot, "2", "c")
        assert history_of(app).current_checkpoint.next == ()
        assert column(app.screen.query_one(ThreadsTable), 0) == ["✔ done"]


async def test_n_runs_one_super_step_and_shows_its_diff(demo: Path) -> None:
    app = RetraceApp(demo, demo_graphs())
    async with app.run_test(size=SIZE) as pilot:
        await at_step(pilot, "calc-add", 1)
        await edit_and_save(pilot, '"a": 10.0', '"a": 40.0')
        before = checkpoint_rows(demo)
        await press(pilot, "n")
        assert checkpoint_rows(demo) == before + 1  # one step: tools
        head = history_of(app).current_checkpoint
        assert (head.step, tuple(head.writes), head.next) == (3, ("tools",), ("agent",))
        assert app.screen.query_one("#detail", TabbedContent).active == "diff"
        assert '"60"' in app.screen.query_one("#diff-text", TextTab).shown
        assert column(app.screen.query_one(ThreadsTable), 0)[0] == "⏸ interrupted"
        await press(pilot, "n")
        assert history_of(app).current_checkpoint.next == ()  # the agent's answer: done


async def test_R_on_a_failed_step_resumes_it_and_runs_only_the_failed_task(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sample_graphs import flaky_tools

    monkeypatch.setattr(flaky_tools.service, "calls", Counter())
    app = RetraceApp(demo, demo_graphs())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "flaky-failed")
        assert history_of(app).cursor_row == 0  # the failed step's checkpoint, newest first
        await press(pilot, "R")
        history = history_of(app)
        assert column(history, 1)[:3] == ["3", "2", "1"]  # went on along the branch: no fork copy
        assert "fork" not in column(history, 2)
        assert "✔ finished: 2 new checkpoints" in screen_text(app)
        # The exchange rate answered before the failure: only the weather call ran again.
        assert flaky_tools.service.calls == Counter({"weather": 1})
