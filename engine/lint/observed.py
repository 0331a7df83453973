"""What recorded runs of a graph show the lint: each node's writes, the nodes that ran in one
super-step, and the steps' warnings, read from checkpoint metadata (data only: nothing named in
the database is imported or run)."""

from __future__ import annotations

from engine.debug.source import CheckpointSource
from engine.lint.rules import Observed

__all__ = ["MAX_CHECKPOINTS", "MAX_THREADS", "observed_runs"]

MAX_THREADS = 500
MAX_CHECKPOINTS = 2000
"""Threads, and checkpoints of each, read at most (the newest)."""


async def observed_runs(reader: CheckpointSource, graph_ref: str | None) -> tuple[Observed, int]:
    """(what the runs recorded by ``graph_ref`` showed, how many threads that was). Threads whose
    checkpoints name no graph count when no thread names ``graph_ref`` (a database written
    without refs); threads of other graphs never do.

    Raises:
        CheckpointStoreError: the database cannot be read.
    """
    observed = Observed()
    threads = await reader.list_threads(limit=MAX_THREADS)
    runs: dict[str, list] = {}
    for thread in threads:
        checkpoints = await reader.list_checkpoints(thread.thread_id, limit=MAX_CHECKPOINTS)
        refs = {c.metadata.get("graph") for c in checkpoints if isinstance(c.metadata, dict)}
        key = graph_ref if graph_ref in refs else (None if refs <= {None} else "other")
        runs.setdefault(str(key), []).append((thread.thread_id, checkpoints))
    chosen = runs.get(str(graph_ref)) or runs.get("None") or []
    for thread_id, checkpoints in chosen:
        for checkpoint in checkpoints:
            metadata = checkpoint.metadata if isinstance(checkpoint.metadata, dict) else {}
            writes = metadata.get("writes")
            if isinstance(writes, dict):
                nodes = sorted(str(n) for n in writes if n != "__start__")
                for node, keys in writes.items():
                    if isinstance(keys, list):
                        observed.writes.setdefault(str(node), set()).update(str(k) for k in keys)
                for i, a in enumerate(nodes):
                    for b in nodes[i + 1:]:
                        observed.together.append((a, b, f"seen in one super-step (step {checkpoint.step} of thread {thread_id!r})"))
            warnings = metadata.get("warnings")
            if isinstance(warnings, list):
                observed.warnings += [str(w)[:300] for w in warnings]
    return observed, len(chosen)
