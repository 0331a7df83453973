"""The history pane: a thread's checkpoints, newest first, drawn as a branch tree.

One row per checkpoint (step, source, the nodes that ran, time), with the branch graph on the
left like ``git log --graph``: ◉ the thread's head, ◆ a fork point, ╯ where a branch started.
The "took" column is the step's duration (⟳ n: n attempts failed and were retried). After the
nodes, ⧉: the step ran a subgraph (``o`` opens it); ⚠: the step has warnings, e.g. a returned
key that is not in the state.
A thread that failed gets a row of its own for the failed step, above the checkpoint it failed
after (✖, the node, the error's first line).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.message import Message

from engine.constants import START
from engine.debug.lineage import BranchDrawer, GraphCell
from engine.debug.model import CheckpointSummary, ThreadSummary
from tui.checkpoint_nodes import nodes_that_ran
from tui.messages import CheckpointHighlighted, MoreHistoryWanted, RestOfHistoryWanted
from tui.safe_text import literal
from tui.thread_status import DAMAGED_MARK, describe_error
from tui.value_format import format_duration, format_time
from tui.widgets.paged_table import PagedTable

FAILED_MARK = "✖"
RETRY_MARK = "⟳"
WARNING_MARK = "⚠"
SUBGRAPH_MARK = "⧉"


def _number(value: object) -> float | None:
    """A metadata number as a float (anything else, from a damaged or foreign file: None)."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else None


@dataclass(frozen=True)
class HistoryRow:
    """A row: a checkpoint and how its branch graph cell looks, or (``failed``) the failed step
    after that checkpoint."""

    checkpoint: CheckpointSummary
    cell: GraphCell
    failed: bool = False


class HistoryTable(PagedTable[HistoryRow]):
    """Graph, step, source, the nodes that ran in that super-step, and when it was saved."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("G", "scroll_bottom", "Oldest", show=False, tooltip="The oldest checkpoint (loads the rest)", id="history.oldest"),
        Binding("end", "scroll_bottom", "Oldest", show=False, tooltip="The oldest checkpoint (loads the rest)", id="history.oldest_end"),
        Binding(
            "enter",
            "screen.focus_state",
            "State",
            tooltip="Read the state at this checkpoint",
            id="history.open",
        ),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "history-table--input",
        "history-table--graph",
        "history-table--error",
        "history-table--edit",
    }

    COMPACT_WIDTH: ClassVar[int] = 60
    COMPACT_DROP: ClassVar[tuple[int, ...]] = (4, 5)  # duration and time: the state pane shows them

    thread_id: str = ""
    """The thread whose checkpoints these are (set by the screen with :meth:`begin_thread`)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.thread: ThreadSummary | None = None
        self.marked_id: str | None = None
        """The checkpoint marked with ``m`` (drawn with ★)."""
        self._drawer = BranchDrawer()

    def begin_thread(self, thread: ThreadSummary) -> None:
        self.thread = thread
        self.thread_id = thread.thread_id
        self.begin()

    def begin(self) -> None:
        self._drawer = BranchDrawer(self.thread.latest_checkpoint_id if self.thread else None)
        super().begin()

    def rows_of(self, checkpoints: Sequence[CheckpointSummary]) -> list[HistoryRow]:
        """Rows for the next page of checkpoints (the drawer keeps its lanes between pages)."""
        rows = []
        for checkpoint in checkpoints:
            cell = self._drawer.draw(checkpoint)
            thread = self.thread
            if thread is not None and thread.status == "error" and cell.thread_head:
                rows.append(HistoryRow(checkpoint, GraphCell(FAILED_MARK, False, True, True), failed=True))
            rows.append(HistoryRow(checkpoint, cell))
        return rows

    def add_checkpoints(self, checkpoints: Sequence[CheckpointSummary], *, complete: bool) -> None:
        self.add_page(self.rows_of(checkpoints), complete=complete)

    def replace_checkpoints(
        self, checkpoints: Sequence[CheckpointSummary], *, complete: bool, keep: Callable[[CheckpointSummary], bool]
    ) -> None:
        self.begin()
        self.add_checkpoints(checkpoints, complete=complete)
        self.select(lambda row: not row.failed and keep(row.checkpoint))

    @property
    def checkpoints(self) -> list[CheckpointSummary]:
        """The checkpoints loaded so far, newest first."""
        return [row.checkpoint for row in self.items if not row.failed]

    @property
    def current_checkpoint(self) -> CheckpointSummary | None:
        row = self.current
        return row.checkpoint if row is not None else None

    def select_checkpoint(self, checkpoint_id: str) -> bool:
        return self.select(lambda row: not row.failed and row.checkpoint.checkpoint_id == checkpoint_id)

    def columns_spec(self) -> Sequence[tuple[str, int | None]]:
        return [("", None), ("step", None), ("source", None), ("nodes that ran", None), ("took", None), ("time (UTC)", None)]

    def _style(self, name: str) -> str:
        return self.get_component_rich_style(f"history-table--{name}", partial=True)

    def cells(self, item: HistoryRow) -> list[Text]:
        checkpoint = item.checkpoint
        mark = "★" if checkpoint.checkpoint_id == self.marked_id and not item.failed else ""
        graph = Text(mark + item.cell.glyphs, style=self._style("graph"))
        if item.failed:
            assert self.thread is not None
            kind, message, _ = describe_error(self.thread.error)
            node = self.thread.error.get("node") if isinstance(self.thread.error, dict) else None
            first_line = message.splitlines()[0] if message else ""
            what = f"{node}: {kind}: {first_line}" if node else f"{kind}: {first_line}"
            return [
                Text(FAILED_MARK, style=self._style("error")),
                Text(str(checkpoint.step + 1), justify="right"),
                Text(f"{FAILED_MARK} failed", style=self._style("error")),
                literal(what, style=self._style("error"), limit=60),
                Text(""),
                Text(""),
            ]
        style = self._style("input") if checkpoint.source == "input" else ""
        if checkpoint.source == "update":
            edited = checkpoint.metadata.get("edited_as", "?")
            nodes = literal(f"edited as {'input' if edited == START else edited}", style=self._style("edit"), limit=40)
        else:
            nodes = literal(nodes_that_ran(checkpoint, none="—"), style=style, limit=40)
        subgraphs = checkpoint.metadata.get("subgraphs")
        if isinstance(subgraphs, list) and subgraphs:
            nodes.append(f" {SUBGRAPH_MARK}", style=self._style("edit"))
        if checkpoint.metadata.get("warnings"):
            nodes.append(f" {WARNING_MARK}", style=self._style("error"))
        return [
            graph,
            Text(str(checkpoint.step), justify="right"),
            literal(f"{DAMAGED_MARK} {checkpoint.source}" if checkpoint.damage else checkpoint.source, limit=12),
            nodes,
            self._took(checkpoint),
            literal(format_time(checkpoint.created_at, date=False), limit=12),
        ]

    def _took(self, checkpoint: CheckpointSummary) -> Text:
        took = Text(format_duration(_number(checkpoint.metadata.get("duration_ms"))), justify="right")
        retries = checkpoint.metadata.get("retries")
        if isinstance(retries, int) and not isinstance(retries, bool) and retries > 0:
            took.append(f" {RETRY_MARK}{retries}", style=self._style("edit"))
        return took

    def set_marked(self, checkpoint_id: str | None) -> None:
        """Draw ★ on the marked checkpoint's row (and take it off the one marked before)."""
        changed = {self.marked_id, checkpoint_id} - {None}
        self.marked_id = checkpoint_id
        for row, item in enumerate(self.shown):
            if item.checkpoint.checkpoint_id in changed and not item.failed:
                self.update_cell_at(Coordinate(row, 0), self._cells(item)[0], update_width=True)

    def highlighted(self, item: HistoryRow) -> Message:
        return CheckpointHighlighted(item.checkpoint)

    def more_wanted(self) -> Message:
        return MoreHistoryWanted(self.thread_id, before=self.items[-1].checkpoint.checkpoint_id)

    def action_scroll_bottom(self) -> None:
        """``G`` / ``end``: the oldest checkpoint, loading the rest of the history first."""
        if self.complete or not self.items:
            super().action_scroll_bottom()
        else:
            self.post_message(RestOfHistoryWanted(self.thread_id, "oldest"))
