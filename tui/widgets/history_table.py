"""The history pane: a thread's checkpoints, newest first, one row per super-step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message

from engine.checkpoint.sqlite import CheckpointSummary
from tui.checkpoint_nodes import nodes_that_ran
from tui.messages import CheckpointHighlighted, MoreHistoryWanted
from tui.safe_text import literal
from tui.thread_status import DAMAGED_MARK
from tui.value_format import format_time
from tui.widgets.paged_table import PagedTable


class HistoryTable(PagedTable[CheckpointSummary]):
    """Step, source, the nodes that ran in that super-step, and when it was saved."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "screen.focus_state",
            "State",
            tooltip="Read the state at this checkpoint",
            id="history.open",
        ),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {"history-table--input"}

    thread_id: str = ""
    """The thread whose checkpoints these are (set by the screen with :meth:`begin_thread`)."""

    def begin_thread(self, thread_id: str) -> None:
        self.thread_id = thread_id
        self.begin()

    def columns_spec(self) -> Sequence[tuple[str, int | None]]:
        return [("step", None), ("source", None), ("nodes that ran", None), ("time (UTC)", None)]

    def cells(self, item: CheckpointSummary) -> list[Text]:
        style = (
            self.get_component_rich_style("history-table--input", partial=True)
            if item.source == "input"
            else ""
        )
        return [
            Text(str(item.step), justify="right"),
            literal(f"{DAMAGED_MARK} {item.source}" if item.damage else item.source, limit=12),
            literal(nodes_that_ran(item, none="—"), style=style, limit=40),
            literal(format_time(item.created_at, date=False), limit=12),
        ]

    def highlighted(self, item: CheckpointSummary) -> Message:
        return CheckpointHighlighted(item)

    def more_wanted(self) -> Message:
        return MoreHistoryWanted(self.thread_id, before=self.items[-1].checkpoint_id)
