"""Lineage: parent chains, branch heads, and the branch graph drawn like ``git log --graph``."""

from __future__ import annotations

from engine.checkpoint.sqlite import CheckpointSummary
from engine.debug.lineage import BranchDrawer, children_of, head_of, parent_chain


def cp(cid: str, parent: str | None, step: int) -> CheckpointSummary:
    return CheckpointSummary(
        thread_id="t", checkpoint_ns="", checkpoint_id=cid, parent_checkpoint_id=parent, step=step,
        source="loop", created_at="", next=(), metadata={}, writes={},
    )


# a0 <- a1 <- a2 <- a3 (the first run), a1 <- b2 <- b3 (an edit at a1, continued): newest first
HISTORY = [cp("b3", "b2", 3), cp("b2", "a1", 2), cp("a3", "a2", 3), cp("a2", "a1", 2), cp("a1", "a0", 1), cp("a0", None, 0)]


def test_children_chains_and_heads() -> None:
    assert children_of(HISTORY)["a1"] == ["b2", "a2"]
    assert [c.checkpoint_id for c in parent_chain(HISTORY, HISTORY[0])] == ["b3", "b2", "a1", "a0"]
    by_id = {c.checkpoint_id: c for c in HISTORY}
    assert head_of(HISTORY, by_id["a2"]).checkpoint_id == "a3"
    assert head_of(HISTORY, by_id["a1"]).checkpoint_id == "b3"  # the newest branch through it
    assert head_of(HISTORY, by_id["b3"]).checkpoint_id == "b3"


def test_the_branch_graph_draws_lanes_and_marks_fork_points_and_heads() -> None:
    drawer = BranchDrawer(thread_head="b3")
    cells = [drawer.draw(c) for c in HISTORY]
    assert [c.glyphs for c in cells] == ["◉", "●", "│ ●", "│ ●", "◆─╯", "●"]
    assert [c.branch_head for c in cells] == [True, False, True, False, False, False]
    assert [c.fork_point for c in cells] == [False, False, False, False, True, False]


def test_drawing_a_page_at_a_time_gives_the_same_rows() -> None:
    whole = BranchDrawer(thread_head="b3")
    expected = [whole.draw(c).glyphs for c in HISTORY]
    paged = BranchDrawer(thread_head="b3")
    rows = [paged.draw(c).glyphs for c in HISTORY[:3]] + [paged.draw(c).glyphs for c in HISTORY[3:]]
    assert rows == expected
