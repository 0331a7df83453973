"""Lineage of a thread's checkpoints: parents, children, branches, and the branch graph to draw.

A thread's checkpoints form a tree: each has at most one parent, and a checkpoint with several
children is a fork point (a replay or an edit started a branch there). Every function works on
the checkpoints loaded so far (newest first, as the reader lists them), so a history read a page
at a time can be drawn a page at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from engine.debug.model import CheckpointSummary

__all__ = ["BranchDrawer", "GraphCell", "children_of", "head_of", "parent_chain"]


def children_of(history: Iterable[CheckpointSummary]) -> dict[str, list[str]]:
    """Checkpoint id -> the ids of its children, newest first."""
    out: dict[str, list[str]] = {}
    for checkpoint in history:
        if checkpoint.parent_checkpoint_id:
            out.setdefault(checkpoint.parent_checkpoint_id, []).append(checkpoint.checkpoint_id)
    return out


def parent_chain(history: Sequence[CheckpointSummary], head: CheckpointSummary) -> list[CheckpointSummary]:
    """``head`` and its ancestors, newest first (as far as ``history`` has them)."""
    by_id = {c.checkpoint_id: c for c in history}
    chain, seen = [], set()
    current: CheckpointSummary | None = head
    while current is not None and current.checkpoint_id not in seen:
        chain.append(current)
        seen.add(current.checkpoint_id)
        current = by_id.get(current.parent_checkpoint_id or "")
    return chain


def head_of(history: Sequence[CheckpointSummary], checkpoint: CheckpointSummary) -> CheckpointSummary:
    """The newest checkpoint whose parent chain holds ``checkpoint``: the head of its branch
    (itself when nothing newer descends from it)."""
    kids = children_of(history)
    by_id = {c.checkpoint_id: c for c in history}
    newest, stack = checkpoint, [checkpoint.checkpoint_id]
    while stack:
        for child in kids.get(stack.pop(), []):
            if child in by_id and child > newest.checkpoint_id:  # ids are time-ordered
                newest = by_id[child]
            stack.append(child)
    return newest


@dataclass(frozen=True)
class GraphCell:
    """How one history row is drawn: ``glyphs`` (lanes, like ``git log --graph``), and what the
    row is: a fork point (several children), a branch head (no child), the thread's head."""

    glyphs: str
    fork_point: bool
    branch_head: bool
    thread_head: bool


@dataclass
class BranchDrawer:
    """Draws history rows newest first, one call per row; keeps the lanes between calls.

    Each lane waits for a checkpoint id (the parent of the row that opened it). A row takes the
    leftmost lane waiting for it, or opens one (a branch head); other lanes waiting for it end
    there (it is their fork point).
    """

    thread_head: str | None = None
    lanes: list[str | None] = field(default_factory=list)

    def draw(self, checkpoint: CheckpointSummary) -> GraphCell:
        cid = checkpoint.checkpoint_id
        waiting = [i for i, lane in enumerate(self.lanes) if lane == cid]
        head = not waiting
        if head:
            mine = self.lanes.index(None) if None in self.lanes else len(self.lanes)
            if mine == len(self.lanes):
                self.lanes.append(None)
        else:
            mine = waiting[0]
        merging = set(waiting[1:])
        fork = len(waiting) > 1
        mark = "◉" if cid == self.thread_head else ("◆" if fork else "●")
        cells = []
        for i, lane in enumerate(self.lanes):
            if i == mine:
                cells.append(mark)
            elif i in merging:
                cells.append("╯")
            else:
                cells.append("│" if lane is not None else " ")
        # The row's own lane runs on to its parent; lanes that merged here end.
        last_merge = max(merging, default=-1)
        joiners = "".join("─" if mine < i <= last_merge else " " for i in range(1, len(cells)))
        glyphs = cells[0] + "".join(j + c for j, c in zip(joiners, cells[1:]))
        self.lanes[mine] = checkpoint.parent_checkpoint_id
        for i in merging:
            self.lanes[i] = None
        while self.lanes and self.lanes[-1] is None:
            self.lanes.pop()
        return GraphCell(glyphs.rstrip(), fork, head, cid == self.thread_head)
