"""Human in the loop: the Inbox, answering a waiting thread, breakpoints, new runs, the live view.

A mixin of :class:`~tui.screens.debugger.DebuggerScreen`. The rules (what waits, what an answer
looks like, which graph runs, where breakpoints apply) are the debugger core's
(:mod:`engine.debug.inbox`, :class:`engine.debug.session.DebugSession`); this module reads and
writes through it in workers and shows what came back.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.widgets import TabbedContent

from engine.debug.inbox import (
    WaitingThread,
    answers_for,
    approve_answer,
    asked,
    edit_answer_text,
    reject_answer,
    waiting_threads,
)
from engine.debug.model import CheckpointSummary
from engine.debug.source import file_id
from engine.errors import CheckpointStoreError
from tui.dialogs.answer import NO_ANSWER, AnswerDialog, ConfirmDialog, ReasonDialog
from tui.dialogs.breakpoints import BreakpointDialog
from tui.dialogs.new_run import NewRunDialog
from tui.messages import InboxLoaded
from tui.safe_text import escape_control
from tui.screens.find import DebuggerFind
from tui.widgets.checkpoint_header import CheckpointHeader
from tui.widgets.history_table import HistoryTable
from tui.widgets.inbox_list import WAITING_MARK, InboxList
from tui.widgets.threads_table import ThreadsTable

POLL_SECONDS = 0.5
"""How often the live view asks the database whether another process wrote to it."""


class DebuggerInbox(DebuggerFind):
    """Needs from the screen: ``session``, ``thread``, ``selected()``, ``known()``, the panes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "approve", "Approve", tooltip="Approve what the waiting thread asks, and run on", id="inbox.approve"),
        Binding("x", "reject", "Reject", tooltip="Reject what the waiting thread asks, with a reason, and run on", id="inbox.reject"),
        Binding("E", "edit_answer", "Edit answer", show=False, tooltip="Answer the waiting thread with JSON you edit", id="inbox.edit"),
        Binding("I", "show_tab('inbox')", "Inbox", tooltip="Every thread waiting for input", id="tab.inbox"),
        Binding("b", "breakpoints", "Breakpoints", show=False, tooltip="Set the nodes runs started here pause before", id="graph.breakpoints"),
        Binding("N", "new_run", "New run", show=False, tooltip="Start a new run of an attached graph", id="run.new"),
    ]

    poll_seconds: float | None = POLL_SECONDS
    """The live view's poll interval (None: no live view; most tests turn it off)."""
    inbox: dict[str, WaitingThread] = {}  # noqa: RUF012 - replaced, never mutated in place
    _quiet_reload = False
    _inbox_read = False
    _data_version: Any = None
    pending_thread: str | None = None
    """A thread to select once the next reload lists it (a run just started on it)."""

    # Reading the inbox and watching the file.

    def start_inbox(self) -> None:
        """Read the inbox now, then poll the database for other processes' writes."""
        self.load_inbox()
        if self.poll_seconds is not None:
            self.set_interval(self.poll_seconds, self._poll_tick)

    def _poll_tick(self) -> None:
        if not any(w.group == "poll" and not w.is_finished for w in self.workers):
            self.poll_changes()  # one poll at a time; a slow one is not cancelled by the next

    @work(group="inbox", exclusive=True, exit_on_error=False)
    async def load_inbox(self) -> None:
        self.post_message(InboxLoaded(await waiting_threads(await self._ready())))

    def on_inbox_loaded(self, message: InboxLoaded) -> None:
        before, self.inbox = self.inbox, {w.thread.thread_id: w for w in message.waiting}
        asking = [w for w in message.waiting if w.interrupts]
        self.query_one(InboxList).show(message.waiting)
        self.query_one("#detail", TabbedContent).get_tab("inbox").label = f"Inbox ({len(message.waiting)})"
        self.app.sub_title = f"{WAITING_MARK} {len(asking)} waiting for input (I: inbox)" if asking else ""
        self.query_one(ThreadsTable).set_waiting(frozenset(w.thread.thread_id for w in asking))
        if self._inbox_read:  # announce what is new since the last read, not what was there at start
            for w in asking:
                old = before.get(w.thread.thread_id)
                if old is None or {i.interrupt_id for i in old.interrupts} != {i.interrupt_id for i in w.interrupts}:
                    self.notify(escape_control(f"{w.thread.thread_id}: {asked(w.interrupts)}"), title=f"{WAITING_MARK} Waiting for input",
                                timeout=6, markup=False)
        self._inbox_read = True
        self.show_waiting()

    def show_waiting(self) -> None:
        """The checkpoint header says what the selected thread waits for (at its newest checkpoint)."""
        self.query_one(CheckpointHeader).set_waiting(self.inbox.get(self.thread.thread_id) if self.thread else None)

    @work(group="poll", exit_on_error=False)
    async def poll_changes(self) -> None:
        """Reload (quietly, keeping the selection) when another process wrote to the file."""
        if self.running or self.reader.path is None:
            return  # a run of ours reloads after every step
        if file_id(self.reader.path) != self.reader.file_id:
            self.live_reload()  # deleted and made again: read the new file
            return
        try:
            version = await (await self._ready()).data_version()
        except CheckpointStoreError:
            return  # closed by a reload under way: the next poll asks the new reader
        if version is None:  # a snapshot or immutable open: the file's size and time say instead
            version = _stat_signature(self.reader.path)
        if self._data_version is not None and version != self._data_version:
            self.live_reload()
        self._data_version = version

    def live_reload(self) -> None:
        """Another process wrote: read again quietly, keeping the selection (the file is
        reopened only when it was replaced, or is read as a snapshot)."""
        if any(w.group == "reload" and not w.is_finished for w in self.workers):
            return  # the reload under way reads what was written, or the next poll sees it
        self._quiet_reload = True
        thread_id = self.thread.thread_id if self.thread is not None else None
        threads, history = self.query_one(ThreadsTable), self.query_one(HistoryTable)
        path = self.reader.path
        if self.reader.how != "shared" or path is None or file_id(path) != self.reader.file_id:
            self.reload(len(threads.items), thread_id, len(history.items))  # a new snapshot, or a new file
        else:
            self.live_refresh(list(threads.items), threads.complete, thread_id, len(history.items))

    # Answering.

    def _waiting_here(self) -> tuple[WaitingThread, CheckpointSummary] | None:
        """The selected thread's question and the checkpoint it waits at, or None (said why)."""
        if self.thread is None:
            self.notify("Select a thread that waits for input first (I lists them)", timeout=4)
            return None
        waiting = self.inbox.get(self.thread.thread_id)
        if waiting is None or not waiting.interrupts:
            why = "is paused at a breakpoint: c goes on" if waiting else "does not wait for input"
            self.notify(escape_control(f"{self.thread.thread_id} {why} (I lists the threads that wait)"), timeout=5, markup=False)
            return None
        checkpoint = self.known().get(waiting.thread.latest_checkpoint_id or "")
        if checkpoint is None:
            self.notify("The checkpoint it waits at is not loaded yet: a moment, then again", timeout=4)
            return None
        return (waiting, checkpoint) if self.may_write(checkpoint, "Cannot answer") else None

    def action_approve(self) -> None:
        self._ask(ConfirmDialog, lambda w, yes: answers_for(w, approve_answer()) if yes else NO_ANSWER, "Approved")

    def action_reject(self) -> None:
        self._ask(ReasonDialog, lambda w, reason: NO_ANSWER if reason is NO_ANSWER else answers_for(w, reject_answer(reason)), "Rejected")

    def action_edit_answer(self) -> None:
        self._ask(lambda w: AnswerDialog(w, edit_answer_text(w)), lambda w, answer: answer, "Answered")

    def _ask(self, dialog: Callable[[WaitingThread], Any], to_resume: Callable[[WaitingThread, Any], Any], verb: str) -> None:
        """Open ``dialog`` on the selected waiting thread; resume with what ``to_resume`` makes
        of its result (``NO_ANSWER``: nothing is written)."""
        if (found := self._waiting_here()) is None:
            return
        waiting, checkpoint = found

        def chosen(result: Any) -> None:
            resume = to_resume(waiting, result)
            if resume is not NO_ANSWER:
                self._answer(waiting, checkpoint, resume, verb)

        self.app.push_screen(dialog(waiting), chosen)

    def _answer(self, waiting: WaitingThread, checkpoint: CheckpointSummary, resume: Any, verb: str) -> None:
        what = asked(waiting.interrupts)
        self.notify(escape_control(f"{verb} {what}"), title=verb, timeout=4, markup=False)
        self.begin_run(
            checkpoint.thread_id, f"{verb} {what}: resuming {checkpoint.thread_id} from step {checkpoint.step}…",
            lambda progress: self.session.answer(checkpoint, resume, on_step=progress),
        )

    def action_continue_run(self, steps: int | None = None) -> None:
        waiting = self.inbox.get(self.thread.thread_id) if self.thread is not None else None
        selected = self.selected()
        if waiting is not None and waiting.interrupts and selected is not None \
                and selected.checkpoint_id == waiting.thread.latest_checkpoint_id:
            self.notify("This thread waits for an answer: a approves, x rejects, E edits the answer", timeout=5)
            return
        super().action_continue_run(steps)

    # Breakpoints and new runs.

    def action_breakpoints(self) -> None:
        checkpoint = self.selected()
        graph = self.session.graph_for(checkpoint) if checkpoint is not None else None
        if graph is None and len(self.session.graphs) == 1:
            graph = next(iter(self.session.graphs.values()))
        if graph is None:
            self.notify("Select a thread whose graph is attached (--graph) to set breakpoints", timeout=5)
            return
        key = graph.graph_ref or graph.name
        bound = graph

        def toggle(node: str) -> bool:
            return self.session.toggle_breakpoint(bound, node)

        self.app.push_screen(
            BreakpointDialog(key, list(graph.spec.nodes), self.session.breakpoints.get(key, ()), toggle),
            lambda _: self.refresh_graph(),
        )

    def action_new_run(self) -> None:
        if self.session.read_only:
            self.notify(escape_control(f"This database is open read-only ({self.session.read_only})"), timeout=5, markup=False)
            return
        if not self.session.graphs:
            self.notify("No graph attached: open with --graph module:attr to start runs here", timeout=6)
            return
        if self.running:
            self.notify("A run is going: wait for it to finish", severity="warning", timeout=4)
            return
        taken = [t.thread_id for t in self.query_one(ThreadsTable).items]

        def chosen(choice: tuple[str, str, Any] | None) -> None:
            if choice is None:
                return
            ref, thread_id, value = choice
            graph = self.session.graphs[ref]
            self.pending_thread = thread_id
            self.begin_run(thread_id, f"Starting {graph.name} on {thread_id}…",
                           lambda progress: self.session.start_run(graph, thread_id, value, on_step=progress))

        selected = self.selected()
        graph = self.session.graph_for(selected) if selected is not None else None
        first = (graph.graph_ref or graph.name) if graph is not None else None
        self.app.push_screen(NewRunDialog(self.session.graphs, taken, first=first, breakpoints=self.session.breakpoints), chosen)


def _stat_signature(path: Path) -> tuple[int, ...]:
    """The file's and its ``-wal``'s size and modification time (0s when missing)."""
    out: list[int] = []
    for suffix in ("", "-wal"):
        try:
            stat = Path(f"{path}{suffix}").stat()
        except OSError:
            out += [0, 0]
        else:
            out += [stat.st_size, stat.st_mtime_ns]
    return tuple(out)
