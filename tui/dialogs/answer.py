"""Answering a thread that waits for input: ``x`` asks for a reason, ``E`` edits the answer as JSON.

The dialogs hold no rules: what an answer looks like is the debugger core's
(:mod:`engine.debug.inbox`). Both return the answer to send, or None when cancelled (``esc``):
then nothing is written.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static, TextArea

from engine.debug.inbox import AnswerError, WaitingThread, parse_answer, payload_summary
from tui.guard import Guarded
from tui.safe_text import literal

NO_ANSWER = object()
"""What a dialog returns when cancelled (an answer may itself be ``None``)."""


def _asked(waiting: WaitingThread) -> str:
    lines = [f"{waiting.thread.thread_id} waits for input:"]
    for item in waiting.interrupts:
        what, why = payload_summary(item.value)
        lines.append(f"  {item.node}: {what}")
        if why:
            lines.append(f"    {why}")
    return "\n".join(lines)


class ConfirmDialog(Guarded, ModalScreen[bool]):
    """``a``: approve what the thread asks, once more on purpose (it may not be undone)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,y", "confirm", "Approve", tooltip="Approve it and run on", priority=True, id="approve.confirm"),
        Binding("escape,n", "cancel", "Cancel", tooltip="Close without answering", priority=True, id="approve.cancel"),
    ]

    def __init__(self, waiting: WaitingThread) -> None:
        super().__init__()
        self.waiting = waiting

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            yield Static("Approve?", classes="dialog-title")
            yield Static(literal(_asked(self.waiting), keep_newlines=True), id="confirm-asked")
            yield Static("enter or y: approve and run on · esc or n: cancel, nothing is written", classes="dialog-hint")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class ReasonDialog(Guarded, ModalScreen[Any]):
    """``x``: reject, with a reason (required). Dismissed with the reason, or ``NO_ANSWER``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without answering", priority=True, id="reason.cancel"),
    ]

    def __init__(self, waiting: WaitingThread) -> None:
        super().__init__()
        self.waiting = waiting

    def compose(self) -> ComposeResult:
        with Vertical(id="reason-dialog", classes="dialog"):
            yield Static("Reject: why? (the reason goes back to the agent)", classes="dialog-title")
            yield Static(literal(_asked(self.waiting), keep_newlines=True), id="reason-asked")
            yield Input(placeholder="e.g. production is live; never delete it", id="reason-text")
            yield Static(id="reason-error")
            yield Static("enter: reject with this reason · esc: cancel, nothing is written", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#reason-error", Static).display = False
        self.query_one("#reason-text", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        reason = event.value.strip()
        if not reason:
            box = self.query_one("#reason-error", Static)
            box.update("Type a reason first: the agent reads it to choose what to do instead.")
            box.display = True
            return
        self.dismiss(reason)

    def action_cancel(self) -> None:
        self.dismiss(NO_ANSWER)


class AnswerDialog(Guarded, ModalScreen[Any]):
    """``E``: the answer as JSON, validated on ctrl+s. Dismissed with the parsed answer, or
    ``NO_ANSWER``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send", tooltip="Resume the run with this answer", priority=True, id="answer.send"),
        Binding("escape", "cancel", "Cancel", tooltip="Close without answering", priority=True, id="answer.cancel"),
    ]

    def __init__(self, waiting: WaitingThread, text: str) -> None:
        super().__init__()
        self.waiting = waiting
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="answer-dialog", classes="dialog"):
            yield Static("Answer as JSON: the value interrupt() returns in the node", classes="dialog-title")
            yield Static(literal(_asked(self.waiting), keep_newlines=True), id="answer-asked")
            yield TextArea.code_editor(self.text, language="json", id="answer-text")
            yield Static(id="answer-error")
            yield Static("ctrl+s: resume with this answer · esc: cancel, nothing is written", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#answer-error", Static).display = False
        self.query_one("#answer-text", TextArea).focus()

    def action_send(self) -> None:
        try:
            answer = parse_answer(self.query_one("#answer-text", TextArea).text)
        except AnswerError as exc:
            box = self.query_one("#answer-error", Static)
            box.update(literal(f"Not sent: {exc}"))
            box.display = True
            if exc.line:
                self.query_one("#answer-text", TextArea).move_cursor((exc.line - 1, max(0, (exc.column or 1) - 1)))
            return
        self.dismiss(answer)

    def action_cancel(self) -> None:
        self.dismiss(NO_ANSWER)
