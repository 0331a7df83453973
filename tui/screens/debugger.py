"""The debugger: threads, the selected thread's history, and the state at the selected checkpoint.

The screen owns the layout and every database read (its workers are in :mod:`tui.screens.reads`).
Panes post what the user did (a thread or checkpoint highlighted, more rows wanted, a value to
view); the screen answers by starting a worker, one exclusive group per pane, so a burst of key
presses leaves only the last read running. Workers post ``*Loaded`` messages back, and the screen
hands the data to the panes.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from engine.debug.lineage import head_of
from engine.debug.lint_view import channel_notes, predicted_by
from engine.debug.model import CheckpointSummary, ThreadSummary
from engine.debug.session import DebugSession
from engine.debug.source import CheckpointSource
from engine.debug.status import failed_after
from tui.commands import ThreadCommands
from tui.detail_text import metadata_text, writes_text
from tui.dialogs.answer import AnswerDialog, ConfirmDialog, ReasonDialog
from tui.dialogs.breakpoints import BreakpointDialog
from tui.dialogs.edit_state import EditStateDialog
from tui.dialogs.new_run import NewRunDialog
from tui.dialogs.value_viewer import ValueViewer
from tui.guard import Guarded
from tui.keys import bindings_of
from tui.messages import (
    CheckpointHighlighted,
    CheckpointLoaded,
    HistoryLoaded,
    MoreHistoryWanted,
    MoreThreadsWanted,
    Reloaded,
    RestOfHistoryWanted,
    ThreadHighlighted,
    ThreadsLoaded,
    ValueRequested,
)
from tui.safe_text import escape_control, literal
from tui.screens.debugger_text import NO_THREADS, STATE_KEYS, describe_reload
from tui.screens.reads import READS
from tui.screens.store_tab import DebuggerStore
from tui.screens.subgraph import SubgraphOpener, SubgraphScreen
from tui.thread_status import describe_error
from tui.widgets.checkpoint_header import CheckpointHeader
from tui.widgets.detail_tabs import checkpoint_panes
from tui.widgets.find_bar import FindBar
from tui.widgets.history_table import HistoryTable
from tui.widgets.inbox_list import InboxList
from tui.widgets.state_tree import StateTree
from tui.widgets.state_view import StateView
from tui.widgets.store_view import NamespaceTree, StoreItemsTable, StoreView
from tui.widgets.text_tab import TextTab
from tui.widgets.threads_table import ThreadsTable


class DebuggerScreen(Guarded, SubgraphOpener, DebuggerStore):
    """Three panes: threads (top left), history (bottom left), and the selected checkpoint
    (right: State, Diff, Writes, Metadata, Graph, Inbox and Store tabs)."""

    COMMANDS: ClassVar[set[type[Provider]]] = {ThreadCommands}
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (120, "-wide")]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-short"), (36, "-tall")]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "left_square_bracket",
            "older",
            "Parent",
            tooltip="The parent checkpoint (older, along this branch)",
            id="checkpoint.older",
        ),
        Binding(
            "right_square_bracket",
            "newer",
            "Child",
            tooltip="The child checkpoint on this branch (newer)",
            show=False,  # "[ Parent  ] Child" in the footer reads as a bracketed "[ Parent ]"
            id="checkpoint.newer",
        ),
        Binding(
            "r",
            "reload",
            "Reload",
            tooltip="Read the database again (new threads, new checkpoints)",
            id="debugger.reload",
        ),
        Binding(
            "i",
            "toggle_internal",
            "Internal",
            tooltip="Show or hide internal channels (__start__, branch:to:*, join:*)",
            id="state.internal",
        ),
        Binding(
            "tab", "app.focus_next", "Next pane", tooltip="Focus the next pane", show=False, id="pane.next"
        ),
        Binding(
            "shift+tab",
            "app.focus_previous",
            "Previous pane",
            tooltip="Focus the previous pane",
            show=False,
            id="pane.previous",
        ),
        Binding(
            "1", "focus_threads", "Threads", tooltip="Focus the threads pane", show=False, id="pane.threads"
        ),
        Binding(
            "2", "focus_history", "History", tooltip="Focus the history pane", show=False, id="pane.history"
        ),
        Binding("3", "focus_state", "State", tooltip="Focus the state pane", show=False, id="pane.state"),
        Binding("o", "open_subgraph", "Subgraph", show=False, tooltip="Open the subgraph this step ran: its own history", id="checkpoint.subgraph"),
    ]

    @classmethod
    def help_sections(cls) -> list[tuple[str, list[Binding]]]:
        """What ``?`` lists after the app's bindings: this screen's, its panes', the value viewer's."""
        parts = [("debugger", cls), ("threads pane", ThreadsTable), ("history pane", HistoryTable)]
        parts += [("state pane", StateTree), ("detail tabs", TextTab), ("value viewer", ValueViewer)]
        parts += [("state editor", EditStateDialog), ("inbox", InboxList), ("approve", ConfirmDialog)]
        parts += [("reject", ReasonDialog), ("store namespaces", NamespaceTree), ("store items", StoreItemsTable)]
        parts += [("answer editor", AnswerDialog), ("new run", NewRunDialog), ("breakpoints", BreakpointDialog)]
        parts += [("subgraph", SubgraphScreen)]
        return [(where, bindings_of(part)) for where, part in parts]

    def __init__(self, reader: CheckpointSource, session: DebugSession | None = None) -> None:
        super().__init__(reader)
        self.session = session or DebugSession(reader.path or "", read_only="no file")
        self.thread: ThreadSummary | None = None
        self.checkpoint_id: str | None = None
        """The checkpoint the state pane shows or is loading."""
        self.branch_head: CheckpointSummary | None = None
        """The head of the branch ``[`` and ``]`` move along."""
        self._branch_move: str | None = None
        self._want_parent: str | None = None
        self._reload_again = False
        self._quiet_reload = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            with Vertical(id="left"):
                with Vertical(id="threads-pane", classes="pane"):
                    yield Static(classes="notice")
                    yield FindBar(id="threads-find")
                    yield ThreadsTable(id="threads")
                with Vertical(id="history-pane", classes="pane"):
                    yield Static(classes="notice")
                    yield FindBar(id="history-find")
                    yield HistoryTable(id="history")
                    yield Static(id="run-log")
            with Vertical(id="state-pane", classes="pane"):
                yield CheckpointHeader(id="checkpoint-header")
                yield Static(classes="notice")
                with TabbedContent(id="detail", initial="state"):
                    yield from checkpoint_panes()
                    yield TabPane("Graph", TextTab(id="graph-text"), id="graph")
                    yield TabPane("Inbox", InboxList(id="inbox-list"), id="inbox")
                    yield TabPane("Store", StoreView(id="store-view"), id="store")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#threads-pane").border_title = "Threads"
        self.query_one("#history-pane").border_title = "History"
        self.query_one("#state-pane").border_title = "State"
        self.query_one("#state-pane").border_subtitle = STATE_KEYS
        self.notice("threads-pane", "Loading threads…")
        self.notice("history-pane", "Select a thread to see its checkpoints.")
        self.notice("state-pane", "Select a checkpoint to see its state.")
        self.query_one(CheckpointHeader).show_nothing()
        self.query_one(ThreadsTable).begin()
        self.query_one(HistoryTable).begin()
        self.query_one(ThreadsTable).focus()
        self.query_one("#run-log", Static).display = False
        # Tabs switch with s / d / w / M; tab (the key) moves between panes, not onto the tab bar.
        self.query_one("#detail ContentTabs").can_focus = False
        self.load_threads(0)
        self.start_inbox()

    def notice(self, pane: str, text: str | None) -> None:
        """Show ``text`` at the top of ``pane`` (None hides it)."""
        widget = self.query_one(f"#{pane} > .notice", Static)
        widget.update(literal(text or "", keep_newlines=True))
        widget.display = bool(text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a failed read becomes an error the user sees (never a traceback)."""
        if event.state != WorkerState.ERROR:
            return
        if event.worker.group == "run":
            self.running = False
        error = event.worker.error
        message = "unknown error" if error is None else str(error) or type(error).__name__
        if error is not None:
            self.app.failures.append(error)
        title = f"Could not read {READS.get(event.worker.group, 'data')}"
        self.notify(escape_control(message), title=title, severity="error", markup=False, timeout=10)
        if event.worker.group == "state":
            self.notice("state-pane", f"Could not read this checkpoint: {message}")

    # Results coming back from the workers.

    def on_threads_loaded(self, message: ThreadsLoaded) -> None:
        table = self.query_one(ThreadsTable)
        if message.offset != len(table.items):
            return  # a page read before a reload
        table.add_page(message.threads, complete=message.complete)
        self._threads_shown()

    def _threads_shown(self) -> None:
        table = self.query_one(ThreadsTable)
        self.notice("threads-pane", NO_THREADS if not table.items else None)
        count = f"{len(table.items):,}" + ("" if table.complete else "+")
        self.query_one("#threads-pane").border_title = f"Threads ({count})"
        if not table.items:
            self.notice("history-pane", "No thread to show.")

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        table = self.query_one(HistoryTable)
        if self.thread is None or message.thread_id != self.thread.thread_id:
            return  # the user moved on to another thread
        if message.before != (table.items[-1].checkpoint.checkpoint_id if table.items else None):
            return  # a page read before a reload
        table.add_checkpoints(message.checkpoints, complete=message.complete)
        self._history_shown()
        if message.jump == "oldest":
            table.move_cursor(row=max(0, table.row_count - 1))
        elif message.jump is not None:
            self.go_to_step(int(message.jump.removeprefix("step:")), loaded=True)
        if self._want_parent is not None and table.select_checkpoint(self._want_parent):
            self._branch_move, self._want_parent = self._want_parent, None

    def _history_shown(self) -> None:
        if self.query_one(HistoryTable).items or self.thread is None:
            self.notice("history-pane", None)
            return
        text = "This thread has no checkpoints."
        if self.thread.error:
            kind, message_text, where = describe_error(self.thread.error)
            text += f" It failed before its first one{where}: {kind}: {message_text}"
        self.notice("history-pane", text)
        self.notice("state-pane", "No checkpoint to show: this thread has none.")

    def on_checkpoint_loaded(self, message: CheckpointLoaded) -> None:
        summary = message.detail.summary
        if summary.checkpoint_id != self.checkpoint_id:
            return
        self.notice("state-pane", None)
        self.query_one(CheckpointHeader).show_subgraphs(summary.checkpoint_id, message.subgraphs)
        error = message.thread.error if failed_after(message.thread, summary) else None
        view = StateView(message.detail, message.step_writes, message.next_writes, error=error,
                         findings=channel_notes(message.findings))
        self.query_one(CheckpointHeader).show_predicted(summary.checkpoint_id, predicted_by(message.findings, error))
        self.query_one(StateTree).show_state(view)
        writes = self.query_one("#writes-text", TextTab)
        writes.show(writes_text(message.step_writes, summary, writes.styles_by_role()))
        metadata = self.query_one("#metadata-text", TextTab)
        metadata.show(metadata_text(summary, metadata.styles_by_role()))
        self.refresh_graph()

    def on_reloaded(self, message: Reloaded) -> None:
        threads = self.query_one(ThreadsTable)
        summary = describe_reload(threads.items, message.threads, replaced=message.replaced)
        selected = self.thread.thread_id if self.thread is not None else None
        if self.pending_thread is not None and any(t.thread_id == self.pending_thread for t in message.threads):
            selected, self.pending_thread = self.pending_thread, None  # a run just started there
            self.call_later(self.select_after_reload, None)  # once it is shown: its newest rows
        self.load_inbox()
        threads.replace(
            message.threads, complete=message.threads_complete, keep=lambda t: t.thread_id == selected
        )
        self._threads_shown()
        fresh = next((t for t in message.threads if t.thread_id == selected), None)
        # With a newer read already asked for (a run saving step after step), this one's history
        # may lack the checkpoint to select: leave the history to that read.
        if fresh is not None and message.thread_id == selected and not self._reload_again:
            self.thread = fresh  # its status or latest checkpoint may have changed
            history = self.query_one(HistoryTable)
            history.thread = fresh
            history.replace_checkpoints(
                message.checkpoints,
                complete=message.history_complete,
                keep=lambda c: c.checkpoint_id == self.checkpoint_id,
            )
            self._history_shown()
            if history.current_checkpoint is not None:
                self._show_checkpoint(history.current_checkpoint)
        if self._reload_again:
            self._reload_again = False
            self.action_reload()
        elif self._quiet_reload:
            self._quiet_reload = False  # after the debugger's own write, or a live update
        else:
            self.notify(summary, title="Reloaded", timeout=4)

    # Requests from the panes.

    def on_thread_highlighted(self, message: ThreadHighlighted) -> None:
        if self.thread is not None and self.thread.thread_id == message.thread.thread_id:
            return
        self.thread = message.thread
        self.checkpoint_id = None
        self.branch_head = None
        history = self.query_one(HistoryTable)
        history.begin_thread(message.thread)
        if not self.running:
            self.query_one("#run-log", Static).display = False  # it was about another thread
        self.show_mark()
        title = literal(f"History of {message.thread.thread_id}")
        self.query_one("#history-pane").border_title = title
        self.notice("history-pane", "Loading checkpoints…")
        self.notice("state-pane", "Select a checkpoint to see its state.")
        self.query_one(CheckpointHeader).show_nothing()
        self.query_one(StateTree).show_state(None)
        self.load_history(message.thread.thread_id, None)

    def on_checkpoint_highlighted(self, message: CheckpointHighlighted) -> None:
        if self.thread is None or message.checkpoint.thread_id != self.thread.thread_id:
            return  # a row of the thread shown before (its message arrived after the switch)
        if self._branch_move != message.checkpoint.checkpoint_id or self.branch_head is None:
            self.branch_head = head_of(self.query_one(HistoryTable).checkpoints, message.checkpoint)
        self._branch_move = None
        if message.checkpoint.checkpoint_id != self.checkpoint_id:
            self._show_checkpoint(message.checkpoint)

    def _show_checkpoint(self, checkpoint: CheckpointSummary) -> None:
        assert self.thread is not None
        self.checkpoint_id = checkpoint.checkpoint_id
        self.query_one("#state-pane").border_title = literal(f"Checkpoint at step {checkpoint.step}")
        header = self.query_one(CheckpointHeader)
        header.waiting = self.inbox.get(self.thread.thread_id)
        header.show_checkpoint(self.thread, checkpoint)
        self.load_checkpoint(self.thread, checkpoint.checkpoint_id)
        self.refresh_diff()

    def on_rest_of_history_wanted(self, message: RestOfHistoryWanted) -> None:
        history = self.query_one(HistoryTable)
        if self.thread is not None and message.thread_id == self.thread.thread_id and history.items:
            self.load_history(message.thread_id, history.items[-1].checkpoint.checkpoint_id, message.jump)

    def on_more_threads_wanted(self, message: MoreThreadsWanted) -> None:
        self.load_threads(message.offset, message.after)

    def on_more_history_wanted(self, message: MoreHistoryWanted) -> None:
        if self.thread is not None and message.thread_id == self.thread.thread_id:
            self.load_history(message.thread_id, message.before)

    @on(ValueRequested)
    def show_value(self, message: ValueRequested) -> None:
        self.app.push_screen(ValueViewer(message.path, message.value))

    # Actions.

    # What the actions mixin asks of the screen.

    def selected(self) -> CheckpointSummary | None:
        return self.query_one(HistoryTable).current_checkpoint

    def known(self) -> dict[str, CheckpointSummary]:
        known = {c.checkpoint_id: c for c in self.query_one(HistoryTable).checkpoints}
        if self.marked is not None:
            known.setdefault(self.marked.checkpoint_id, self.marked)
        return known

    def select_after_reload(self, checkpoint_id: str | None) -> None:
        """Read the database again (a write action added checkpoints), then select ``checkpoint_id``."""
        if checkpoint_id is not None:
            self.checkpoint_id = checkpoint_id
            self._branch_move = None
        self._quiet_reload = True
        self.action_reload()

    def action_reload(self) -> None:
        if any(w.group == "reload" and w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in self.workers):
            self._reload_again = True  # a reload closes and reopens the file: never cancel one halfway
            return
        self.workers.cancel_group(self, "threads")  # pages of the old lists would land in the new
        self.workers.cancel_group(self, "history")
        thread_id = self.thread.thread_id if self.thread is not None else None
        threads, history = self.query_one(ThreadsTable), self.query_one(HistoryTable)
        self.reload(len(threads.items), thread_id, len(history.items))

    def action_toggle_internal(self) -> None:
        tree = self.query_one(StateTree)
        tree.show_internal = not tree.show_internal
        shown = "shown" if tree.show_internal else "hidden"
        self.notify(f"Internal channels {shown}", timeout=2)
        self.refresh_diff()
