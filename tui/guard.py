"""A failing message handler is shown to the user, never fatal to the app.

Textual ends the whole app when a handler raises. Data from a stranger's database can reach
code paths we did not foresee, so every screen and pane of the debugger mixes in
:class:`Guarded`: the exception becomes an error notification (neutralised text, no traceback on
screen; the traceback goes to Textual's log) and the rest of the app stays usable.
"""

from __future__ import annotations

import traceback

from textual import events
from textual.message import Message
from textual.message_pump import MessagePump

from tui.safe_text import escape_control


def report_failure(node: MessagePump, message: Message, error: Exception) -> None:
    """Tell the user that handling ``message`` failed, and log the traceback."""
    node.log.error("".join(traceback.format_exception(error)))
    text = escape_control(f"{type(error).__name__}: {error}", limit=300)
    app = node.app
    failures = getattr(app, "failures", None)
    if isinstance(failures, list):
        failures.append(error)
    app.notify(
        f"{text}\nThe rest of the debugger still works; press r to read the database again.",
        title=f"Could not handle {escape_control(message.handler_name, limit=60)}",
        severity="error",
        markup=False,
        timeout=10,
    )


class Guarded(MessagePump):
    """Mix in before a Textual class: exceptions of its handlers (events, messages, and the
    actions their key bindings run) are reported, not fatal."""

    async def on_event(self, event: events.Event) -> None:
        try:
            await super().on_event(event)
        except Exception as error:  # whatever a handler or action raised: report it, keep running
            report_failure(self, event, error)

    async def _on_message(self, message: Message) -> None:
        try:
            await super()._on_message(message)
        except Exception as error:  # whatever a handler raised: report it, keep running
            report_failure(self, message, error)
