"""``enter``/``v`` in the state pane: one value whole, in a scrollable dialog.

A structured value shows as JSON (the checkpoint format: type tags such as
``{"__retrace__": "message", ...}`` readable, what ``retrace show --json`` prints); ``t``
switches to the indented text notation (strings as themselves), and ``c`` copies what is shown.
A string shows as itself.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from engine.checkpoint.serde import jsonable
from engine.errors import SerializationError
from tui.full_text import MAX_FULL_CHARS, full_text
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
        Binding("t", "toggle_notation", "JSON / text", tooltip="Show the value as JSON or as indented text", id="viewer.notation"),
        Binding("c", "copy", "Copy", tooltip="Copy what is shown to the clipboard", id="viewer.copy"),
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
        self.as_json = not isinstance(value, str)

    def shown_text(self) -> str:
        """The value as the viewer shows it now (JSON or the text notation)."""
        if self.as_json:
            try:
                return json.dumps(jsonable(self.value), indent=2, ensure_ascii=False)[:MAX_FULL_CHARS]
            except (SerializationError, ValueError, TypeError):
                pass  # a value JSON cannot hold: the text notation shows it
        return full_text(self.value)

    def shown(self) -> Text:
        """What the viewer draws: :meth:`shown_text` made literal."""
        return literal(self.shown_text(), keep_newlines=True)

    def compose(self) -> ComposeResult:
        with Vertical(id="value-dialog", classes="dialog"):
            yield Static(self._title(), classes="dialog-title", id="value-title")
            with VerticalScroll(id="value-scroll"):
                yield Static(self.shown(), id="value-text")
            yield Static(
                Text("escape or q: close · t: JSON or text · c: copy · arrows, j/k, page up/down: scroll"),
                classes="dialog-hint",
            )

    def _title(self) -> Text:
        title = literal(self.path)
        title.append("  (JSON · t: text)" if self.as_json else "  (text · t: JSON)", style="dim")
        return title

    def action_toggle_notation(self) -> None:
        self.as_json = not self.as_json
        self.query_one("#value-title", Static).update(self._title())
        self.query_one("#value-text", Static).update(self.shown())

    def action_copy(self) -> None:
        # OSC 52: the terminal gets the text base64-encoded, so nothing in it can act as an escape.
        self.app.copy_to_clipboard(self.shown_text())
        self.notify("Copied to the clipboard (where the terminal allows it)", timeout=3)

    def on_mount(self) -> None:
        self.query_one("#value-scroll").focus()

    def action_scroll_down(self) -> None:
        self.query_one("#value-scroll", VerticalScroll).scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        self.query_one("#value-scroll", VerticalScroll).scroll_up(animate=False)
