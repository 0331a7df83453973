"""The lint in the debugger: channels with a finding are marked in the State tab (the note in
the pane's subtitle when selected), a step that failed with InvalidUpdateError says the lint
foretold it, and L lists the findings under the Graph tab."""

from __future__ import annotations

import contextlib
from pathlib import Path

from textual.widgets import TabbedContent
from tui_helpers import SIZE, open_thread, press, screen_text, settle, state_of, to_step

from engine.errors import InvalidUpdateError
from sample_graphs.demo import demo_graphs
from tui.app import RetraceApp
from tui.widgets.state_tree import StateTree
from tui.widgets.text_tab import TextTab


def cursor_to(pilot, label_start: str) -> None:
    tree = pilot.app.screen.query_one(StateTree)
    tree.focus()
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        if node is not None and node.label.plain.startswith(label_start):
            tree.cursor_line = line
            return
    raise AssertionError(f"no state row starts with {label_start!r}")


async def test_flagged_channels_are_listed_marked_and_explained_when_selected(demo_db: Path) -> None:
    app = RetraceApp(demo_db, demo_graphs())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "search-buggy")
        await to_step(pilot, 0)
        _, labels = state_of(app)
        assert "Lint: 3 channels parallel tasks can break  L lists every finding" in labels
        results = "⚠ results  R1: no reducer; doc_search and web_search can both write it in the same super-step"
        assert results in labels
        assert "⚠ total_score  R2: no reducer; doc_search and web_search can both write it in the same super-step" in labels
        cursor_to(pilot, "⚠ results")
        await settle(pilot)
        subtitle = app.screen.query_one("#state-pane").border_subtitle
        assert "R1: no reducer; doc_search and web_search" in str(subtitle)
        cursor_to(pilot, "query")
        await settle(pilot)
        assert "R1" not in str(app.screen.query_one("#state-pane").border_subtitle)


async def test_a_flagged_channel_with_a_value_is_marked_in_the_state(tmp_path: Path) -> None:
    from test_lint import BrokenCounter, two_from_start

    from engine.checkpoint.sqlite import AsyncSqliteSaver

    path = tmp_path / "counter.db"
    graph = two_from_start(BrokenCounter).compile()
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        with contextlib.suppress(InvalidUpdateError):
            await graph.with_checkpointer(saver).ainvoke({"count": 0}, {"configurable": {"thread_id": "counter"}})
    app = RetraceApp(path, [graph])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "counter")
        await to_step(pilot, 0)
        _, labels = state_of(app)
        assert "● ⚠ count  0  changed in this step" in labels  # the value's own row, marked
        cursor_to(pilot, "● ⚠ count")
        await settle(pilot)
        assert "R2: no reducer; node_a and node_b" in str(app.screen.query_one("#state-pane").border_subtitle)


async def test_the_failed_step_says_the_lint_foretold_it_and_L_lists_the_findings(demo_db: Path) -> None:
    app = RetraceApp(demo_db, demo_graphs())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await open_thread(pilot, "search-buggy")
        await to_step(pilot, 0)
        header, _ = state_of(app)
        assert "✖ The next step failed" in header
        assert "retrace lint foretold it: results: R1: no reducer; doc_search and web_search can both write it" in header
        assert "(and 2 more: L lists them)" in header
        await press(pilot, "L")
        assert app.screen.query_one("#detail", TabbedContent).active == "graph"
        shown = app.screen.query_one("#graph-text", TextTab).shown
        assert "Lint (retrace lint): 3 error(s), 0 warning(s)" in shown
        assert "R1 error results: 'results' is a channel without a reducer" in shown
        assert "fix: declare it `results: Annotated[list" in shown
        assert shown.startswith("Lint (retrace lint): 3 error(s), 0 warning(s)")
        assert "3 error(s), 0 warning(s): listed above the graph" in screen_text(app)


async def test_a_clean_graph_says_so_and_no_channel_is_marked(demo_db: Path) -> None:
    app = RetraceApp(demo_db, demo_graphs())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "search-fixed")
        await to_step(pilot, 1)
        assert not [label for label in state_of(app)[1] if "⚠" in label]
        await press(pilot, "V")
        assert "Lint (retrace lint): 0 error(s), 0 warning(s)" in app.screen.query_one("#graph-text", TextTab).shown


async def test_L_without_an_attached_graph_says_why(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await open_thread(pilot, "search-buggy")
        await press(pilot, "L")
        assert "Lint" in screen_text(app) and app.screen.query_one("#detail", TabbedContent).active != "graph"
