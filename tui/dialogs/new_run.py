"""``N``: start a new run of an attached graph: which graph, on which thread, with which input.

Dismissed with ``(graph ref, thread id, input)`` once the input parses as JSON, or None when
cancelled (nothing is written). The template and the suggested thread id are the debugger
core's (:mod:`engine.debug.new_run`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static, TextArea

from engine.debug.inbox import AnswerError, parse_answer
from engine.debug.new_run import input_template, suggest_thread_id
from engine.graph.compiled import CompiledStateGraph
from tui.guard import Guarded
from tui.safe_text import literal


class NewRunDialog(Guarded, ModalScreen[tuple[str, str, Any] | None]):
    """Pick a graph, a thread id (a free one is suggested) and the input as JSON."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "start", "Run", tooltip="Start the run", priority=True, id="run.start"),
        Binding("escape", "cancel", "Cancel", tooltip="Close without running", priority=True, id="run.cancel"),
    ]

    def __init__(
        self, graphs: dict[str, CompiledStateGraph], taken: Iterable[str], *, first: str | None = None,
        breakpoints: dict[str, frozenset[str]] | None = None,
    ) -> None:
        super().__init__()
        self.graphs = graphs
        self.taken = set(taken)
        self.first = first if first in graphs else next(iter(graphs))
        self.breakpoints = breakpoints or {}

    def compose(self) -> ComposeResult:
        first = self.first
        with Vertical(id="new-run-dialog", classes="dialog"):
            yield Static("Start a new run", classes="dialog-title")
            with Horizontal(classes="dialog-row"):
                yield Label("graph  ")
                yield Select([(literal(ref), ref) for ref in self.graphs], value=first, allow_blank=False, id="run-graph")
            with Horizontal(classes="dialog-row"):
                yield Label("thread ")
                yield Input(self._thread_for(first), id="run-thread")
            yield Static(self._pauses(first), id="run-pauses")
            yield Label("input (JSON)")
            yield TextArea.code_editor(input_template(self.graphs[first].spec), language="json", id="run-input")
            yield Static(id="run-error")
            yield Static("ctrl+s: run · tab: next field · esc: cancel, nothing is written", classes="dialog-hint")

    def _pauses(self, ref: str) -> str:
        nodes = sorted(self.breakpoints.get(ref, ()))
        return f"pauses before: {', '.join(nodes)} (b sets breakpoints)" if nodes else "no breakpoints (b sets them)"

    def _thread_for(self, ref: str) -> str:
        return suggest_thread_id(ref, self.taken)

    def on_mount(self) -> None:
        self.query_one("#run-error", Static).display = False
        self.query_one("#run-input", TextArea).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        ref = str(event.value)
        if ref in self.graphs:
            self.query_one("#run-thread", Input).value = self._thread_for(ref)
            self.query_one("#run-pauses", Static).update(self._pauses(ref))
            self.query_one("#run-input", TextArea).text = input_template(self.graphs[ref].spec)

    def _error(self, text: str) -> None:
        box = self.query_one("#run-error", Static)
        box.update(literal(f"Not started: {text}"))
        box.display = True

    def action_start(self) -> None:
        thread = self.query_one("#run-thread", Input).value.strip()
        if not thread:
            self._error("type a thread id")
            return
        try:
            value = parse_answer(self.query_one("#run-input", TextArea).text, "the input")
        except AnswerError as exc:
            self._error(str(exc))
            return
        self.dismiss((str(self.query_one("#run-graph", Select).value), thread, value))

    def action_cancel(self) -> None:
        self.dismiss(None)
