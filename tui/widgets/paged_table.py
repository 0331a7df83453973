"""A row-cursor ``DataTable`` filled a page at a time, asking for the next page as the cursor nears
the end, so a list of 100,000 rows opens as fast as a list of ten."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar, Generic, TypeVar

from rich.text import Text
from textual import events
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

    ``items`` holds every row loaded; ``shown`` the rows on screen: all of them, or those the
    filter (:meth:`set_filter`, case-insensitive text of any cell) keeps.
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

    COMPACT_WIDTH: ClassVar[int] = 0
    """Below this many columns of width the table drops the columns in :attr:`COMPACT_DROP`
    (the least needed), so the rest are not cut."""
    COMPACT_DROP: ClassVar[tuple[int, ...]] = ()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            id=id, cursor_type="row", zebra_stripes=True, cursor_foreground_priority="renderable"
        )
        self.items: list[T] = []
        self.shown: list[T] = []
        self.filter_text = ""
        self.dropped: tuple[int, ...] = ()
        """The columns left out at the table's width (see :meth:`dropped_at`)."""
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
        for row, item in enumerate(self.shown):
            for column, cell in enumerate(self._cells(item)):
                self.update_cell_at(Coordinate(row, column), cell)

    def dropped_at(self, width: int) -> tuple[int, ...]:
        """The columns to leave out at ``width`` (the least needed), so the rest are not cut:
        :attr:`COMPACT_DROP` below :attr:`COMPACT_WIDTH`."""
        return self.COMPACT_DROP if width < self.COMPACT_WIDTH else ()

    def _kept(self, values: Sequence) -> list:
        return [v for i, v in enumerate(values) if i not in self.dropped]

    def _cells(self, item: T) -> list[Text]:
        return self._kept(self.cells(item))

    def on_resize(self, event: events.Resize) -> None:
        dropped = self.dropped_at(event.size.width)
        if dropped != self.dropped:
            self.dropped = dropped
            row = self.cursor_row
            self.clear(columns=True)
            for label, width in self._kept(self.columns_spec()):
                self.add_column(Text(label), width=width)
            self.add_rows(self._cells(item) for item in self.shown)
            if 0 <= row < len(self.shown):
                self.move_cursor(row=row)

    def begin(self) -> None:
        """Forget every row (and the column widths they needed): a new list starts loading."""
        self.clear(columns=True)
        for label, width in self._kept(self.columns_spec()):
            self.add_column(Text(label), width=width)
        self.items = []
        self.shown = []
        self.complete = False
        self.fetching = True

    def matches(self, item: T) -> bool:
        """Whether the filter keeps ``item``: its text, any cell, contains the filter's text."""
        if not self.filter_text:
            return True
        return self.filter_text.casefold() in " ".join(cell.plain for cell in self.cells(item)).casefold()

    def add_page(self, items: Sequence[T], *, complete: bool) -> None:
        """Append a page of rows; ``complete`` when the list has no more."""
        self.items.extend(items)
        kept = [item for item in items if self.matches(item)]
        self.shown.extend(kept)
        self.add_rows(self._cells(item) for item in kept)
        self.complete = complete
        self.fetching = False
        self._want_more_if_near_end()

    def set_filter(self, text: str) -> None:
        """Show only the loaded rows whose text contains ``text`` (empty: all); the cursor stays
        on the row it was on when that row is kept."""
        current = self.current
        self.filter_text = text.strip()
        self.clear()
        self.shown = [item for item in self.items if self.matches(item)]
        self.add_rows(self._cells(item) for item in self.shown)
        if current is not None and current in self.shown:
            self.move_cursor(row=self.shown.index(current))
        self._want_more_if_near_end()

    def replace(self, items: Sequence[T], *, complete: bool, keep: Callable[[T], bool]) -> None:
        """Show ``items`` instead of the rows loaded so far, the cursor on the first one ``keep``
        accepts (else the first row), scrolled where it was as long as the cursor stays in view
        (a live update must not move what the person is reading)."""
        y = self.scroll_y
        self.begin()
        self.add_page(items, complete=complete)
        self.select(keep)
        self.call_after_refresh(self._scroll_back, y)

    def _scroll_back(self, y: float) -> None:
        self.scroll_to(y=y, animate=False, immediate=True)
        self.move_cursor(row=self.cursor_row, scroll=True)  # only if the cursor fell out of view

    def select(self, wanted: Callable[[T], bool]) -> bool:
        """Move the cursor to the first loaded row ``wanted`` accepts (clearing a filter that
        hides it); False when none does."""
        if self.filter_text and not any(wanted(item) for item in self.shown) and any(map(wanted, self.items)):
            self.set_filter("")
        row = next((i for i, item in enumerate(self.shown) if wanted(item)), None)
        if row is not None:
            self.move_cursor(row=row)
        return row is not None

    @property
    def current(self) -> T | None:
        """The item under the cursor, if any."""
        row = self.cursor_row
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def _want_more_if_near_end(self) -> None:
        if self.complete or self.fetching or not self.items:
            return
        if self.cursor_row >= len(self.shown) - self.LOAD_AHEAD:
            self.fetching = True
            self.post_message(self.more_wanted())

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is not self:
            return
        event.stop()
        if event.cursor_row != self.cursor_row:
            return  # the cursor has moved on since (a burst of keys, or replace): only its row counts
        if 0 <= event.cursor_row < len(self.shown):
            self.post_message(self.highlighted(self.shown[event.cursor_row]))
        self._want_more_if_near_end()
