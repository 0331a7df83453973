"""``?``: the key bindings of the debugger, listed from the bindings themselves.

One section per place keys work (the focused pane's first, then the app's and the screen's, then
the others), one row per action (``j`` and ``down`` share a row), and a filter at the top.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.theme import Theme
from textual.widgets import DataTable, Input, Static

from tui.guard import Guarded
from tui.keys import bindings_of, by_action

Section = tuple[str, list[Binding]]
"""Where the keys work (``"history pane"``) and their bindings, as ``help_sections()`` gives them."""


@dataclass(frozen=True)
class HelpRow:
    """One action: the keys that run it and what it does."""

    keys: tuple[str, ...]
    """The keys as shown (``↓``, ``pgup``, ``[``)."""
    text: str
    """What the action does: the first tooltip of its bindings, else the first description."""
    names: frozenset[str]
    """The keys in lower case, as shown and as named (``pgup`` and ``pageup``)."""
    words: str
    """Lower-case text a filter word may be part of: the keys, the tooltips and descriptions."""

    @classmethod
    def of(cls, bindings: list[Binding], key_display: dict[str, str]) -> HelpRow:
        keys = tuple(dict.fromkeys(key_display[b.key] for b in bindings))
        text = next((b.tooltip for b in bindings if b.tooltip), bindings[0].description)
        names = [*keys, *(b.key for b in bindings)]
        words = [*names, *(b.description for b in bindings), *(b.tooltip for b in bindings)]
        return cls(keys, text, frozenset(n.lower() for n in names), " ".join(words).lower())

    def matches(self, query: str) -> bool:
        """Whether every word of ``query`` (in any case) is one of this row's keys or, if two
        characters or more, part of its keys or of what it does: ``j`` finds the key j, not every
        description with a j in it; ``page`` finds pageup and "Page down"."""
        return all(
            term in self.names or (len(term) > 1 and term in self.words) for term in query.lower().split()
        )


class BindingsTable(DataTable):
    """A list to read, not to pick from: no cursor, so every scrolling key moves the view."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Scroll down", show=False, id="help.down"),
        Binding("k", "cursor_up", "Scroll up", show=False, id="help.up"),
        Binding("home", "scroll_top", "Top", show=False, id="help.top"),
        Binding("end", "scroll_bottom", "Bottom", show=False, id="help.bottom"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {"bindings-table--heading", "bindings-table--note"}

    def __init__(self) -> None:
        super().__init__(id="help-table", cursor_type="none", zebra_stripes=False)


class HelpDialog(Guarded, ModalScreen[None]):
    """The filter, then a table of (key, what it does), under a heading for each section."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear_or_close", "Close", tooltip="Clear the filter, or close", id="help.close"),
        Binding("q", "dismiss", "Close", show=False, id="help.close_q"),
        Binding("question_mark", "dismiss", "Close", show=False, id="help.close_help"),
        Binding("slash", "focus_filter", "Filter", show=False, id="help.filter"),
        # Reached from the filter, which has no use for them: the list scrolls while you type.
        Binding("down", "scroll_list('cursor_down')", "Scroll down", show=False, id="help.filter_down"),
        Binding("up", "scroll_list('cursor_up')", "Scroll up", show=False, id="help.filter_up"),
        Binding("pagedown", "scroll_list('page_down')", "Page down", show=False, id="help.filter_pagedown"),
        Binding("pageup", "scroll_list('page_up')", "Page up", show=False, id="help.filter_pageup"),
    ]

    def __init__(self, sections: list[Section], focused_section: str | None = None) -> None:
        """``focused_section``: the section to list first, with the sections of the screen and
        app after it; by default found from the widget that had focus on the screen below."""
        super().__init__()
        self.sections = sections
        self.focused_section = focused_section
        self.rows: list[tuple[str, list[HelpRow]]] = []
        """Every section, in the order shown, with its rows."""
        self.shown: list[tuple[str, list[HelpRow]]] = []
        """The sections and rows the filter lets through, as the table shows them."""

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static(Text("Key bindings"), classes="dialog-title")
            yield Input(placeholder="Filter: type a key or a word", id="help-filter", compact=True)
            yield BindingsTable()
            yield Static(
                Text(
                    "type to filter · arrows, page up/down to scroll · enter: to the list "
                    "(j/k, home/end; / to filter; q or ? to close) · escape: clear the filter, then close"
                ),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        display = {b.key: self.app.get_key_display(b) for _, bindings in self.sections for b in bindings}
        ordered = self._ordered_sections()
        self.rows = [(where, [HelpRow.of(g, display) for g in by_action(bs)]) for where, bs in ordered]
        self.query_one(BindingsTable).add_columns(Text("key"), Text("action"))
        self._fill()
        self.query_one(Input).focus()
        # The headings hold their component styles' colours as they were made: make them again.
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: Theme) -> None:
        self._fill()

    # Which section comes first.

    def _ordered_sections(self) -> list[Section]:
        """The focused widget's section; then those of its ancestors, from the app's (its few
        keys work everywhere: quit, help, the palette) down to the screen's; then the rest."""
        names = [where for where, _ in self.sections]
        if self.focused_section in names:
            first = [self.focused_section]
        else:
            chain = self._focus_chain()
            first = chain[:1] + chain[:0:-1]
            self.focused_section = first[0] if first else None
        rest = [where for where in names if where not in first]
        by_name = dict(self.sections)
        return [(where, by_name[where]) for where in [*first, *rest]]

    def _focus_chain(self) -> list[str]:
        """The sections of the widget focused on the screen below and of its ancestors, innermost
        first. A node's section is its class's ``HELP_SECTION`` if it has one, else the section
        listing exactly the bindings of its class."""
        stack = self.app.screen_stack
        below = stack[stack.index(self) - 1] if self in stack and stack.index(self) > 0 else None
        if below is None:
            return []
        names = {where for where, _ in self.sections}
        found: list[str] = []
        start: DOMNode = below.focused or below
        for node in start.ancestors_with_self:
            where = getattr(type(node), "HELP_SECTION", None)
            if where not in names:
                own = bindings_of(type(node))
                where = next((w for w, bs in self.sections if bs and bs == own and w not in found), None)
            if where is not None and where not in found:
                found.append(where)
        return found

    # The table and its filter.

    def _fill(self) -> None:
        query = self.query_one(Input).value
        self.shown = [(where, [r for r in rows if r.matches(query)]) for where, rows in self.rows]
        self.shown = [(where, rows) for where, rows in self.shown if rows]
        table = self.query_one(BindingsTable)
        heading = table.get_component_rich_style("bindings-table--heading", partial=True)
        note = table.get_component_rich_style("bindings-table--note", partial=True)
        table.clear()
        for where, rows in self.shown:
            mark = "focused" if where == self.focused_section else ""
            table.add_row(Text(where[:1].upper() + where[1:], style=heading), Text(mark, style=note))
            for row in rows:
                table.add_row(Text(", ".join(row.keys)), Text(row.text))
        if not self.shown:
            table.add_row(Text(""), Text(f"No key or action matches {query.strip()!r}", style=note))
        table.scroll_home(animate=False)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(BindingsTable).focus()

    def action_clear_or_close(self) -> None:
        filter_input = self.query_one(Input)
        if filter_input.value:
            filter_input.value = ""  # Input.Changed fills the table again
            filter_input.focus()
        else:
            self.dismiss()

    def action_focus_filter(self) -> None:
        self.query_one(Input).focus()

    def action_scroll_list(self, action: str) -> None:
        table = self.query_one(BindingsTable)
        moves = {
            "cursor_down": table.action_cursor_down,
            "cursor_up": table.action_cursor_up,
            "page_down": table.action_page_down,
            "page_up": table.action_page_up,
        }
        moves[action]()
