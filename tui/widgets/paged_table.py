"""A row-cursor ``DataTable`` filled a page at a time, asking for the next page as the cursor nears
the end, so a list of 100,000 rows opens as fast as a list of ten."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar, Generic, TypeVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.message import Message
from textual.theme import Theme
from textual.widgets import DataTable

from tui.guard import Guarded

T = TypeVar("T")


class PagedTable(Guarded, DataTable, Generic[T]):
    """Rows of ``T``; subclasses say how an item looks and what to post when the cursor moves.

    The screen calls :meth:`begin` before the first page, then :meth:`add_page` with each page;
    the table posts :meth:`more_wanted` once (until the next page arrives) when the cursor comes
    within :attr:`LOAD_AHEAD` rows of the last loaded row.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("k", "cursor_up", "Up", show=False, id="table.up"),
        Binding("home", "scroll_top", "First row", show=False, id="table.first"),
        Binding("g", "scroll_top", "First row", show=False, id="table.first_g"),
        Binding("end", "scroll_bottom", "Last loaded row", show=False, id="table.last"),
        Binding("G", "scroll_bottom", "Last loaded row", show=False, id="table.last_g"),
    ]

    LOAD_AHEAD: ClassVar[int] = 50
    """How close to the last loaded row the cursor gets before the next page is requested."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            id=id, cursor_type="row", zebra_stripes=True, cursor_foreground_priority="renderable"
        )
        self.items: list[T] = []
        self.complete = True
        self.fetching = False
        """A page has been asked for and has not arrived (not Widget.loading: no spinner over rows)."""

    # What subclasses provide.

    def columns_spec(self) -> Sequence[tuple[str, int | None]]:
        """(label, width or None for automatic) of each column."""
        raise NotImplementedError

    def cells(self, item: T) -> list[Text]:
        raise NotImplementedError

    def highlighted(self, item: T) -> Message:
        """The message posted when the cursor moves onto ``item``."""
        raise NotImplementedError

    def more_wanted(self) -> Message:
        """The message that asks the screen for the next page."""
        raise NotImplementedError

    # Filling the table.

    def on_mount(self) -> None:
        # Cells hold their component styles' colours as they were built: build them again.
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: Theme) -> None:
        for row, item in enumerate(self.items):
            for column, cell in enumerate(self.cells(item)):
                self.update_cell_at(Coordinate(row, column), cell)

    def begin(self) -> None:
        """Forget every row (and the column widths they needed): a new list starts loading."""
        self.clear(columns=True)
        for label, width in self.columns_spec():
            self.add_column(Text(label), width=width)
        self.items = []
        self.complete = False
        self.fetching = True

    def add_page(self, items: Sequence[T], *, complete: bool) -> None:
        """Append a page of rows; ``complete`` when the list has no more."""
        self.items.extend(items)
        self.add_rows(self.cells(item) for item in items)
        self.complete = complete
        self.fetching = False
        self._want_more_if_near_end()

    def replace(self, items: Sequence[T], *, complete: bool, keep: Callable[[T], bool]) -> None:
        """Show ``items`` instead of the rows loaded so far, the cursor on the first one ``keep``
        accepts (else the first row)."""
        self.begin()
        self.add_page(items, complete=complete)
        self.select(keep)

    def select(self, wanted: Callable[[T], bool]) -> bool:
        """Move the cursor to the first loaded row ``wanted`` accepts; False when none does."""
        row = next((i for i, item in enumerate(self.items) if wanted(item)), None)
        if row is not None:
            self.move_cursor(row=row)
        return row is not None

    @property
    def current(self) -> T | None:
        """The item under the cursor, if any."""
        row = self.cursor_row
        return self.items[row] if 0 <= row < len(self.items) else None

    def _want_more_if_near_end(self) -> None:
        if self.complete or self.fetching or not self.items:
            return
        if self.cursor_row >= len(self.items) - self.LOAD_AHEAD:
            self.fetching = True
            self.post_message(self.more_wanted())

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is not self:
            return
        event.stop()
        if event.cursor_row != self.cursor_row:
            return  # the cursor has moved on since (a burst of keys, or replace): only its row counts
        if 0 <= event.cursor_row < len(self.items):
            self.post_message(self.highlighted(self.items[event.cursor_row]))
        self._want_more_if_near_end()
