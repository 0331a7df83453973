"""A scrolling pane of drawn text: the Diff, Writes and Metadata tabs of the detail pane."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.guard import Guarded
from tui.safe_text import literal

ROLES = ("added", "removed", "changed", "muted", "key", "error")


class TextTab(Guarded, VerticalScroll, can_focus=True):
    """Shows one ``Text`` at a time; its styles by role come from the theme (see retrace.tcss)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Scroll down", show=False, id="tab.down"),
        Binding("k", "scroll_up", "Scroll up", show=False, id="tab.up"),
        Binding("g", "scroll_home", "Top", show=False, id="tab.top"),
        Binding("G", "scroll_end", "Bottom", show=False, id="tab.bottom"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"text-tab--{role}" for role in ROLES}

    def compose(self) -> ComposeResult:
        yield Static(classes="text-tab-body")

    def styles_by_role(self) -> dict[str, str]:
        """Role -> Rich style string, from the current theme."""
        return {role: str(self.get_component_rich_style(f"text-tab--{role}", partial=True)) for role in ROLES}

    def show(self, text: Text | str) -> None:
        body = self.query_one(".text-tab-body", Static)
        body.update(text if isinstance(text, Text) else literal(text, style=self.styles_by_role()["muted"]))
        self.scroll_home(animate=False)

    @property
    def shown(self) -> str:
        """The plain text shown (for tests and the screenshot-free reader)."""
        return str(self.query_one(".text-tab-body", Static).render())
