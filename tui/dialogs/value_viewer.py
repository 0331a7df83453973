"""``enter``/``v`` in the state pane: one value whole, in a scrollable dialog."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.full_text import full_text
from tui.guard import Guarded
from tui.keys import bindings_of
from tui.safe_text import literal


class ValueViewer(Guarded, ModalScreen[None]):
    """The full text of a value (strings as themselves, structures indented), literal and scrollable."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="viewer.close"),
        Binding("q", "dismiss", "Close", show=False, id="viewer.close_q"),
        Binding("j", "scroll_down", "Down", show=False, id="viewer.down"),
        Binding("k", "scroll_up", "Up", show=False, id="viewer.up"),
        # A modal screen stops the app's own bindings, so ? is bound here too.
        Binding("question_mark", "app.help", "Help", show=False, id="viewer.help"),
    ]

    @classmethod
    def help_sections(cls) -> list[tuple[str, list[Binding]]]:
        """What ``?`` lists, over the viewer, after the app's bindings."""
        return [("value viewer", bindings_of(cls))]

    def __init__(self, path: str, value: Any) -> None:
        super().__init__()
        self.path = path
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(id="value-dialog", classes="dialog"):
            yield Static(literal(self.path), classes="dialog-title")
            with VerticalScroll(id="value-scroll"):
                yield Static(literal(full_text(self.value), keep_newlines=True), id="value-text")
            yield Static(
                Text("escape or q to close · arrows, j/k, page up/down to scroll"), classes="dialog-hint"
            )

    def on_mount(self) -> None:
        self.query_one("#value-scroll").focus()

    def action_scroll_down(self) -> None:
        self.query_one("#value-scroll", VerticalScroll).scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        self.query_one("#value-scroll", VerticalScroll).scroll_up(animate=False)
