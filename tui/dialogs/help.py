"""``?``: every key binding of the debugger, listed from the bindings themselves."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from tui.guard import Guarded


class BindingsTable(DataTable):
    """A list to read, not to pick from: no cursor, so every scrolling key moves the view."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Scroll down", show=False, id="help.down"),
        Binding("k", "cursor_up", "Scroll up", show=False, id="help.up"),
        Binding("home", "scroll_top", "Top", show=False, id="help.top"),
        Binding("end", "scroll_bottom", "Bottom", show=False, id="help.bottom"),
    ]

    def __init__(self) -> None:
        super().__init__(id="help-table", cursor_type="none", zebra_stripes=True)


class HelpDialog(Guarded, ModalScreen[None]):
    """A table of (key, what it does, where it works), one row per binding."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="help.close"),
        Binding("q", "dismiss", "Close", show=False, id="help.close_q"),
        Binding("question_mark", "dismiss", "Close", show=False, id="help.close_help"),
    ]

    def __init__(self, sections: list[tuple[str, list[Binding]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static(Text("Key bindings"), classes="dialog-title")
            yield BindingsTable()
            yield Static(
                Text("escape, q or ? to close · j/k, arrows, page up/down, home/end to scroll"),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        table = self.query_one(BindingsTable)
        table.add_columns(Text("key"), Text("action"), Text("where"))
        for where, bindings in self.sections:
            for binding in bindings:
                table.add_row(
                    Text(self.app.get_key_display(binding)),
                    Text(binding.tooltip or binding.description),
                    Text(where),
                )
        table.focus()
