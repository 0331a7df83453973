"""Shown instead of the debugger when the database cannot be opened: what went wrong, and ``q``."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from tui.guard import Guarded
from tui.safe_text import literal


class OpenErrorScreen(Guarded, Screen[None]):
    """The path, the reason it cannot be opened, and how to leave."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__()
        self.path = path
        self.reason = reason

    def compose(self) -> ComposeResult:
        yield Header()
        with Center():
            with Vertical(id="open-error", classes="dialog"):
                yield Static(Text("Cannot open this checkpoint database"), classes="dialog-title")
                yield Static(literal(self.path), id="open-error-path")
                yield Static(literal(self.reason, keep_newlines=True), id="open-error-reason")
                yield Static(
                    Text(
                        "retrace opens the databases it writes, and those of graphs compiled with "
                        "AsyncSqliteSaver."
                    ),
                    classes="dialog-hint",
                )
                yield Static(Text("Press q to quit."), classes="dialog-hint")
        yield Footer()
