"""The one-line input under a table's title: ``/`` filters its rows, ``:`` goes to a step."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input

from tui.guard import Guarded

PLACEHOLDERS = {
    "filter": "filter rows · enter: table · esc: clear",
    "step": "go to step N · enter: go · esc: cancel",
}


class FindBar(Guarded, Input):
    """Hidden until opened; ``mode`` is ``"filter"`` or ``"step"``. The screen handles what is
    typed (``Input.Changed`` / ``Input.Submitted``) and closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "screen.close_find", "Close", tooltip="Clear and close this input", id="find.close"),
    ]

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id, classes="find-bar")
        self.mode = "filter"
        self.display = False

    def open(self, mode: str, value: str = "") -> None:
        self.mode = mode
        self.placeholder = PLACEHOLDERS[mode]
        self.value = value
        self.display = True
        self.focus()
