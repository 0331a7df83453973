"""Provenance: which node, in which step, wrote the value a channel has at a checkpoint.

Read from the data: a channel's version names the checkpoint whose step wrote it
(:func:`engine.pregel.algo.version_checkpoint`), and that checkpoint's metadata names the nodes
that wrote the channel, or the person's edit (source ``update``, ``edited_as``). Versions
written by an older retrace name no checkpoint; then the writes of the checkpoint's own step
are the best answer there is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from engine.debug.model import CheckpointDetail, CheckpointSummary
from engine.pregel.algo import version_checkpoint

__all__ = ["Provenance", "provenance"]


@dataclass(frozen=True)
class Provenance:
    """Who wrote a channel's value: the checkpoint and step, the nodes, or an edit as a node."""

    checkpoint_id: str
    step: int
    nodes: tuple[str, ...]
    edited_as: str | None = None

    def describe(self) -> str:
        """``written by agent in step 3`` / ``edited as agent in step 2`` / ``set in step 0``."""
        if self.edited_as is not None:
            return f"edited as {self.edited_as} in step {self.step}"
        if self.nodes:
            return f"written by {', '.join(self.nodes)} in step {self.step}"
        return f"set in step {self.step}"


def _from(summary: CheckpointSummary, channel: str) -> Provenance:
    nodes = tuple(sorted(n for n, keys in summary.writes.items() if channel in keys))
    edited = summary.metadata.get("edited_as") if summary.source == "update" else None
    return Provenance(summary.checkpoint_id, summary.step, nodes, str(edited) if edited is not None else None)


def provenance(
    after: CheckpointDetail, channels: Iterable[str], known: Mapping[str, CheckpointSummary]
) -> dict[str, Provenance]:
    """Channel -> :class:`Provenance` of its value at ``after``, for those of ``channels`` it
    has. ``known`` holds the thread's checkpoints read so far, by id; a writer not among them
    (not loaded yet) is left out, and so is a channel no step wrote."""
    out = {}
    for channel in channels:
        if channel not in after.channel_values:
            continue
        writer = version_checkpoint(after.channel_versions.get(channel))
        summary = after.summary if writer == after.summary.checkpoint_id else known.get(writer or "")
        if writer is None and channel in {k for keys in after.summary.writes.values() for k in keys}:
            summary = after.summary  # an older retrace's versions: this step's writes are the answer
        if summary is not None:
            out[channel] = _from(summary, channel)
    return out
