"""The debugger's time-travel actions: mark, the detail tabs, edit, replay and continue.

A mixin of :class:`~tui.screens.debugger.DebuggerScreen`. Every rule (what an edit writes, what
a replay does, which graph runs a thread) is the debugger core's
(:class:`engine.debug.session.DebugSession`); this module asks it, runs its writes in workers,
and shows what came back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.widgets import Static, TabbedContent

from engine.debug.edit import EditError
from engine.debug.graph_view import render_text
from engine.debug.inbox import asked
from engine.debug.lineage import children_of
from engine.debug.model import CheckpointSummary
from engine.debug.session import DebugSession
from engine.debug.status import failed_after
from engine.errors import EngineError
from tui.dialogs.edit_state import EditStateDialog
from tui.graph_text import rich_lines
from tui.lint_text import lint_lines
from tui.lint_text import summary as lint_summary
from tui.messages import (
    ChannelNoteShown,
    DiffLoaded,
    EditSaved,
    RunFinished,
    RunProgress,
)
from tui.safe_text import escape_control, literal
from tui.screens.debugger_text import STATE_KEYS
from tui.screens.reads import DebuggerReads
from tui.widgets.history_table import HistoryTable
from tui.widgets.state_tree import FINDING_MARK, StateTree
from tui.widgets.text_tab import TextTab

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from engine.debug.session import RunResult
    from engine.pregel.runtime import StepCommitted



class DebuggerActions(DebuggerReads):
    """Needs from the screen: ``session``, ``thread``, ``selected()`` and ``known()``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "mark", "Mark", tooltip="Mark this checkpoint: the Diff tab compares with it", id="checkpoint.mark"),
        Binding("e", "edit", "Edit", tooltip="Edit the state here and save it as a fork", id="checkpoint.edit"),
        Binding("R", "replay", "Replay", tooltip="Run the graph again from this checkpoint (a new branch); resume a failed step", id="checkpoint.replay"),
        Binding("c", "continue_run", "Continue", tooltip="Run on from this checkpoint (an edit, or where a run stopped)", id="checkpoint.continue"),
        Binding("n", "step_run", "Step", tooltip="Run one super-step from this checkpoint, then show its diff", id="checkpoint.step"),
        Binding("s", "show_tab('state')", "State tab", show=False, tooltip="Show the state tab", id="tab.state"),
        Binding("d", "show_tab('diff')", "Diff tab", tooltip="Diff against the parent, or the marked checkpoint", id="tab.diff"),
        Binding("w", "show_tab('writes')", "Writes tab", show=False, tooltip="Show what each task of this step wrote", id="tab.writes"),
        Binding("M", "show_tab('metadata')", "Metadata tab", show=False, tooltip="Show the checkpoint's metadata", id="tab.metadata"),
        Binding("V", "show_tab('graph')", "Graph tab", show=False, tooltip="Show the graph: what ran here, what runs next", id="tab.graph"),
        Binding("L", "lint", "Lint", show=False, tooltip="Lint the attached graph: the state fields parallel nodes can break (Graph tab)", id="graph.lint"),
    ]

    session: DebugSession
    marked: CheckpointSummary | None = None
    running: bool = False
    stepping: bool = False
    _diff_for: tuple[str, str] | None = None
    _run_lines: list[str] = []  # noqa: RUF012 - replaced, never mutated in place

    # What the screen provides.

    def selected(self) -> CheckpointSummary | None:
        raise NotImplementedError

    def known(self) -> dict[str, CheckpointSummary]:
        raise NotImplementedError

    def select_after_reload(self, checkpoint_id: str | None) -> None:
        raise NotImplementedError

    # Mark and the detail tabs.

    def action_mark(self) -> None:
        checkpoint = self.selected()
        if checkpoint is None:
            return
        if self.marked is not None and self.marked.checkpoint_id == checkpoint.checkpoint_id:
            self.marked = None
            self.notify("Mark cleared: the Diff tab compares with the parent", timeout=3)
        else:
            self.marked = checkpoint
            self.notify(
                escape_control(f"Marked step {checkpoint.step}: select another checkpoint, then d"),
                title="Marked", timeout=2, markup=False,
            )
        self.query_one(HistoryTable).set_marked(self.marked.checkpoint_id if self.marked else None)
        self.show_mark()
        self.refresh_diff()

    def action_lint(self) -> None:
        """Show the lint's findings on the selected thread's graph (in the Graph tab)."""
        checkpoint = self.selected()
        findings = self.session.findings_for(checkpoint) if checkpoint is not None else None
        if findings is None:
            why = self.session.why_not(checkpoint) if checkpoint is not None else None
            self.notify(escape_control(why or "Select a checkpoint of a thread whose graph is attached"), title="Lint",
                        markup=False, timeout=6)
            return
        self.action_show_tab("graph")
        self.notify(lint_summary(findings) + ": listed above the graph", title="Lint", timeout=4)

    def on_channel_note_shown(self, message: ChannelNoteShown) -> None:
        """The lint's note on the channel under the state tree's cursor, in the pane's subtitle."""
        if message.note is None:
            self.show_mark()
        else:
            self.query_one("#state-pane").border_subtitle = literal(f"{FINDING_MARK} {message.note}", limit=300)

    def show_mark(self) -> None:
        """The state pane's subtitle says what is marked (the Diff tab compares with it)."""
        pane = self.query_one("#state-pane")
        if self.marked is None:
            pane.border_subtitle = STATE_KEYS
        else:
            where = f" of {self.marked.thread_id}" if self.marked.thread_id != getattr(self.thread, "thread_id", None) else ""
            pane.border_subtitle = literal(f"★ marked: step {self.marked.step}{where} (m on it clears)")

    def action_show_tab(self, tab: str) -> None:
        self.query_one("#detail", TabbedContent).active = tab
        self.refresh_diff()
        self.refresh_graph()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_diff()
        self.refresh_graph()

    def refresh_graph(self) -> None:
        """Draw the attached graph with the selected step's nodes highlighted (Graph tab)."""
        if self.query_one("#detail", TabbedContent).active != "graph":
            return
        tab, checkpoint = self.query_one("#graph-text", TextTab), self.selected()
        if checkpoint is None:
            tab.show("Select a checkpoint to see its graph.")
            return
        graph = self.session.graph_for(checkpoint)
        if graph is None:
            tab.show(literal(self.session.why_not(checkpoint) or "No graph attached for this thread."))
            return
        ran = () if checkpoint.source in ("input", "fork") else tuple(checkpoint.writes)
        drawn = render_text(
            graph.spec, ran=ran, next_=checkpoint.next, width=max(40, tab.size.width - 2),
            breakpoints=self.session.breakpoints.get(graph.graph_ref or graph.name, ()),
        )
        text = Text("\n").join(rich_lines(drawn))
        findings = self.session.findings_for(checkpoint) or []
        tab.show(Text("\n").join([*lint_lines(findings, tab.styles_by_role()), Text(""), text]))  # findings first: L shows them

    def refresh_diff(self) -> None:
        """Compute the Diff tab for the selected checkpoint, if it is the tab shown."""
        if self.query_one("#detail", TabbedContent).active != "diff":
            return
        after, tab = self.selected(), self.query_one("#diff-text", TextTab)
        if after is None:
            tab.show("Select a checkpoint to compare.")
            return
        known = self.known()
        if self.marked is not None and self.marked.checkpoint_id != after.checkpoint_id:
            # Older to newer, whichever is marked (ids are time-ordered).
            if self.marked.checkpoint_id < after.checkpoint_id:
                before, against = self.marked, ("marked", "selected")
            else:
                before, after, against = after, self.marked, ("selected", "marked")
        else:
            before, against = known.get(after.parent_checkpoint_id or ""), ("parent", "selected")
        if before is None:
            what = "first checkpoint of its thread" if after.parent_checkpoint_id is None else "child of a checkpoint not loaded yet"
            tab.show(f"Nothing to compare with: this is the {what}. Mark another checkpoint with m, then come back.")
            return
        tab.show("Comparing…")
        self._diff_for = (before.checkpoint_id, after.checkpoint_id)
        internal = self.query_one(StateTree).show_internal
        self.load_diff(before, after, against, known, tab.styles_by_role(), internal)

    def on_diff_loaded(self, message: DiffLoaded) -> None:
        if self._diff_for == (message.before_id, message.after_id):  # not a diff asked for before
            self.query_one("#diff-text", TextTab).show(message.text)

    # Write actions.

    def _writable(self) -> CheckpointSummary | None:
        checkpoint = self.selected()
        if checkpoint is None:
            self.notify("Select a checkpoint first", timeout=3)
            return None
        return checkpoint if self.may_write(checkpoint, "Write actions are off") else None

    def may_write(self, checkpoint: CheckpointSummary, title: str) -> bool:
        """Whether a write action can start at ``checkpoint`` now; if not, says why."""
        reason = self.session.why_not(checkpoint)
        if reason is not None:
            self.notify(escape_control(reason), title=title, severity="warning", timeout=8, markup=False)
            return False
        if self.running:
            self.notify("A run is going: wait for it to finish", severity="warning", timeout=4)
            return False
        return True

    def action_edit(self) -> None:
        checkpoint = self._writable()
        if checkpoint is not None:
            self.begin_edit(checkpoint)

    @work(group="edit", exclusive=True, exit_on_error=False)
    async def begin_edit(self, checkpoint: CheckpointSummary) -> None:
        try:
            start = await self.session.start_edit(checkpoint)
        except (EditError, EngineError) as exc:
            self.notify(escape_control(str(exc)), title="Cannot edit", severity="error", timeout=10, markup=False)
            return

        def saved(checkpoint_id: str | None) -> None:
            if checkpoint_id is not None:
                self.post_message(EditSaved(checkpoint.thread_id, checkpoint_id))

        self.app.push_screen(EditStateDialog(self.session, checkpoint, start), saved)

    def on_edit_saved(self, message: EditSaved) -> None:
        self.notify("Saved as a new checkpoint (a fork); c runs on from it", title="Edit saved", timeout=5)
        self.select_after_reload(message.checkpoint_id)

    def action_replay(self) -> None:
        checkpoint = self._writable()
        if checkpoint is None:
            return
        if self.thread is not None and failed_after(self.thread, checkpoint):
            # A replay would run the finished tasks again; a failed step is resumed instead.
            self._start_run(checkpoint, resume=None, verb="Resuming")
        else:
            self._start_run(checkpoint, resume=False, verb="Replaying")

    def action_step_run(self) -> None:
        self.action_continue_run(steps=1)

    def action_continue_run(self, steps: int | None = None) -> None:
        checkpoint = self._writable()
        if checkpoint is None:
            return
        if not checkpoint.next:
            self.notify(
                "Nothing to continue: the run ended here. To run it again, select an earlier "
                "checkpoint and press R (R here only copies it, as LangGraph's replay of a final "
                "checkpoint does).", timeout=6,
            )
            return
        if children_of(self.known().values()).get(checkpoint.checkpoint_id):
            self.notify(
                "This checkpoint has already run on (the next row up on its branch); c continues a "
                "branch's newest checkpoint. R replays from here as a new branch.", timeout=6,
            )
            return
        self._start_run(checkpoint, resume=None, verb="Stepping" if steps else "Continuing", steps=steps)

    def _start_run(
        self, checkpoint: CheckpointSummary, *, resume: bool | None, verb: str, steps: int | None = None
    ) -> None:
        """``resume`` None: continue (the core decides resume or replay); False: replay."""
        def call(progress: Callable[[StepCommitted], None]) -> Awaitable[RunResult]:
            if resume is None:
                return self.session.continue_from(checkpoint, on_step=progress, steps=steps)
            return self.session.run_from(checkpoint, resume=resume, on_step=progress)

        self.begin_run(checkpoint.thread_id, f"{verb} {checkpoint.thread_id} from step {checkpoint.step}…", call,
                       stepping=steps is not None)

    def begin_run(
        self, thread_id: str, line: str, call: Callable[[Callable[[StepCommitted], None]], Awaitable[RunResult]],
        *, stepping: bool = False,
    ) -> None:
        """Start a run of the core (``call(progress)``) in a worker; the run log follows it."""
        self.running = True
        self.stepping = stepping
        self.run_log([line], reset=True)
        self.run_graph(thread_id, call)

    @work(group="run", exclusive=True, exit_on_error=False)
    async def run_graph(
        self, thread_id: str, call: Callable[[Callable[[StepCommitted], None]], Awaitable[RunResult]]
    ) -> None:
        def progress(committed: StepCommitted) -> None:
            nodes = ", ".join(t.name for t in committed.tasks) or committed.source
            after = f" → next {', '.join(committed.next)}" if committed.next else " → done"
            checkpoint_id = committed.config["configurable"]["checkpoint_id"] if committed.config else None
            self.post_message(RunProgress(thread_id, checkpoint_id, f"step {committed.step} {committed.source}: {nodes}{after}"))

        try:
            result = await call(progress)
        except Exception as exc:  # noqa: BLE001 - shown in the run log, never a dead worker
            self.post_message(RunFinished(thread_id, None, 0, exc))
            return
        last = result.last["configurable"]["checkpoint_id"] if result.last else None
        self.post_message(RunFinished(thread_id, last, result.checkpoints, result.error, result.interrupts, result.next))

    def on_run_progress(self, message: RunProgress) -> None:
        self.run_log([message.line])
        self.select_after_reload(self._on_shown_thread(message.thread_id, message.checkpoint_id))

    def _on_shown_thread(self, thread_id: str, checkpoint_id: str | None) -> str | None:
        """``checkpoint_id`` to select if it is of the thread shown (a new run's thread is not
        shown until a reload lists it: its newest checkpoint is selected then)."""
        return checkpoint_id if getattr(self.thread, "thread_id", None) == thread_id else None

    def on_run_finished(self, message: RunFinished) -> None:
        self.running = False
        if message.error is not None:
            error = f"{type(message.error).__name__}: {message.error}"
            self.run_log([f"✖ failed: {error}"])
            self.notify(escape_control(error), title="The run failed", severity="error", timeout=10, markup=False)
        elif message.interrupts:
            self.run_log([f"✋ waiting for input: {asked(message.interrupts)} (a approve · x reject · E edit)"])
        elif message.next and not self.stepping:
            self.run_log([f"⏸ paused before {', '.join(message.next)} (c goes on)"])
        else:
            done = f"✔ finished: {message.checkpoints} new checkpoint{'s' * (message.checkpoints != 1)}"
            self.run_log([done])
            self.notify(done, title="Run finished", timeout=3)
        self.select_after_reload(self._on_shown_thread(message.thread_id, message.last))
        if self.stepping and message.error is None and not message.interrupts:
            self.action_show_tab("diff")  # what the step did (one that asked made no checkpoint)

    def run_log(self, lines: list[str], *, reset: bool = False) -> None:
        """Add ``lines`` to the run log under the history (it keeps the last few)."""
        log = self.query_one("#run-log", Static)
        # The newest few, in the lines a small terminal has.
        self._run_lines = (([] if reset else self._run_lines) + lines)[-3:]
        log.update(literal("\n".join(self._run_lines), keep_newlines=True))
        log.display = True
