"""The state pane's content: what a step wrote, a failed step's pending writes, forks, edits,
internal channels and the value viewer.

Every test waits for the app's workers and messages to finish (``settle``), never for time.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TypedDict

from textual.widgets import Static
from tui_helpers import (
    SIZE,
    Note,
    column,
    open_thread,
    press,
    screen_text,
    section,
    settle,
    shout_graph,
    state_of,
    static_text,
)

from engine.checkpoint.sqlite import AsyncSqliteSaver
from engine.graph import END, START, StateGraph
from tui.app import RetraceApp
from tui.dialogs.value_viewer import ValueViewer
from tui.screens.debugger import DebuggerScreen
from tui.widgets.history_table import HistoryTable
from tui.widgets.state_tree import StateTree


def untimed(label: str) -> str:
    """A task's label without its duration (which depends on the machine)."""
    return re.sub(r"  (<1|\d+) ms$", "", label)


# What a checkpoint holds and where it came from ---------------------------------------------


async def test_state_shows_what_this_step_wrote_not_the_next_one(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "calc-add")
        tree = app.screen.query_one(StateTree)
        written = section(tree, "Written in this step")
        assert re.fullmatch(r"agent  wrote messages  (<1|\d+) ms", written[1])  # with how long it took
        written = [untimed(w) for w in written]
        assert written[:2] == ["Written in this step  by 1 task", "agent  wrote messages"]
        assert any("10 + 20 = 30" in label for label in written)
        assert not section(tree, "The next step")  # a finished step has no pending writes

        await press(pilot, "left_square_bracket")  # step 2: ran tools -> next agent
        assert "ran tools  →  next agent" in state_of(app)[0]
        written = section(tree, "Written in this step")
        assert untimed(written[1]) == "tools  wrote messages"
        assert any('tool (add): "30"' in label for label in written)
        # What agent writes in step 3 is not shown here.
        assert not any("10 + 20 = 30" in label for label in state_of(app)[1])
        assert not any("pending" in label for label in state_of(app)[1])

        await press(pilot, *["left_square_bracket"] * 3)  # step -1: the input
        written = section(tree, "Written in this step")
        assert "nothing ran: this checkpoint holds the run's input" in written[0]
        assert any(label.startswith("input") and "Calculate 10 + 20" in label for label in written)

        await open_thread(pilot, "calc-two-questions")  # the second run's input has a parent
        await press(pilot, *["left_square_bracket"] * 4)
        assert "step 4  source input" in state_of(app)[0]
        assert "holds the run's input" in section(tree, "Written in this step")[0]


async def test_failed_thread_shows_its_error_and_the_pending_writes(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "search-buggy")
        header, labels = state_of(app)
        assert "The next step failed: InvalidUpdateError: Can receive only one value" in header
        pending = section(app.screen.query_one(StateTree), "The next step failed")
        assert "what its finished tasks wrote  by 2 tasks (pending writes)" in pending[0]
        assert any(label.startswith("doc_search") and "wrote results" in label for label in labels)
        assert any(label.startswith("web_search") and "wrote results" in label for label in labels)
        assert "total_score  0.9" in labels and "total_score  0.8" in labels
        # The whole error is a value too, for messages longer than the header shows.
        tree = app.screen.query_one(StateTree)
        await press(pilot, "3")
        for _ in range(30):
            if tree.cursor_node.data.path == ("error", "error"):
                break
            await press(pilot, "j")
        assert tree.cursor_node.data.path == ("error", "error")
        await press(pilot, "enter")
        assert "Give each such key a reducer" in static_text(app.screen.query_one("#value-text", Static))
        await press(pilot, "escape")
        # An older checkpoint of the same thread points at the failure.
        await press(pilot, "left_square_bracket")
        assert "This thread failed later (InvalidUpdateError)" in state_of(app)[0]
        assert "InvalidUpdateError" in screen_text(app)


async def test_a_fork_shows_its_own_writes_not_the_original_runs(tmp_path: Path) -> None:
    path = tmp_path / "fork.db"
    runs = iter(["first run", "the fork"])
    builder = StateGraph(Note).add_node("n", lambda s: {"note": next(runs)}).add_edge(START, "n")
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        graph = builder.add_edge("n", END).compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "t"}}
        await graph.ainvoke({"note": ""}, config)
        before_n = [s async for s in graph.aget_state_history(config)][1].config  # step 0
        await graph.ainvoke(None, before_n)  # run n again from there: a second child of step 0
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        written = section(app.screen.query_one(StateTree), "Written in this step")
        assert [untimed(w) for w in written[:3]] == ["Written in this step  by 1 task", "n  wrote note", 'note  "the fork"']


async def test_an_edited_checkpoint_says_it_was_set_by_hand(tmp_path: Path) -> None:
    path = tmp_path / "edited.db"
    graph = shout_graph()
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        compiled = graph.compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "t"}}
        await compiled.ainvoke({"note": "hi"}, config)
        await compiled.aupdate_state(config, {"note": "fixed by hand"})
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "t")
        header = state_of(app)[0]
        assert "edited state set by hand, as if shout had written it" in header
        assert "not run since" not in header  # shout leads to END: nothing is left to run
        assert column(app.screen.query_one(HistoryTable), 2)[0] == "update"


async def test_an_edit_that_leaves_work_says_how_to_go_on(tmp_path: Path) -> None:
    path = tmp_path / "edited.db"
    graph = shout_graph()
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        compiled = graph.compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "t"}}
        await compiled.aupdate_state(config, {"note": "seeded by hand"}, as_node=START)
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "t")
        header = state_of(app)[0]
        assert "as if __start__ had written it" in header
        assert "edited by hand and not run since: c continues from here" in header


async def test_a_node_retried_after_a_failure_shows_both_attempts(tmp_path: Path) -> None:
    path = tmp_path / "retried.db"
    broken = {"on": True}

    def flaky(state):
        if broken["on"]:
            raise ValueError("model down")
        return {"note": "flaky ok"}

    graph = StateGraph(Note).add_node("flaky", flaky).add_edge(START, "flaky").add_edge("flaky", END)
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        compiled = graph.compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "t"}}
        try:
            await compiled.ainvoke({"note": "hi"}, config)
        except ValueError:
            pass
        broken["on"] = False
        await compiled.ainvoke(None, config)
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "t")
        labels = state_of(app)[1]
        assert any("flaky  failed once, then succeeded when the step was resumed; wrote note" in l for l in labels)
        assert any(l.startswith("error  ValueError: model down") for l in labels)


async def test_internal_channels_are_hidden_until_toggled(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "calc-add")
        await press(pilot, "left_square_bracket")  # step 2 has branch:to:agent
        assert not any(label.startswith("branch:to:agent") for label in state_of(app)[1])
        assert "1 internal hidden" in " ".join(state_of(app)[1])
        await press(pilot, "i")
        assert any(label.startswith("branch:to:agent") for label in state_of(app)[1])
        await press(pilot, "i")
        assert not any(label.startswith("branch:to:agent") for label in state_of(app)[1])


async def test_input_checkpoint_with_only_internal_channels_says_so(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "search-buggy")  # no reducers: no defaults before the input
        await press(pilot, "left_square_bracket")
        header, labels = state_of(app)
        assert "source input" in header
        assert "nothing but internal channels; press i to show them" in labels


async def test_input_checkpoint_shows_reducer_defaults(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "calc-add")
        await press(pilot, *["left_square_bracket"] * 4)
        header, labels = state_of(app)
        assert "source input" in header
        assert "messages (0 items)  []" in labels  # what get_state shows there too


# The value viewer ---------------------------------------------------------------------------


async def test_value_viewer_shows_a_value_whole(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await open_thread(pilot, "search-buggy")
        await press(pilot, "3")
        tree = app.screen.query_one(StateTree)
        assert tree.cursor_node is not None and tree.cursor_node.data.path == ("state",)
        await press(pilot, "v")  # a heading has no value: nothing opens, and it says why
        assert not isinstance(app.screen, ValueViewer)
        assert "That is a heading: move to a value (j/k), then press v" in screen_text(app)
        await press(pilot, "j", "enter")
        assert isinstance(app.screen, ValueViewer)
        assert static_text(app.screen.query_one("#value-text", Static)) == "concurrency"
        await press(pilot, "escape")
        assert isinstance(app.screen, DebuggerScreen)

        await open_thread(pilot, "calc-add")
        await press(pilot, "3", "j", "v")  # the messages channel, every message in full, as JSON
        text = static_text(app.screen.query_one("#value-text", Static))
        data = json.loads(text)
        assert [m["fields"]["content"] for m in data] == ["Calculate 10 + 20", "", "30", "10 + 20 = 30"]
        assert data[1]["__retrace__"] == "message" and data[1]["type"] == "ai"
        await press(pilot, "c")
        assert json.loads(app.clipboard) == data  # what is shown is what is copied
        await press(pilot, "t")  # the text notation
        text = static_text(app.screen.query_one("#value-text", Static))
        assert 'content: "Calculate 10 + 20"' in text and 'content: "10 + 20 = 30"' in text
        assert 'tool_calls: [{name: "add", args: {a: 10.0, b: 20.0}, id: "call_1"}]' in text
        assert 'tool_call_id: "call_1"' in text
        await press(pilot, "q")  # q closes the dialog, not the app
        assert isinstance(app.screen, DebuggerScreen)
        assert app.return_code is None


async def test_value_viewer_shows_a_message_whole(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "calc-add")
        await press(pilot, "3", "j", "j", "j", "v", "t")  # messages › 1, the AI message calling add, as text
        text = static_text(app.screen.query_one("#value-text", Static))
        assert text.startswith("AIMessage(\n")
        for line in ('type: "ai"', 'content: ""', "name: None", 'args: {a: 10.0, b: 20.0}, id: "call_1"'):
            assert line in text
        assert re.search(r'\n  id: "[0-9a-f-]{36}"\n', text)
        await press(pilot, "escape", "j", "v", "t")  # messages › 2: the tool's answer
        text = static_text(app.screen.query_one("#value-text", Static))
        assert 'content: "30"' in text and 'name: "add"' in text and 'tool_call_id: "call_1"' in text
        await press(pilot, "escape", "k", "space", "j", "v")  # messages › 1 › content: ""
        assert static_text(app.screen.query_one("#value-text", Static)) == '""'


def test_the_viewer_says_where_a_huge_value_was_cut() -> None:
    from tui.full_text import MAX_FULL_CHARS, full_text

    text = full_text(list(range(100_000)))
    assert len(text) < MAX_FULL_CHARS + 200
    assert text.endswith(f"cut here: the value is longer than {MAX_FULL_CHARS:,} characters laid out")


async def test_a_replays_fork_copy_says_nothing_ran(tmp_path) -> None:
    from tui_helpers import write_replayed_thread

    path = tmp_path / "replay.db"
    await write_replayed_thread(path)
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "2", "j")  # the fork copy, under the replayed step
        header, labels = state_of(app)
        assert "a copy of its parent, where a replay starts" in header
        assert any("nothing ran: a copy of its parent" in label for label in labels)


class Numbers(TypedDict):
    items: list[int]
    label: str


async def test_state_marks_what_changed_in_the_step_and_opens_long_lists_folded_newest_first(tmp_path: Path) -> None:
    builder = StateGraph(Numbers).add_node("fill", lambda s: {"items": list(range(30))})
    builder.add_edge(START, "fill").add_edge("fill", END)
    path = tmp_path / "numbers.db"
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        await builder.compile(checkpointer=saver).ainvoke({"items": [], "label": "x"}, {"configurable": {"thread_id": "n"}})
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(StateTree)
        items = next(n for n in tree.root.children[0].children if "items" in n.label.plain)
        label = next(n for n in tree.root.children[0].children if "label" in n.label.plain)
        assert items.label.plain.startswith("● items") and "changed in this step" in items.label.plain
        assert "30 items, newest first when opened" in items.label.plain
        assert "changed in this step" not in label.label.plain  # the input set it, fill did not
        assert not items.is_expanded
        await press(pilot, "3")
        while tree.cursor_node is not items:
            await press(pilot, "j")
        await press(pilot, "space")
        assert items.is_expanded
        assert [c.label.plain.split()[0] for c in items.children][:3] == ["29", "28", "27"]
