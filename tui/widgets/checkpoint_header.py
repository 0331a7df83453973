"""The lines above the state tree: which checkpoint this is, and why the thread failed if it did."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.theme import Theme
from textual.widgets import Static

from engine.debug.inbox import WaitingThread, payload_summary
from engine.debug.lint_view import short_note
from engine.debug.model import CheckpointSummary, ThreadSummary
from engine.debug.status import failed_after, is_latest
from engine.debug.subgraphs import SubgraphRun
from engine.lint import Finding
from tui.checkpoint_nodes import nodes_that_ran
from tui.guard import Guarded
from tui.safe_text import literal
from tui.thread_status import describe_damage, describe_error
from tui.value_format import format_time
from tui.widgets.inbox_list import WAITING_MARK


class CheckpointHeader(Guarded, Static):
    """Step, source, the nodes that ran and run next, the thread's error, then time, id and parent."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"checkpoint-header--label", "checkpoint-header--error"}

    shown: tuple[ThreadSummary, CheckpointSummary] | None = None
    """What the header shows, to show again in a new theme's colours."""
    waiting: WaitingThread | None = None
    """What the shown thread waits for, when it waits for input."""
    subgraphs: tuple[str, list[SubgraphRun]] | None = None
    """(checkpoint id, the subgraph runs of its step), once read."""
    predicted: tuple[str, list[Finding]] | None = None
    """(checkpoint id, the lint findings that predicted the failure of the step after it)."""

    def on_mount(self) -> None:
        # The text holds its component styles' colours as it was built: build it again.
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: Theme) -> None:
        if self.shown is not None:
            self.show_checkpoint(*self.shown)

    def set_waiting(self, waiting: WaitingThread | None) -> None:
        """Say what the thread waits for (None: nothing); shown at its newest checkpoint."""
        if waiting != self.waiting:
            self.waiting = waiting
            if self.shown is not None:
                self.show_checkpoint(*self.shown)

    def show_subgraphs(self, checkpoint_id: str, runs: list[SubgraphRun]) -> None:
        """Say which subgraphs the step of ``checkpoint_id`` ran (``o`` opens them), when it is
        the checkpoint shown."""
        self.subgraphs = (checkpoint_id, runs)
        self._show_again(checkpoint_id)

    def show_predicted(self, checkpoint_id: str, findings: list[Finding]) -> None:
        """Say which lint findings foretold the failure after ``checkpoint_id`` (if it is shown)."""
        self.predicted = (checkpoint_id, findings)
        self._show_again(checkpoint_id)

    def _show_again(self, checkpoint_id: str) -> None:
        """Redraw with what was just learnt of ``checkpoint_id``, if it is the one shown."""
        if self.shown is not None and self.shown[1].checkpoint_id == checkpoint_id:
            self.show_checkpoint(*self.shown)

    def show_checkpoint(self, thread: ThreadSummary, checkpoint: CheckpointSummary) -> None:
        self.shown = (thread, checkpoint)
        asking = self.waiting if self.waiting is not None and self.waiting.thread.thread_id == thread.thread_id else None
        label = self.get_component_rich_style("checkpoint-header--label", partial=True)
        error = self.get_component_rich_style("checkpoint-header--error", partial=True)
        text = Text(end="")

        def field(name: str, value: object) -> None:
            text.append(f"{name} ", style=label)
            text.append_text(literal(value, limit=200))

        for what, damage in (("thread", thread.damage), ("checkpoint", checkpoint.damage)):
            if damage:
                text.append_text(literal(describe_damage(damage, what=what), style=error, limit=400))
                text.append("\n")

        field("step", checkpoint.step)
        text.append("  ")
        field("source", checkpoint.source)
        text.append("\n")
        nodes = nodes_that_ran(checkpoint, none="nothing" if checkpoint.metadata else "unknown (its metadata cannot be read)")
        if checkpoint.source == "input":
            field("ran", "nothing: this is the run's input")
        elif checkpoint.source == "fork":
            field("ran", "nothing: a copy of its parent, where a replay starts")
        elif checkpoint.source == "update":
            edited_as = checkpoint.metadata.get("edited_as")
            field("edited", f"state set by hand, as if {edited_as or nodes} had written it")
        else:
            field("ran", nodes)
        text.append("  →  ")
        field("next", ", ".join(checkpoint.next) or "nothing (the run ended here)")
        if self.subgraphs is not None and self.subgraphs[0] == checkpoint.checkpoint_id and self.subgraphs[1]:
            runs = self.subgraphs[1]
            names = ", ".join(dict.fromkeys(r.node for r in runs))
            if len(runs) == 1:
                hint = f"⧉ {names} ran a subgraph ({runs[0].checkpoints} checkpoints): o opens its history"
            else:
                hint = f"⧉ {names} ran {len(runs)} subgraph runs: o lists them"
            text.append("\n")
            text.append_text(literal(hint, limit=300))
        warnings = checkpoint.metadata.get("warnings")
        for warning in warnings[:5] if isinstance(warnings, list) else ():
            text.append("\n")
            text.append_text(literal(f"⚠ {warning}", style=error, limit=300))
        if thread.status == "error" and thread.error:
            text.append("\n")
            kind, message, where = describe_error(thread.error)
            if failed_after(thread, checkpoint):
                text.append_text(
                    literal(
                        f"✖ The next step failed{where}: {kind}: {message}",
                        style=error,
                        keep_newlines=True,
                        limit=2000,
                    )
                )
                if self.predicted is not None and self.predicted[0] == checkpoint.checkpoint_id and self.predicted[1]:
                    first, more = self.predicted[1][0], len(self.predicted[1]) - 1
                    extra = f" (and {more} more: L lists them)" if more else " (L lists the findings)"
                    text.append("\n")
                    text.append_text(literal(f"  retrace lint foretold it: {first.channel}: {short_note(first)}{extra}", limit=400))
            else:
                text.append_text(
                    literal(
                        f"✖ This thread failed later{where} ({kind}); its newest checkpoint shows why.",
                        style=error,
                    )
                )
        elif thread.status == "pending" and is_latest(thread, checkpoint) and checkpoint.source == "update":
            text.append("\n")
            text.append("… edited by hand and not run since: c continues from here (with the graph attached)")
        elif asking is not None and asking.interrupts and is_latest(thread, checkpoint):
            # The keys before the description: a short terminal cuts the header's last lines.
            for i, item in enumerate(asking.interrupts):
                what, why = payload_summary(item.value)
                text.append("\n")
                text.append_text(literal(f"{WAITING_MARK} {item.node} waits for input: {what}", style=error, limit=400))
                if i == 0:
                    text.append("\n  a approve · x reject (with a reason) · E edit the answer as JSON")
                if why:
                    text.append("\n")
                    text.append_text(literal(f"  {why}", limit=400))
        elif thread.status == "interrupted" and is_latest(thread, checkpoint):
            text.append("\n")
            text.append(
                f"⏸ paused at a breakpoint before {', '.join(checkpoint.next) or 'the next step'}: "
                "c goes on from here (with the graph attached)"
            )
        elif thread.status == "pending" and is_latest(thread, checkpoint):
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
        self.shown = None
        self.update(Text(""))
        self.display = False
