"""The debugger's database reads: each runs in a worker and posts its result as a message.

One exclusive worker group per pane, so a burst of key presses leaves only the last read running.
The screen (:class:`~tui.screens.debugger.DebuggerScreen`) starts them and handles the results.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from textual import work
from textual.screen import Screen

from engine.constants import is_internal_channel
from engine.debug.diff import diff_states
from engine.debug.model import CheckpointSummary, ThreadSummary
from engine.debug.provenance import provenance
from engine.debug.refs import short_ids
from engine.debug.source import CheckpointSource, file_id, open_source
from engine.debug.status import unfinished_after
from engine.debug.steps import read_step_writes
from engine.debug.subgraphs import subgraph_runs_of
from tui.detail_text import diff_text
from tui.messages import (
    CheckpointLoaded,
    DiffLoaded,
    HistoryLoaded,
    ReaderReopened,
    Reloaded,
    ThreadsLoaded,
)

PAGE_SIZE = 200
"""Rows per read of threads or history."""

READS = {
    "threads": "threads",
    "history": "the history",
    "state": "the checkpoint",
    "diff": "the checkpoints to compare",
    "reload": "the database again",
    "inbox": "the threads waiting for input",
    "store-namespaces": "the memory store's namespaces",
    "store-items": "the memory store's items",
}
"""What each worker group reads, for the message when a read fails."""


class DebuggerReads(Screen[None]):
    """The workers of the debugger screen, on ``reader``."""

    _data_version: Any = None
    """What the live view last saw of the file (see :meth:`DebuggerInbox.poll_changes`)."""

    def __init__(self, reader: CheckpointSource) -> None:
        super().__init__()
        self.reader = reader
        self._open = asyncio.Event()
        """Set while ``reader`` is open; a reload clears it, and reads wait for the new one."""
        self._open.set()

    async def _ready(self) -> CheckpointSource:
        await self._open.wait()
        return self.reader

    @work(group="threads", exclusive=True, exit_on_error=False)
    async def load_threads(self, offset: int, after: tuple[str, str] | None = None) -> None:
        """The page of threads after ``after`` (by key; ``offset`` only says where it goes)."""
        threads = await (await self._ready()).list_threads(limit=PAGE_SIZE, after=after)
        self.post_message(ThreadsLoaded(offset, threads, complete=len(threads) < PAGE_SIZE))

    @work(group="history", exclusive=True, exit_on_error=False)
    async def load_history(self, thread_id: str, before: str | None, jump: str | None = None) -> None:
        """A page of ``thread_id``'s history older than ``before``; with ``jump``, all of it
        (then the screen moves to ``jump``)."""
        limit = None if jump else PAGE_SIZE
        page = await (await self._ready()).list_checkpoints(thread_id, limit=limit, before=before)
        complete = jump is not None or len(page) < PAGE_SIZE
        self.post_message(HistoryLoaded(thread_id, before, page, complete=complete, jump=jump))

    @work(group="state", exclusive=True, exit_on_error=False)
    async def load_checkpoint(self, thread: ThreadSummary, checkpoint_id: str) -> None:
        reader = await self._ready()
        detail = await reader.get_checkpoint(thread.thread_id, checkpoint_id)
        summary, next_writes = detail.summary, []
        step_writes = await read_step_writes(reader, summary)
        unfinished = unfinished_after(thread, summary)
        if unfinished:
            next_writes = await reader.get_pending_writes(thread.thread_id, checkpoint_id)
        runs = await subgraph_runs_of(reader, summary, step_writes, next_writes if unfinished else None)
        findings = self.session.findings_for(summary) or []
        self.post_message(CheckpointLoaded(thread, detail, step_writes, next_writes, runs, findings))

    @work(group="diff", exclusive=True, exit_on_error=False)
    async def load_diff(
        self, before: CheckpointSummary, after: CheckpointSummary, against: tuple[str, str],
        known: dict[str, CheckpointSummary], styles: dict[str, str], internal: bool = False,
    ) -> None:
        """Compare two checkpoints (any threads, any branches) for the Diff tab; the engine's
        own channels only with ``internal``."""
        reader = await self._ready()
        old = await reader.get_checkpoint(before.thread_id, before.checkpoint_id, checkpoint_ns=before.checkpoint_ns)
        new = await reader.get_checkpoint(after.thread_id, after.checkpoint_id, checkpoint_ns=after.checkpoint_ns)
        raw = await read_step_writes(reader, after) if after.parent_checkpoint_id == before.checkpoint_id else None
        def shown(values: dict) -> dict:
            return {k: v for k, v in values.items() if internal or not is_internal_channel(k)}

        diff = await asyncio.to_thread(diff_states, shown(old.channel_values), shown(new.channel_values))
        found = provenance(new, [c.channel for c in diff.channels], known)
        ids = short_ids([*known, before.checkpoint_id, after.checkpoint_id])
        text = diff_text(diff, old.summary, new.summary, against=against, provenance=found,
                         raw_writes=raw or (), styles=styles, ids=ids)
        self.post_message(DiffLoaded(before.checkpoint_id, after.checkpoint_id, text))

    @work(group="reload", exit_on_error=False)
    async def live_refresh(
        self, loaded: list[ThreadSummary], complete: bool, thread_id: str | None, checkpoint_count: int
    ) -> None:
        """Read only what changed since ``loaded`` was read: the threads updated since then, and
        ``thread_id``'s history if it is one of them; post them merged into ``loaded``."""
        since = max((t.updated_at for t in loaded), default=None)
        if since is None:
            changed, complete = await self.reader.list_threads(limit=PAGE_SIZE), False
        else:
            changed = await self.reader.list_threads(updated_since=since)
        ids = {t.thread_id for t in changed}
        merged = sorted([*changed, *(t for t in loaded if t.thread_id not in ids)], key=lambda t: t.thread_id)
        merged.sort(key=lambda t: t.updated_at, reverse=True)  # newest first, ties by id (stable)
        checkpoints, history_complete = [], True
        if thread_id in ids:
            limit = max(PAGE_SIZE, checkpoint_count)
            checkpoints = await self.reader.list_checkpoints(thread_id, limit=limit)
            history_complete = len(checkpoints) < limit
        self.post_message(
            Reloaded(merged, complete, thread_id if thread_id in ids else None, checkpoints, history_complete)
        )

    @work(group="reload", exit_on_error=False)
    async def reload(
        self, thread_count: int, thread_id: str | None, checkpoint_count: int, *, reopen: bool = True
    ) -> None:
        """Open the file again (a script may have deleted and re-made it; ``reopen=False``: only
        when it was), then read the threads and ``thread_id``'s history, at least as many rows
        as are loaded."""
        replaced = False
        path = self.reader.path
        if path is not None and (reopen or file_id(path) != self.reader.file_id):
            self._open.clear()  # reads started from now on wait for the new reader
            in_flight = [w for w in self.workers if w.group in READS and w.group != "reload" and not w.is_finished]
            for worker in in_flight:  # reads holding the old reader end before it closes
                worker.cancel()
                with contextlib.suppress(Exception):
                    await worker.wait()
            # Closed before the new one opens: a second connection to the file in this process
            # would share the first one's WAL index, which a writer may have replaced since
            # ("database disk image is malformed" on a healthy file).
            stale = self.reader
            try:
                await stale.close()
                self.reader = await open_source(stale.path)
            finally:
                self._open.set()  # open again, or closed with reads failing as "not open"
            replaced = stale.file_id != self.reader.file_id
            # The live view's baseline, taken before the reads below: a write after it is seen.
            self._data_version = await self.reader.data_version()
            self.post_message(ReaderReopened(self.reader))
        thread_limit, history_limit = max(PAGE_SIZE, thread_count), max(PAGE_SIZE, checkpoint_count)
        threads = await self.reader.list_threads(limit=thread_limit)
        checkpoints = []
        if thread_id is not None:
            checkpoints = await self.reader.list_checkpoints(thread_id, limit=history_limit)
        complete = len(checkpoints) < history_limit
        self.post_message(
            Reloaded(threads, len(threads) < thread_limit, thread_id, checkpoints, complete, replaced)
        )
