"""A subgraph run's own history, opened from the step that ran it (``o``); ``esc`` goes back.

Read-only: the history of the run's checkpoint namespace on the left, the selected checkpoint
on the right (its state, its diff against its parent, what its step's tasks wrote, its
metadata). Which runs a step has is the debugger core's rule
(:func:`engine.debug.subgraphs.subgraph_runs`); a step with several (a ``Send`` fan-out to a
subgraph node) lists them at the top to choose from. A step in here that ran a subgraph of its
own opens it the same way, one screen deeper.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static, TabbedContent
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from engine.constants import is_internal_channel
from engine.debug.diff import diff_states
from engine.debug.model import CheckpointDetail, CheckpointSummary, ThreadSummary
from engine.debug.provenance import provenance
from engine.debug.source import CheckpointSource
from engine.debug.status import unfinished_after
from engine.debug.steps import read_step_writes
from engine.debug.subgraphs import (
    SubgraphRun,
    subgraph_runs,
    subgraph_runs_of,
    subgraph_thread,
)
from tui.detail_text import diff_text, metadata_text, writes_text
from tui.messages import CheckpointHighlighted
from tui.safe_text import escape_control, literal
from tui.widgets.checkpoint_header import CheckpointHeader
from tui.widgets.detail_tabs import checkpoint_panes
from tui.widgets.history_table import HistoryTable
from tui.widgets.state_tree import StateTree
from tui.widgets.state_view import StateView
from tui.widgets.text_tab import TextTab

HISTORY_LIMIT = 1000
"""Checkpoints of one subgraph run read at once (a run longer than that shows its newest)."""


def run_label(run: SubgraphRun) -> str:
    when = "in the step that has not finished" if run.when == "next" else "in this step"
    return f"{run.node} (task {run.task_id[:8]}), {run.checkpoints} checkpoints, {when}"


class _Loaded(Message):
    def __init__(self, thread: ThreadSummary, history: list, namespace: str, complete: bool) -> None:
        super().__init__()
        self.thread, self.history, self.namespace, self.complete = thread, history, namespace, complete


class _DetailLoaded(Message):
    def __init__(
        self, detail: CheckpointDetail, view: StateView, writes: Text, diff: Text, runs: list[SubgraphRun]
    ) -> None:
        super().__init__()
        self.detail, self.view, self.writes, self.diff, self.runs = detail, view, writes, diff, runs


class SubgraphOpener:
    """``o``: open the subgraph runs of the selected step (a mixin of the debugger screen and
    of :class:`SubgraphScreen`). Needs ``reader``, ``subgraph_context()`` and ``notify``."""

    reader: CheckpointSource
    thread: ThreadSummary | None

    def selected(self) -> CheckpointSummary | None:
        return self.query_one(HistoryTable).current_checkpoint  # type: ignore[attr-defined]

    def subgraph_context(self) -> tuple[ThreadSummary, CheckpointSummary, ThreadSummary, str] | None:
        """(the thread shown, the selected checkpoint, the root thread, where it is: for the
        title), or None when nothing is selected. This default is the debugger screen's."""
        checkpoint = self.selected()
        if checkpoint is None or self.thread is None:
            return None
        return self.thread, checkpoint, self.thread, self.thread.thread_id

    def action_open_subgraph(self) -> None:
        context = self.subgraph_context()
        if context is None:
            self.notify("Select a checkpoint first", timeout=3)  # type: ignore[attr-defined]
            return
        self.find_subgraph_runs(*context)

    @work(group="subgraph-find", exclusive=True, exit_on_error=False)
    async def find_subgraph_runs(
        self, thread: ThreadSummary, checkpoint: CheckpointSummary, root: ThreadSummary, where: str
    ) -> None:
        runs = await subgraph_runs(self.reader, checkpoint, unfinished=unfinished_after(thread, checkpoint))
        if not runs:
            self.notify("No subgraph ran in this step (o opens one where a step ran a subgraph)", timeout=4)  # type: ignore[attr-defined]
            return
        self.app.push_screen(  # type: ignore[attr-defined]
            SubgraphScreen(self.reader, root, runs, where=f"{where} step {checkpoint.step}")
        )


class SubgraphScreen(SubgraphOpener, Screen[None]):
    """The history of ``runs[0]`` (or the one chosen), a subgraph run of a step of thread ``root``
    (the thread), at ``depth`` levels below the root graph."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back to the graph that ran this subgraph", id="subgraph.back"),
        Binding("o", "open_subgraph", "Open subgraph", tooltip="Open the subgraph a step in here ran", id="subgraph.open"),
        Binding("s", "show_tab('state')", "State tab", show=False, tooltip="Show the state tab", id="subgraph.state"),
        Binding("d", "show_tab('diff')", "Diff tab", tooltip="Diff against the parent checkpoint", id="subgraph.diff"),
        Binding("w", "show_tab('writes')", "Writes tab", tooltip="Show what each task of this step wrote", id="subgraph.writes"),
        Binding("M", "show_tab('metadata')", "Metadata tab", show=False, tooltip="Show the checkpoint's metadata", id="subgraph.metadata"),
    ]

    def __init__(self, reader: CheckpointSource, root: ThreadSummary, runs: list[SubgraphRun], *, where: str) -> None:
        super().__init__()
        self.reader, self.root_thread, self.runs, self.where = reader, root, runs, where
        self.shown_run = runs[0]
        self.thread: ThreadSummary | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            with Vertical(id="left"):
                with Vertical(id="history-pane", classes="pane"):
                    yield Static(classes="notice", id="subgraph-notice")
                    if len(self.runs) > 1:
                        yield OptionList(*(Option(literal(run_label(r), limit=120)) for r in self.runs), id="subgraph-runs")
                    yield HistoryTable(id="history")
            with Vertical(id="state-pane", classes="pane"):
                yield CheckpointHeader(id="checkpoint-header")
                with TabbedContent(id="detail", initial="state"):
                    yield from checkpoint_panes()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#detail ContentTabs").can_focus = False
        self.query_one(CheckpointHeader).show_nothing()
        self.query_one("#state-pane").border_title = "Subgraph state"
        self.query_one(HistoryTable).focus()
        self._open(self.shown_run)

    def _open(self, run: SubgraphRun) -> None:
        self.shown_run = run
        self.query_one("#history-pane").border_title = literal(f"Subgraph {run.node} · {self.where}", limit=120)
        self.query_one("#subgraph-notice", Static).update(literal(
            f"Run by task {run.task_id[:8]} of {run.node}; namespace {run.namespace}. "
            "Read-only: esc goes back to the step that ran it.", limit=600,
        ))
        self.query_one(HistoryTable).begin()
        self.load_history(run)

    @on(OptionList.OptionSelected, "#subgraph-runs")
    def _run_chosen(self, event: OptionList.OptionSelected) -> None:
        self._open(self.runs[event.option_index])
        self.query_one(HistoryTable).focus()

    @work(group="subgraph-history", exclusive=True, exit_on_error=False)
    async def load_history(self, run: SubgraphRun) -> None:
        history = await self.reader.list_checkpoints(
            self.root_thread.thread_id, checkpoint_ns=run.namespace, limit=HISTORY_LIMIT
        )
        thread = subgraph_thread(self.root_thread, run, history[0] if history else None)
        self.post_message(_Loaded(thread, history, run.namespace, len(history) < HISTORY_LIMIT))

    def on__loaded(self, message: _Loaded) -> None:
        if message.namespace != self.shown_run.namespace:
            return
        self.thread = message.thread
        table = self.query_one(HistoryTable)
        table.begin_thread(message.thread)
        table.add_checkpoints(message.history, complete=message.complete)

    def on_checkpoint_highlighted(self, message: CheckpointHighlighted) -> None:
        message.stop()
        if self.thread is None or message.checkpoint.checkpoint_ns != self.shown_run.namespace:
            return
        self.query_one("#state-pane").border_title = literal(f"Subgraph checkpoint at step {message.checkpoint.step}")
        self.query_one(CheckpointHeader).show_checkpoint(self.thread, message.checkpoint)
        self.load_detail(self.thread, message.checkpoint.checkpoint_id)

    @work(group="subgraph-detail", exclusive=True, exit_on_error=False)
    async def load_detail(self, thread: ThreadSummary, checkpoint_id: str) -> None:
        ns = self.shown_run.namespace
        detail = await self.reader.get_checkpoint(thread.thread_id, checkpoint_id, checkpoint_ns=ns)
        summary = detail.summary
        step_writes = await read_step_writes(self.reader, summary)
        next_writes = []
        unfinished = unfinished_after(thread, summary)
        if unfinished:
            next_writes = await self.reader.get_pending_writes(thread.thread_id, checkpoint_id, checkpoint_ns=ns)
        runs = await subgraph_runs_of(self.reader, summary, step_writes, next_writes if unfinished else None)
        tab = self.query_one("#diff-text", TextTab)
        if summary.parent_checkpoint_id is None:
            diff = Text("The run's first checkpoint: nothing before it to compare with.")
        else:
            before = await self.reader.get_checkpoint(thread.thread_id, summary.parent_checkpoint_id, checkpoint_ns=ns)

            def shown(values: dict) -> dict:
                return {k: v for k, v in values.items() if not is_internal_channel(k)}

            changes = await asyncio.to_thread(diff_states, shown(before.channel_values), shown(detail.channel_values))
            known = {c.checkpoint_id: c for c in self.query_one(HistoryTable).checkpoints}
            found = provenance(detail, [c.channel for c in changes.channels], known)
            diff = diff_text(changes, before.summary, summary, against=("parent", "selected"), provenance=found,
                             raw_writes=step_writes or (), styles=tab.styles_by_role())
        error = thread.error if unfinished_after(thread, summary) and thread.status == "error" else None
        view = StateView(detail, step_writes, next_writes, error=error)
        writes = writes_text(step_writes, summary, self.query_one("#writes-text", TextTab).styles_by_role())
        self.post_message(_DetailLoaded(detail, view, writes, diff, runs))

    def on__detail_loaded(self, message: _DetailLoaded) -> None:
        current = self.query_one(HistoryTable).current_checkpoint
        if current is None or current.checkpoint_id != message.detail.summary.checkpoint_id:
            return
        self.query_one(CheckpointHeader).show_subgraphs(message.detail.summary.checkpoint_id, message.runs)
        self.query_one(StateTree).show_state(message.view)
        self.query_one("#diff-text", TextTab).show(message.diff)
        self.query_one("#writes-text", TextTab).show(message.writes)
        metadata = self.query_one("#metadata-text", TextTab)
        metadata.show(metadata_text(message.detail.summary, metadata.styles_by_role()))

    def action_show_tab(self, tab: str) -> None:
        self.query_one("#detail", TabbedContent).active = tab

    def action_back(self) -> None:
        self.dismiss(None)

    def subgraph_context(self) -> tuple[ThreadSummary, CheckpointSummary, ThreadSummary, str] | None:
        checkpoint = self.selected()
        if checkpoint is None or self.thread is None:
            return None
        return self.thread, checkpoint, self.root_thread, f"{self.where} › {self.shown_run.node}"

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A read that failed (a damaged or locked file) is said, never raised."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.notify(escape_control(f"Cannot read the subgraph: {event.worker.error}"), severity="error",
                        markup=False, timeout=8)
