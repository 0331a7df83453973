"""Moving and finding in the debugger: ``[`` / ``]`` along a branch, ``/`` filters the threads
or history rows, ``:`` goes to a step.

A mixin of :class:`~tui.screens.debugger.DebuggerScreen`, on top of its time-travel actions.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import TabbedContent

from engine.debug.lineage import parent_chain
from tui.messages import GoToThreadRequested
from tui.safe_text import escape_control
from tui.screens.actions import DebuggerActions
from tui.widgets.find_bar import FindBar
from tui.widgets.history_table import HistoryTable
from tui.widgets.paged_table import PagedTable
from tui.widgets.state_tree import StateTree
from tui.widgets.text_tab import TextTab
from tui.widgets.threads_table import ThreadsTable


class DebuggerFind(DebuggerActions):
    """Needs from the screen: ``thread``, ``branch_head``, ``notice()`` and the panes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close_find", "Clear filter", show=False, tooltip="Clear the filter of the threads or history", id="table.clear_filter"),
        Binding("slash", "filter", "Filter", tooltip="Filter the rows of the threads or history pane", id="table.filter"),
        Binding(
            "colon", "go_to_step", "Go to step", show=False,
            tooltip="Go to a step number on the selected branch", id="history.go_to_step",
        ),
    ]

    def notice(self, pane: str, text: str | None) -> None:
        raise NotImplementedError

    def _find_bar_for(self) -> tuple[FindBar, PagedTable]:
        if isinstance(self.focused, ThreadsTable) or (
            isinstance(self.focused, FindBar) and self.focused.id == "threads-find"
        ):
            return self.query_one("#threads-find", FindBar), self.query_one(ThreadsTable)
        return self.query_one("#history-find", FindBar), self.query_one(HistoryTable)

    def action_filter(self) -> None:
        bar, table = self._find_bar_for()
        bar.open("filter", table.filter_text)

    def action_go_to_step(self) -> None:
        self.query_one("#history-find", FindBar).open("step")

    def on_input_changed(self, event: FindBar.Changed) -> None:
        if isinstance(event.input, FindBar) and event.input.mode == "filter":
            table = self.query_one(ThreadsTable) if event.input.id == "threads-find" else self.query_one(HistoryTable)
            table.set_filter(event.value)
            pane = "threads-pane" if table is self.query_one(ThreadsTable) else "history-pane"
            shown = f"{len(table.shown):,} of {len(table.items):,} loaded rows match" if event.value.strip() else None
            self.notice(pane, shown)

    def on_input_submitted(self, event: FindBar.Submitted) -> None:
        bar = event.input
        if not isinstance(bar, FindBar):
            return
        table = self.query_one(ThreadsTable) if bar.id == "threads-find" else self.query_one(HistoryTable)
        if bar.mode == "step":
            bar.display = False
            try:
                step = int(event.value.strip())
            except ValueError:
                self.notify(f"{escape_control(event.value)!r} is not a step number", severity="warning", timeout=3, markup=False)
                return
            self.set_focus(table)
            self.go_to_step(step)
            return
        if not bar.value.strip():
            bar.display = False
        self.set_focus(table)

    def action_close_find(self) -> None:
        bar, table = self._find_bar_for()
        if bar.mode == "filter":
            table.set_filter("")
            self.notice("threads-pane" if isinstance(table, ThreadsTable) else "history-pane", None)
        bar.value, bar.display = "", False
        self.set_focus(table)

    def go_to_step(self, step: int, *, loaded: bool = False) -> None:
        """Select the checkpoint of ``step`` on the selected branch (loading the rest of the
        history first if it is not loaded); a step only on another branch is found too."""
        history = self.query_one(HistoryTable)
        checkpoints = history.checkpoints
        head = self.branch_head or (checkpoints[0] if checkpoints else None)
        on_branch = [c for c in parent_chain(checkpoints, head) if c.step == step] if head else []
        anywhere = [c for c in checkpoints if c.step == step]
        target = (on_branch or anywhere or [None])[0]
        if target is not None:
            self._branch_move = target.checkpoint_id if on_branch else None
            history.select_checkpoint(target.checkpoint_id)
        elif not history.complete and not loaded and self.thread is not None and history.items:
            self.load_history(self.thread.thread_id, history.items[-1].checkpoint.checkpoint_id, f"step:{step}")
        else:
            self.notify(f"This thread has no step {step}", severity="warning", timeout=3)

    def action_older(self) -> None:
        """Move to the parent of the selected checkpoint (along its branch, not in time order)."""
        history = self.query_one(HistoryTable)
        current = history.current_checkpoint
        if current is None:
            return
        parent = current.parent_checkpoint_id
        if parent is None:
            self.notify("This is the first checkpoint of the thread", timeout=2)
            return
        self._branch_move = parent
        if not history.select_checkpoint(parent):
            if history.complete:
                self.notify("The parent checkpoint is not in this thread's history", severity="warning", timeout=3)
                return
            self._want_parent = parent  # on a page not loaded yet: select it when it comes
            self.load_history(history.thread_id, history.items[-1].checkpoint.checkpoint_id)

    def action_newer(self) -> None:
        """Move to the child of the selected checkpoint on the branch being followed."""
        history = self.query_one(HistoryTable)
        current = history.current_checkpoint
        if current is None or self.branch_head is None:
            return
        chain = [c.checkpoint_id for c in parent_chain(history.checkpoints, self.branch_head)]
        at = chain.index(current.checkpoint_id) if current.checkpoint_id in chain else 0
        if at == 0:
            self.notify("This is the newest checkpoint of this branch", timeout=2)
            return
        self._branch_move = chain[at - 1]
        history.select_checkpoint(chain[at - 1])

    def on_go_to_thread_requested(self, message: GoToThreadRequested) -> None:
        """Select the thread (a loaded one) and focus its history."""
        if self.query_one(ThreadsTable).select(lambda t: t.thread_id == message.thread_id):
            self.action_focus_history()
            if message.show_state:
                self.action_show_tab("state")
        else:
            self.notify(escape_control(f"{message.thread_id} is not loaded in the threads pane yet: scroll down to it"),
                        timeout=5, markup=False)

    # Focus is set at once (Widget.focus waits for the message queue, so in "2j" typed fast the
    # j would still go to the pane that had focus).

    def action_focus_threads(self) -> None:
        self.set_focus(self.query_one(ThreadsTable))

    def action_focus_history(self) -> None:
        self.set_focus(self.query_one(HistoryTable))

    def action_focus_state(self) -> None:
        tab = self.query_one("#detail", TabbedContent).active
        if tab == "inbox":
            self.set_focus(self.query_one("#inbox-list"))
        else:
            self.set_focus(self.query_one(StateTree) if tab == "state" else self.query_one(f"#{tab}-text", TextTab))
