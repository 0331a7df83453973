"""The debugger's own messages: small dataclasses that carry data up the DOM.

Two kinds: results that workers post when a database read finishes (``*Loaded``, ``Reloaded``,
``Database*``), and requests a pane posts to its screen (``*Highlighted``, ``More*Wanted``,
``ValueRequested``); newer panes declare their requests as nested classes, as Textual's own
widgets do (``NamespaceTree.Chosen``).
Panes never call each other; the screen turns requests into workers and results into attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from engine.checkpoint.base import PendingWrite
from engine.debug.inbox import WaitingThread
from engine.debug.model import CheckpointDetail, CheckpointSummary, ThreadSummary
from engine.debug.source import CheckpointSource, StoreNamespace, StoreRecord
from engine.debug.subgraphs import SubgraphRun
from engine.lint import Finding


@dataclass
class DatabaseOpened(Message):
    """The database opened; the app shows the debugger on it."""

    reader: CheckpointSource


@dataclass
class DatabaseFailed(Message):
    """The database could not be opened; ``reason`` says why, in words for the user."""

    reason: str


@dataclass
class ThreadsLoaded(Message):
    """A page of threads, starting at row ``offset``; ``complete`` when there are no more."""

    offset: int
    threads: list[ThreadSummary]
    complete: bool


@dataclass
class HistoryLoaded(Message):
    """A page of a thread's checkpoints, newest first, older than ``before`` (None: the newest)."""

    thread_id: str
    before: str | None
    checkpoints: list[CheckpointSummary]
    complete: bool
    jump: str | None = None
    """What to move to once the page is in: ``"oldest"``, or ``"step:N"`` (on the branch)."""


@dataclass
class CheckpointLoaded(Message):
    """A checkpoint's values, what the step that made it wrote (None: no step did, as for an
    input), the pending writes of a next step that did not complete (else empty), and the
    subgraph runs of those steps."""

    thread: ThreadSummary
    detail: CheckpointDetail
    step_writes: list[PendingWrite] | None
    next_writes: list[PendingWrite]
    subgraphs: list[SubgraphRun]
    findings: list[Finding]
    """The lint's findings on the thread's attached graph ([] when none is attached)."""


@dataclass
class Reloaded(Message):
    """The threads read again from the top, and the history of ``thread_id`` (None: no thread
    was selected), as many rows of each as were loaded before."""

    threads: list[ThreadSummary]
    threads_complete: bool
    thread_id: str | None
    checkpoints: list[CheckpointSummary]
    history_complete: bool
    replaced: bool = False
    """The file had been replaced by another one (deleted and made again) since it was opened."""


@dataclass
class ReaderReopened(Message):
    """A reload opened the database file again (it may have been replaced since)."""

    reader: CheckpointSource


@dataclass
class ThreadHighlighted(Message):
    """The threads pane's cursor moved to ``thread``."""

    thread: ThreadSummary


@dataclass
class CheckpointHighlighted(Message):
    """The history pane's cursor moved to ``checkpoint``."""

    checkpoint: CheckpointSummary


@dataclass
class MoreThreadsWanted(Message):
    """The threads pane's cursor is near its last row: load the page after its last row
    (``after`` = its ``(updated_at, thread_id)``; ``offset`` = how many rows are loaded)."""

    offset: int
    after: tuple[str, str] | None = None


@dataclass
class MoreHistoryWanted(Message):
    """The history pane's cursor is near its last row: load the checkpoints before ``before``."""

    thread_id: str
    before: str


@dataclass
class ChannelNoteShown(Message):
    """The state tree's cursor is on a channel the lint has ``note`` on (None: it left it)."""

    note: str | None


@dataclass
class ValueRequested(Message):
    """Show ``value`` whole in the value viewer, under the heading ``path``."""

    path: str
    value: Any


@dataclass
class GoToThreadRequested(Message):
    """The palette's ``Go to thread <id>`` (or the Inbox's enter): select that (loaded) thread
    and focus its history; ``show_state`` also shows its State tab."""

    thread_id: str
    show_state: bool = False


@dataclass
class DiffLoaded(Message):
    """The diff of ``before`` -> ``after`` (checkpoint ids), drawn as ``text`` for the Diff tab."""

    before_id: str
    after_id: str
    text: Any


@dataclass
class RunProgress(Message):
    """A replay or continue saved a checkpoint: ``line`` says which (step, source, nodes)."""

    thread_id: str
    checkpoint_id: str | None
    line: str


@dataclass
class RunFinished(Message):
    """A run ended: ``last`` is its newest checkpoint's id (None: it wrote none), ``error``
    what stopped it (None: no failure); ``interrupts`` what it waits for now, ``next`` the
    nodes still to run where it paused (both empty: it ran to the end)."""

    thread_id: str
    last: str | None
    checkpoints: int
    error: BaseException | None
    interrupts: tuple[Any, ...] = ()
    next: tuple[str, ...] = ()


@dataclass
class EditSaved(Message):
    """An edit was saved as checkpoint ``checkpoint_id`` of ``thread_id``: select it."""

    thread_id: str
    checkpoint_id: str


@dataclass
class RestOfHistoryWanted(Message):
    """``G`` (or go-to-step) in the history: load every checkpoint older than the loaded ones,
    then move to ``jump`` (see :class:`HistoryLoaded`)."""

    thread_id: str
    jump: str


@dataclass
class InboxLoaded(Message):
    """The threads waiting for input (or at a breakpoint), newest first."""

    waiting: list[WaitingThread]


@dataclass
class StoreNamespacesLoaded(Message):
    """A page of the memory store's namespaces from ``offset`` on (``replace``: from the top,
    read again after the file changed, instead of the ones shown)."""

    offset: int
    namespaces: list[StoreNamespace]
    complete: bool
    replace: bool = False


@dataclass
class StoreItemsLoaded(Message):
    """A page of the items of the namespace ``path`` from ``offset`` on, the most recently
    written first (``replace``: from the top, read again, instead of the ones shown)."""

    path: tuple[str, ...]
    offset: int
    items: list[StoreRecord]
    complete: bool
    replace: bool = False
