"""The lines above the state tree: which checkpoint this is, and why the thread failed if it did."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.widgets import Static

from engine.checkpoint.sqlite import CheckpointSummary, ThreadSummary
from tui.safe_text import literal
from tui.value_format import format_time


def describe_error(error: object) -> tuple[str, str, str]:
    """(type, message, `` in node X`` or "") of a thread's stored error, whatever shape it has."""
    if not isinstance(error, dict):
        return "error", str(error), ""
    node = error.get("node")
    return str(error.get("type", "error")), str(error.get("message", "")), f" in node {node}" if node else ""


def failed_after(thread: ThreadSummary, checkpoint: CheckpointSummary) -> bool:
    """True when ``checkpoint`` is the last one of a failed thread: the step after it failed."""
    return thread.status == "error" and checkpoint.checkpoint_id == thread.latest_checkpoint_id


def unfinished_after(thread: ThreadSummary, checkpoint: CheckpointSummary) -> bool:
    """True when the step after ``checkpoint`` did not complete (failed, interrupted or stopped),
    so the writes recorded against it are pending ones."""
    unfinished = thread.status in ("error", "interrupted", "pending")
    return unfinished and checkpoint.checkpoint_id == thread.latest_checkpoint_id


class CheckpointHeader(Static):
    """Step, source, the nodes that ran and run next, the thread's error, then time, id and parent."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"checkpoint-header--label", "checkpoint-header--error"}

    def show_checkpoint(self, thread: ThreadSummary, checkpoint: CheckpointSummary) -> None:
        label = self.get_component_rich_style("checkpoint-header--label", partial=True)
        error = self.get_component_rich_style("checkpoint-header--error", partial=True)
        text = Text(end="")

        def field(name: str, value: object) -> None:
            text.append(f"{name} ", style=label)
            text.append_text(literal(value))

        field("step", checkpoint.step)
        text.append("  ")
        field("source", checkpoint.source)
        text.append("\n")
        nodes = ", ".join(checkpoint.writes) or "nothing"
        if checkpoint.source == "input":
            field("ran", "nothing: this is the run's input")
        elif checkpoint.source == "update":
            field("edited", f"state set by hand, as if {nodes} had written it")
        else:
            field("ran", nodes)
        text.append("  →  ")
        field("next", ", ".join(checkpoint.next) or "nothing (the run ended here)")
        if thread.status == "error" and thread.error:
            text.append("\n")
            kind, message, where = describe_error(thread.error)
            if failed_after(thread, checkpoint):
                text.append_text(
                    literal(
                        f"✖ The next step failed{where}: {kind}: {message}", style=error, keep_newlines=True
                    )
                )
            else:
                text.append_text(
                    literal(
                        f"✖ This thread failed later{where} ({kind}); its newest checkpoint shows why.",
                        style=error,
                    )
                )
        elif thread.status == "pending" and checkpoint.checkpoint_id == thread.latest_checkpoint_id:
            text.append("\n")
            text.append("… the run has not finished: it is still running, or it stopped without an error")
        # Time and ids last: a short terminal cuts the header, and they matter least there.
        text.append("\n")
        field("saved     ", format_time(checkpoint.created_at, date=True) + " UTC")
        text.append("\n")
        field("checkpoint", checkpoint.checkpoint_id)
        text.append("\n")
        field("parent    ", checkpoint.parent_checkpoint_id or "none (first checkpoint)")
        self.update(text)
        self.display = True

    def show_nothing(self) -> None:
        self.update(Text(""))
        self.display = False
