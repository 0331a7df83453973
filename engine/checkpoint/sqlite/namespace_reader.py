"""Which checkpoint namespaces of a thread hold checkpoints: how the debugger finds the subgraph
runs of a step (a subgraph saves under ``node:task_id`` of the task that ran it) without reading
every row of the thread."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from engine.checkpoint.sqlite.rows import param

_CHUNK = 200  # parameters per query, well under SQLite's limit on bound variables


class NamespaceReads:
    """A mixin of :class:`~.reader.CheckpointReader` (it uses the reader's connection); raises
    :class:`~engine.errors.CheckpointStoreError` as the reader's other queries do."""

    if TYPE_CHECKING:
        async def _fetchall(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple]: ...

    async def count_checkpoints_in(self, thread_id: str, namespaces: Sequence[str]) -> dict[str, int]:
        """``{namespace: number of checkpoints}`` for those of ``namespaces`` that have any on
        ``thread_id`` (the others are absent). Answered from the primary key's index."""
        found: dict[str, int] = {}
        wanted = list(dict.fromkeys(namespaces))
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start:start + _CHUNK]
            marks = ", ".join("CAST(? AS TEXT)" for _ in chunk)
            rows = await self._fetchall(
                "SELECT checkpoint_ns, count(*) FROM checkpoints WHERE thread_id = CAST(? AS TEXT) "
                f"AND checkpoint_ns IN ({marks}) GROUP BY checkpoint_ns",
                (param(thread_id), *(param(ns) for ns in chunk)),
            )
            found.update((ns, count) for ns, count in rows if isinstance(ns, str) and isinstance(count, int))
        return found
