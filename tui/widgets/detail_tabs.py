"""The tabs every view of one checkpoint has (State, Diff, Writes, Metadata): one place, so the
debugger and the subgraph view show a checkpoint the same way."""

from __future__ import annotations

from textual.widgets import TabPane

from tui.widgets.state_tree import StateTree
from tui.widgets.text_tab import TextTab


def checkpoint_panes() -> list[TabPane]:
    """The panes to yield inside ``TabbedContent(id="detail")``: the State tree and the Diff,
    Writes and Metadata texts (ids ``state-tree``, ``diff-text``, ``writes-text``,
    ``metadata-text``)."""
    return [
        TabPane("State", StateTree(id="state-tree"), id="state"),
        TabPane("Diff", TextTab(id="diff-text"), id="diff"),
        TabPane("Writes", TextTab(id="writes-text"), id="writes"),
        TabPane("Metadata", TextTab(id="metadata-text"), id="metadata"),
    ]
