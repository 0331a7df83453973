"""The Inbox tab: every thread waiting for a person, with what it asks; enter opens the thread."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from engine.debug.inbox import WaitingThread, payload_summary
from tui.messages import GoToThreadRequested
from tui.safe_text import literal

WAITING_MARK = "✋"
"""The badge of a thread waiting for input (a breakpoint pause keeps the ⏸ of its status)."""

EMPTY = "No thread is waiting for input. A run that calls interrupt() or stops at a breakpoint shows up here."


class InboxList(OptionList):
    """One entry per waiting thread: its id and step, then each interrupt's question."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Open", tooltip="Open this thread at the checkpoint that waits", id="inbox.open"),
        Binding("j", "cursor_down", "Down", show=False, tooltip="The next waiting thread", id="inbox.down"),
        Binding("k", "cursor_up", "Up", show=False, tooltip="The previous waiting thread", id="inbox.up"),
    ]

    waiting: list[WaitingThread] = []  # noqa: RUF012 - replaced, never mutated in place

    def show(self, waiting: list[WaitingThread]) -> None:
        """Show ``waiting``, keeping the highlighted thread where it still waits."""
        before = self.waiting[self.highlighted].thread.thread_id if self.highlighted is not None and self.waiting else None
        self.waiting = list(waiting)
        self.clear_options()
        if not waiting:
            self.add_option(Option(Text(EMPTY, style="italic"), disabled=True))
            return
        self.add_options(Option(self._prompt(w), id=str(i)) for i, w in enumerate(waiting))
        ids = [w.thread.thread_id for w in waiting]
        self.highlighted = ids.index(before) if before in ids else 0

    @staticmethod
    def _prompt(waiting: WaitingThread) -> Text:
        thread = waiting.thread
        text = Text.assemble(
            f"{WAITING_MARK if waiting.interrupts else '⏸'} ", literal(thread.thread_id, style="bold", limit=80),
            f"  step {thread.latest_step}",
        )
        if not waiting.interrupts:
            text.append("\n   paused at a breakpoint or after a single step: c goes on", style="italic")
        for item in waiting.interrupts:
            what, why = payload_summary(item.value)
            text.append("\n   ")
            text.append_text(literal(f"{item.node}: {what}", limit=300))
            if why:
                text.append("\n   ")
                text.append_text(literal(why, style="italic", limit=300))
        return text

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(GoToThreadRequested(self.waiting[int(event.option.id)].thread.thread_id, show_state=True))
