"""What ``retrace show`` and ``retrace diff`` print: a checkpoint, and the diff of two, as
literal text lines for a terminal or as plain data for ``--json``. Pure functions; every string
from the database goes through :func:`tui.safe_text.escape_control`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.checkpoint.base import PendingWrite
from engine.debug.diff import ChannelDiff, StateDiff, ValueChange
from engine.debug.model import CheckpointDetail, CheckpointSummary, ThreadSummary
from engine.debug.provenance import Provenance
from engine.pregel.pending import task_outcomes
from tui.checkpoint_nodes import nodes_that_ran
from tui.safe_text import escape_control
from tui.thread_status import describe_damage, describe_error
from tui.value_format import inline

PREVIEW = 100
"""Characters of a value shown on one line."""


def _path(path: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def checkpoint_ref(summary: CheckpointSummary) -> dict[str, Any]:
    return {
        "checkpoint_id": summary.checkpoint_id, "step": summary.step, "source": summary.source,
        "thread_id": summary.thread_id,
    }


def show_text(detail: CheckpointDetail, step_writes: list[PendingWrite] | None) -> list[str]:
    """A checkpoint for a terminal: what made it, its state (one line a channel), its step's writes."""
    s = detail.summary
    lines = [
        f"checkpoint {s.checkpoint_id}  step {s.step}  source {s.source}",
        f"parent     {s.parent_checkpoint_id or 'none (first checkpoint)'}",
        f"ran        {nodes_that_ran(s, none='nothing')}  →  next {', '.join(s.next) or 'nothing'}",
        f"saved      {s.created_at}",
    ]
    if s.damage:
        lines.append(describe_damage(s.damage, what="checkpoint"))
    lines.append(f"state ({len(detail.channel_values)} channels):")
    lines += [f"  {name}: {inline(value, PREVIEW)}" for name, value in sorted(detail.channel_values.items())]
    if step_writes:
        lines.append("written in this step:")
        lines += [f"  {w.task_name} → {w.channel}: {inline(w.value, PREVIEW)}" for w in step_writes]
    return [escape_control(line) for line in lines]


def failed_step(thread: ThreadSummary, next_writes: list[PendingWrite]) -> dict[str, Any]:
    """The step that failed after the shown checkpoint: ``{"error": {"type", "message", "node"},
    "tasks": [{"task_id", "node", "finished", "error"}, ...]}`` (what finished is reused when it
    is resumed)."""
    kind, message, _ = describe_error(thread.error)
    node = thread.error.get("node") if isinstance(thread.error, dict) else None
    return {
        "error": {"type": kind, "message": message, "node": node},
        "tasks": [
            {"task_id": o.task_id, "node": o.node, "finished": o.finished, "error": o.error}
            for o in task_outcomes(next_writes).values()
        ],
    }


def failed_step_text(failed: dict[str, Any]) -> list[str]:
    """:func:`failed_step` for a terminal, each line neutralised."""
    error = failed["error"]
    where = f" in node {error['node']}" if error["node"] else ""
    lines = [f"✖ the next step failed{where}: {error['type']}: {error['message']}"]
    for task in failed["tasks"]:
        if task["finished"]:
            outcome = "finished (kept: a resume does not run it again)"
        elif task["error"] is not None:
            outcome = "failed: {}: {}".format(*describe_error(task["error"])[:2])
        else:
            outcome = "did not finish"
        lines.append(f"  task {task['node']} {str(task['task_id'])[:8]}: {outcome}")
    lines.append("  resume it with `retrace run GRAPH --db PATH --thread ID`, or R in the debugger")
    return [escape_control(line, limit=2000) for line in lines]


def show_data(detail: CheckpointDetail, step_writes: list[PendingWrite] | None) -> dict[str, Any]:
    s = detail.summary
    return {
        **checkpoint_ref(s),
        "parent_checkpoint_id": s.parent_checkpoint_id,
        "created_at": s.created_at,
        "next": list(s.next),
        "metadata": s.metadata,
        "values": detail.channel_values,
        "writes": [
            {"task_id": w.task_id, "node": w.task_name, "channel": w.channel, "value": w.value, "idx": w.idx}
            for w in step_writes or []
        ],
        "damage": list(s.damage),
    }


def change_lines(change: ValueChange) -> list[str]:
    """One change of a channel as indented lines (not yet neutralised)."""
    where = _path(change.path) or "(the value)"
    if change.text_diff:
        return [f"    {where}: text changed", *(f"      {line}" for line in change.text_diff[:40])]
    if change.kind == "added":
        return [f"    + {where}: {inline(change.after, PREVIEW)}"]
    if change.kind == "removed":
        return [f"    - {where}: {inline(change.before, PREVIEW)}"]
    kind = " (type changed)" if change.kind == "type" else ""
    return [f"    ~ {where}{kind}: {inline(change.before, PREVIEW // 2)} → {inline(change.after, PREVIEW // 2)}"]


def diff_text(diff: StateDiff, found: Mapping[str, Provenance]) -> list[str]:
    """The diff for a terminal: a line per changed channel (with who wrote its value, when
    known), the changes under it, and the count of unchanged channels."""
    lines: list[str] = []
    marks = {"added": "+", "removed": "-", "changed": "~"}
    for channel in diff.channels:
        by = f"  ({found[channel.channel].describe()})" if channel.channel in found else ""
        lines.append(f"{marks[channel.status]} {channel.channel}: {channel.summary}{by}")
        for change in channel.changes:
            lines += change_lines(change)
        if channel.more:
            lines.append(f"    … and {channel.more:,} more changes")
    lines.append(f"{diff.unchanged} channel{'s' * (diff.unchanged != 1)} unchanged")
    return [escape_control(line) for line in lines]


def _provenance_data(found: Provenance | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {"checkpoint_id": found.checkpoint_id, "step": found.step, "nodes": list(found.nodes), "edited_as": found.edited_as}


def _channel_data(channel: ChannelDiff, found: Mapping[str, Provenance]) -> dict[str, Any]:
    return {
        "channel": channel.channel,
        "status": channel.status,
        "summary": channel.summary,
        "written_by": list(found[channel.channel].nodes) if channel.channel in found else [],
        "provenance": _provenance_data(found.get(channel.channel)),
        "changes": [
            {"path": list(c.path), "kind": c.kind, "before": c.before, "after": c.after,
             "text_diff": list(c.text_diff)}
            for c in channel.changes
        ],
        "more_changes": channel.more,
    }


def diff_data(
    diff: StateDiff, before: CheckpointSummary, after: CheckpointSummary, found: Mapping[str, Provenance]
) -> dict[str, Any]:
    return {
        "from": checkpoint_ref(before),
        "to": checkpoint_ref(after),
        "channels": [_channel_data(c, found) for c in diff.channels],
        "unchanged": diff.unchanged,
    }
