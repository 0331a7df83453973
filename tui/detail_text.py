"""What the Diff, Writes and Metadata tabs show, as Rich ``Text`` built from the core's data.

Pure functions; every string from the database goes in through :func:`tui.safe_text.literal`
(escapes and markup inert), and every value is cut to what is shown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from rich.text import Text

from engine.checkpoint.base import PendingWrite
from engine.checkpoint.serde import jsonable
from engine.constants import ATTEMPTS, ERROR_CHANNEL, NO_WRITES
from engine.debug.diff import StateDiff
from engine.debug.model import CheckpointSummary
from engine.debug.provenance import Provenance
from engine.pregel.pending import TaskOutcome, task_outcomes
from engine.pregel.timing import StepTiming, step_timing
from tui.checkpoint_nodes import nodes_that_ran
from tui.cli_views import change_lines
from tui.safe_text import literal
from tui.value_format import format_duration, inline

PREVIEW = 120
MAX_LINES = 2_000
"""Lines a tab draws at most; the rest is counted, not drawn."""

def _line(out: Text, text: str, style: str = "", limit: int | None = None) -> None:
    out.append_text(literal(text, style=style, limit=limit))
    out.append("\n")


_MARKS = {"added": "+", "removed": "-", "changed": "~"}
Styles = Mapping[str, str]
"""Role -> Rich style: ``added``, ``removed``, ``changed``, ``muted``, ``key``, ``error`` (the
widget fills them from the theme, so every theme reads well)."""


def describe_checkpoint(summary: CheckpointSummary) -> str:
    """``step 3 · loop · tools``, ``step 2 · update · edited as agent``."""
    what = f"edited as {summary.metadata.get('edited_as', '?')}" if summary.source == "update" else nodes_that_ran(summary, none="nothing ran")
    return f"step {summary.step} · {summary.source} · {what}"


def diff_text(
    diff: StateDiff,
    before: CheckpointSummary,
    after: CheckpointSummary,
    *,
    against: tuple[str, str],
    provenance: Mapping[str, Provenance],
    raw_writes: Sequence[PendingWrite] = (),
    styles: Styles,
    ids: Mapping[str, str] | None = None,
) -> Text:
    """The Diff tab: what changed from ``before`` to ``after``, channel by channel, each changed
    channel with who wrote its value (``provenance``) and, when ``after``'s own step made the
    change, the raw writes beside the reduced value. ``against`` says which side is which
    (``("parent", "selected")``, ``("selected", "marked")``); ``ids`` gives short ids to show."""
    out = Text()
    ids = ids or {}
    other = before.thread_id != after.thread_id
    for label, side, what in (("from", before, against[0]), ("to", after, against[1])):
        thread = f", thread {side.thread_id}" if other else ""
        short = ids.get(side.checkpoint_id, side.checkpoint_id)
        _line(out, f"{label:<5}{describe_checkpoint(side)}  ({what}{thread})  {short}", style=styles.get("muted", ""))
    out.append("\n")
    if not diff.channels:
        out.append("No channel changed.\n")
    lines = 0
    by_channel: dict[str, list[PendingWrite]] = {}
    for write in raw_writes:
        by_channel.setdefault(write.channel, []).append(write)
    for channel in diff.channels:
        if lines > MAX_LINES:
            break
        out.append(f"{_MARKS[channel.status]} ", style=f"bold {styles.get(channel.status, '')}")
        out.append_text(literal(channel.channel, style="bold"))
        out.append_text(literal(f"  {channel.summary}"))
        if channel.channel in provenance:
            out.append_text(literal(f"  ({provenance[channel.channel].describe()})", style="italic"))
        out.append("\n")
        for change in channel.changes:
            for line in change_lines(change):
                first = line.lstrip()[:1]
                style = styles.get("added" if first == "+" else "removed" if first == "-" else "", "")
                _line(out, line, style=style, limit=PREVIEW * 2)
                lines += 1
        if channel.more:
            out.append(f"    … and {channel.more:,} more changes\n", style=styles.get("muted", ""))
        for write in by_channel.get(channel.channel, []):
            _line(out, f"    raw write by {write.task_name}: {inline(write.value, PREVIEW)}", style=styles.get("muted", ""))
        lines += 1
    out.append(f"\n{diff.unchanged} channel{'s' * (diff.unchanged != 1)} unchanged", style=styles.get("muted", ""))
    return out


def writes_text(step_writes: Sequence[PendingWrite] | None, summary: CheckpointSummary, styles: Styles) -> Text:
    """The Writes tab: per task of the step that made ``summary``, its node, and each write's
    channel and raw value (before any reducer)."""
    out = Text()
    if step_writes is None:
        out.append_text(literal(f"No step made this checkpoint ({summary.source}): nothing was written.", style=styles.get("muted", "")))
        return out
    if not step_writes:
        out.append("No writes were recorded for this step.", style=styles.get("muted", ""))
        return out
    for outcome in task_outcomes(step_writes).values():
        out.append_text(literal(outcome.node, style="bold"))
        out.append_text(literal(f"  task {outcome.task_id[:8]}", style=styles.get("muted", "")))
        if outcome.error is not None and not outcome.finished:
            out.append("  failed", style=styles.get("error", ""))
        elif outcome.failed_then_finished:
            out.append("  failed once, then succeeded on resume", style=styles.get("changed", ""))
        if note := attempts_note(outcome):
            out.append(f"  {note}", style=styles.get("muted", ""))
        out.append("\n")
        for write in outcome.rows:
            if write.channel == ATTEMPTS:
                continue  # shown as the note above and the bars below
            if write.channel == NO_WRITES:
                out.append("    (finished without writing anything)\n", style=styles.get("muted", ""))
                continue
            name = "error" if write.channel == ERROR_CHANNEL else write.channel
            out.append_text(literal(f"    {name}", style=styles.get("key" if name != "error" else "error", "")))
            _line(out, f" = {inline(write.value, PREVIEW)}")
    out.append_text(timing_text(step_timing(step_writes), styles))
    return out


BAR_WIDTH = 32


def attempts_note(outcome: TaskOutcome) -> str:
    """``"12 ms"``, ``"3 attempts (2 failed), 1.2 s"``: a task's time and retries, from its
    attempts row ("" when none was recorded, as in a file LangGraph wrote)."""
    timing = next((t for t in step_timing(outcome.rows).tasks), None)
    if timing is None or not timing.attempts:
        return ""
    took = format_duration(timing.duration_ms)
    if timing.attempts > 1:
        failed = f" ({timing.failed} failed)" if timing.failed else ""
        took = f"{timing.attempts} attempts{failed}, {took}"
    if timing.earlier_attempts:
        took += f"; {timing.earlier_attempts} before the step was resumed"
    return took


def timing_text(timing: StepTiming, styles: Styles) -> Text:
    """A bar per task on the step's time line (offset, then duration), widest = the step."""
    out = Text()
    timed = [t for t in timing.tasks if t.offset_ms is not None and t.duration_ms is not None]
    if not timed or not timing.duration_ms:
        return out
    out.append(f"\nWhere the step's {format_duration(timing.duration_ms)} went\n", style="bold")
    scale = BAR_WIDTH / timing.duration_ms
    width = min(20, max(len(t.node) for t in timed))
    for t in timed:
        assert t.offset_ms is not None and t.duration_ms is not None
        start = min(BAR_WIDTH - 1, int(t.offset_ms * scale))
        length = max(1, min(BAR_WIDTH - start, round(t.duration_ms * scale)))
        out.append_text(literal(f"  {t.node[:width]:<{width}} ", style=styles.get("key", "")))
        out.append("·" * start, style=styles.get("muted", ""))
        out.append("█" * length, style=styles.get("changed" if t.failed else "key", ""))
        out.append("·" * (BAR_WIDTH - start - length), style=styles.get("muted", ""))
        retried = f"  {t.attempts} attempts" if t.attempts > 1 else ""
        out.append(f"  {format_duration(t.duration_ms)}{retried}\n")
    return out


def metadata_text(summary: CheckpointSummary, styles: Styles) -> Text:
    """The Metadata tab: the checkpoint's ids and its stored metadata as JSON."""
    out = Text()
    for label, value in (
        ("checkpoint", summary.checkpoint_id),
        ("parent", summary.parent_checkpoint_id or "none"),
        ("thread", summary.thread_id),
        ("namespace", summary.checkpoint_ns or "(root)"),
        ("saved", summary.created_at),
        ("next", ", ".join(summary.next) or "nothing"),
    ):
        out.append(f"{label:<11}", style=styles.get("muted", ""))
        _line(out, f"{value}")
    out.append("\nmetadata\n", style="bold")
    body = json.dumps(jsonable(summary.metadata), indent=2, ensure_ascii=False, default=str)
    out.append_text(literal(body, limit=20_000, keep_newlines=True))
    return out
