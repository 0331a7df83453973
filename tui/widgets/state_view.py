"""What the state tree shows: one checkpoint's data, and what each of its nodes stands for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.checkpoint.base import PendingWrite
from engine.debug.model import CheckpointDetail

Path = tuple[str, ...]


@dataclass
class Entry:
    """What a tree node stands for: a value at ``path`` (or a heading when ``is_value`` is False)."""

    path: Path
    value: Any = None
    is_value: bool = True
    loaded: bool = False
    title: str = ""
    """Where the value is, for the value viewer's heading: ``messages › 3 › content``."""
    newest_first: bool = False
    """A long list: its children are listed last item first."""
    finding: str | None = None
    """The lint's note on this channel, shown when it is selected."""


@dataclass(frozen=True)
class StateView:
    """Everything the tree shows for one checkpoint."""

    detail: CheckpointDetail
    step_writes: list[PendingWrite] | None
    """What the nodes that made this checkpoint wrote (recorded against its parent); None when no
    node made it (a run's input, or a first checkpoint)."""
    next_writes: list[PendingWrite] = field(default_factory=list)
    """What the finished tasks of a next step that did not complete wrote (its pending writes)."""
    error: Any = None
    """The thread's error when the step after this checkpoint failed."""
    findings: dict[str, str] = field(default_factory=dict)
    """Channel -> the lint's note on it (:func:`engine.debug.lint_view.channel_notes`)."""
