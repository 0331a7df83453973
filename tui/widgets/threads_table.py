"""The threads pane: one row per thread, most recently updated first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.message import Message

from engine.debug.model import ThreadSummary
from tui.messages import MoreThreadsWanted, ThreadHighlighted
from tui.safe_text import literal
from tui.thread_status import DAMAGED_MARK, STATUS_MARKS, status_label
from tui.value_format import format_time
from tui.widgets.inbox_list import WAITING_MARK
from tui.widgets.paged_table import PagedTable

ID_WIDTH = 28
"""Thread ids longer than this are cut in the table (the history pane's title shows them whole)."""


class ThreadsTable(PagedTable[ThreadSummary]):
    """Threads with their status (first, so a narrow terminal still shows it), checkpoint count,
    latest step and last update."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "screen.focus_history",
            "History",
            tooltip="Step through this thread's checkpoints",
            id="threads.open",
        ),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "threads-table--done",
        "threads-table--error",
        "threads-table--interrupted",
        "threads-table--pending",
    }

    COMPACT_WIDTH: ClassVar[int] = 60
    COMPACT_DROP: ClassVar[tuple[int, ...]] = (2, 3, 4)  # counts and time: the history has them

    def columns_spec(self) -> Sequence[tuple[str, int | None]]:
        return [("status", None), ("thread", None), ("ckpts", None), ("step", None), ("updated (UTC)", 19)]

    waiting: frozenset[str] = frozenset()
    """Threads that wait for input (an ``interrupt()``): their status reads ``✋ input``."""

    def set_waiting(self, thread_ids: frozenset[str]) -> None:
        """Badge the threads in ``thread_ids`` (and take the badge off the others)."""
        changed = self.waiting ^ thread_ids
        self.waiting = thread_ids
        for row, item in enumerate(self.shown):
            if item.thread_id in changed:
                self.update_cell_at(Coordinate(row, 0), self.cells(item)[0], update_width=True)

    def cells(self, item: ThreadSummary) -> list[Text]:
        return [
            self.status_text(
                item.status, damaged=bool(item.damage),
                waiting=item.thread_id in self.waiting and item.status == "interrupted",
            ),
            literal(item.thread_id, limit=ID_WIDTH),
            Text(f"{item.checkpoint_count:,}", justify="right"),
            Text("" if item.latest_step is None else str(item.latest_step), justify="right"),
            literal(format_time(item.updated_at), limit=19),
        ]

    def status_text(self, status: str, *, damaged: bool = False, waiting: bool = False) -> Text:
        component = f"threads-table--{status}"
        style = self.get_component_rich_style(component, partial=True) if status in STATUS_MARKS else ""
        label = literal(f"{WAITING_MARK} input" if waiting else status_label(status), style=style, limit=16)
        return Text.assemble(f"{DAMAGED_MARK} ", label) if damaged else label

    def highlighted(self, item: ThreadSummary) -> Message:
        return ThreadHighlighted(item)

    def more_wanted(self) -> Message:
        last = self.items[-1]
        return MoreThreadsWanted(offset=len(self.items), after=(last.updated_at, last.thread_id))
