"""``b``: choose the nodes that runs started from the debugger pause before.

The dialog only lists and toggles; the breakpoints belong to the debugging session
(:meth:`engine.debug.session.DebugSession.toggle_breakpoint`), which the callback calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.guard import Guarded
from tui.safe_text import literal

ON, OFF = "● ", "○ "


class BreakpointDialog(Guarded, ModalScreen[None]):
    """The graph's nodes, ● where a breakpoint is set; enter or b toggles, esc closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("b", "toggle", "Toggle", tooltip="Set or clear the breakpoint on this node", id="breakpoints.toggle"),
        Binding("j", "cursor(1)", "Down", show=False, tooltip="The next node", id="breakpoints.down"),
        Binding("k", "cursor(-1)", "Up", show=False, tooltip="The previous node", id="breakpoints.up"),
        Binding("escape", "close", "Close", tooltip="Close (the breakpoints stay set)", id="breakpoints.close"),
    ]

    def __init__(self, graph_name: str, nodes: Iterable[str], on: Iterable[str], toggle: Callable[[str], bool]) -> None:
        super().__init__()
        self.graph_name = graph_name
        self.nodes = list(nodes)
        self.on = set(on)
        self.toggle = toggle

    def _prompt(self, node: str) -> Text:
        return Text.assemble(ON if node in self.on else OFF, literal(node))

    def compose(self) -> ComposeResult:
        with Vertical(id="breakpoint-dialog", classes="dialog"):
            yield Static(literal(f"Breakpoints of {self.graph_name}: runs started here pause before ●"), classes="dialog-title")
            yield OptionList(*[Option(self._prompt(n), id=n) for n in self.nodes], id="breakpoint-nodes")
            yield Static("enter or b: set / clear · esc: close", classes="dialog-hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_toggle()

    def action_toggle(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        node = self.nodes[options.highlighted]
        if self.toggle(node):
            self.on.add(node)
        else:
            self.on.discard(node)
        options.replace_option_prompt_at_index(options.highlighted, self._prompt(node))

    def action_cursor(self, delta: int) -> None:
        options = self.query_one(OptionList)
        options.action_cursor_down() if delta > 0 else options.action_cursor_up()

    def action_close(self) -> None:
        self.dismiss(None)
