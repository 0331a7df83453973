"""What the debugger screen says in words: its pane notices and what a reload found."""

from __future__ import annotations

from engine.debug.model import ThreadSummary

NO_THREADS = (
    "No threads in this database yet. Run a graph compiled with an AsyncSqliteSaver on this file "
    "(or `retrace demo`), then open it again."
)

STATE_KEYS = "enter/v: whole value · space: fold · i: internal channels"


OPENED_AS = {
    "immutable": (
        "This file is in a read-only directory: retrace reads it as it is now, without sharing it "
        "with writers (there is no -wal, and you cannot start one there); r reads it again."
    ),
    "snapshot": (
        "This file is in a read-only directory with a -wal but no -shm beside it: retrace reads a "
        "private copy taken just now (r takes a new one). The file itself is untouched."
    ),
}
"""What to tell the user when the reader could not share the file with its writers."""


def plural(n: int) -> str:
    return "s" * (n != 1)


def describe_reload(before: list[ThreadSummary], after: list[ThreadSummary], *, replaced: bool = False) -> str:
    """What a reload found: ``7 threads · 1 new thread, 4 new checkpoints`` or ``… · nothing new``;
    a file that was made anew says so and is not compared with the old one."""
    total = f"{len(after):,} thread{plural(len(after))}"
    if replaced:
        return f"the file was replaced since it was opened · {total}"
    old = {t.thread_id: t for t in before}
    new_threads = sum(t.thread_id not in old for t in after)
    new_checkpoints = sum(
        max(0, t.checkpoint_count - (old[t.thread_id].checkpoint_count if t.thread_id in old else 0))
        for t in after
    )
    gone = len(old.keys() - {t.thread_id for t in after})
    changed = sum(t.thread_id in old and old[t.thread_id].status != t.status for t in after)
    news = [
        text
        for n, text in (
            (new_threads, f"{new_threads:,} new thread{plural(new_threads)}"),
            (new_checkpoints, f"{new_checkpoints:,} new checkpoint{plural(new_checkpoints)}"),
            (gone, f"{gone:,} thread{plural(gone)} gone"),
        )
        if n
    ]
    if changed:
        news.append(f"{changed:,} changed status")
    return f"{total} · {', '.join(news) or 'nothing new'}"

READ_ONLY_REASONS = {
    "immutable": "its folder is read-only",
    "snapshot": "its folder is read-only; this is a private copy",
}
"""Why write actions are off, by how the reader had to open the file."""
