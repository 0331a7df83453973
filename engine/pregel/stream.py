"""What a run streams besides values: each task's update as it finishes, LangGraph's ``"debug"``
events (task start, task result, checkpoint) and the nodes' ``"custom"`` chunks.

:class:`EventStream` is the run loop's outbox. Events made between steps wait in a list; while
a step's tasks run, :meth:`EventStream.during` yields them as they come (a task's update the
moment it finishes, not when its slowest sibling does), including what a sync node in a worker
thread sends through its writer. The payloads have LangGraph 1.2.22's shapes (checked side by
side): ``{"step", "timestamp", "type": "task" | "task_result" | "checkpoint", "payload"}``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

from engine.constants import INTERRUPT, START
from engine.pregel.algo import Task

Event = tuple[str, Any]
"""``(kind, chunk)``: ``"values"``, ``"updates"``, ``"custom"``, ``"debug"`` (a debug chunk),
``"__interrupt__"`` (the interrupts, a tuple) or ``"nested"`` (``(namespace path, kind,
chunk)``: a subgraph's event)."""


def task_payload(task: Task, input: Any) -> dict[str, Any]:
    """A task about to run: ``{"id", "name", "input", "triggers"}``."""
    return {"id": task.id, "name": task.name, "input": input, "triggers": tuple(task.triggers)}


def task_result_payload(
    task: Task, result: dict[str, Any] | None, error: BaseException | None = None,
    interrupts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A task that ran: ``{"id", "name", "error": exception | None, "result": {key: value},
    "interrupts": [{"id", "value"}, ...]}`` (``result`` is ``{}`` when it failed or paused)."""
    return {
        "id": task.id, "name": task.name, "error": error, "result": dict(result or {}),
        "interrupts": list(interrupts or []),
    }


def checkpoint_payload(
    config: Any, parent_config: Any, values: dict[str, Any], metadata: dict[str, Any],
    next_tasks: list[Task], results: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A saved checkpoint: ``{"config", "parent_config", "values", "metadata", "next",
    "tasks": [{"id", "name", "interrupts", "state", "result"?}]}`` (``results``: task id ->
    the update of a task that already finished at this checkpoint)."""
    results = results or {}
    tasks = []
    for task in next_tasks:
        entry: dict[str, Any] = {"id": task.id, "name": task.name}
        if task.id in results:
            entry["result"] = results[task.id]
        entry.update(interrupts=tuple(task.interrupts), state=None)
        tasks.append(entry)
    return {
        "config": config, "parent_config": parent_config, "values": values, "metadata": metadata,
        "next": [t.name for t in next_tasks], "tasks": tasks,
    }


class EventStream:
    """A run's outbox. ``wants``: the extra kinds to make (``"debug"``, ``"custom"``,
    ``"subgraphs"``: subgraphs' events); updates, values and interrupts are always made.
    ``now`` stamps debug events."""

    def __init__(self, wants: frozenset[str], now: Callable[[], str]) -> None:
        self.wants = wants
        self.now = now
        self._pending: list[Event] = []
        self._queue: asyncio.Queue[Event] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.result: Any = None
        """What the last :meth:`during` job returned."""

    @property
    def debug(self) -> bool:
        return "debug" in self.wants

    def put(self, kind: str, chunk: Any) -> None:
        """Add an event; safe from a worker thread or another event loop (a subgraph run
        from a sync node)."""
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is not None and running is not loop and not loop.is_closed():
            loop.call_soon_threadsafe(self._put, kind, chunk)
        else:
            self._put(kind, chunk)

    def _put(self, kind: str, chunk: Any) -> None:
        if self._queue is not None:
            self._queue.put_nowait((kind, chunk))
        else:
            self._pending.append((kind, chunk))

    def debug_event(self, kind: str, step: int, payload: dict[str, Any]) -> None:
        self.put("debug", {"step": step, "timestamp": self.now(), "type": kind, "payload": payload})

    def write(self, value: Any) -> None:
        """A node's custom chunk (:func:`engine.config.get_stream_writer`); dropped unless the
        run streams ``"custom"``. Safe from a worker thread."""
        if "custom" in self.wants:
            self.put("custom", value)

    def nested(self, path: tuple[str, ...], kind: str, chunk: Any) -> None:
        """An event of a subgraph run by one of this run's tasks (``path``: its namespace):
        kept as ``("nested", (path, kind, chunk))`` when streaming ``subgraphs``; its custom
        chunks are this run's own otherwise, as in LangGraph."""
        if "subgraphs" in self.wants:
            self.put("nested", (path, kind, chunk))
        elif kind == "custom":
            self.write(chunk)

    def drain(self) -> Iterator[Event]:
        """The events made since the last drain, in order."""
        pending, self._pending = self._pending, []
        yield from pending

    def finished(self, task: Task, update: dict[str, Any] | None, step: int, *, cached: bool = False) -> None:
        """A task finished (or was reused from an earlier attempt of the step: ``cached``)."""
        if task.name == START:
            return
        # A handler's writes are streamed under its own name, as in LangGraph.
        chunk: dict[str, Any] = {f"__error_handler__{task.name}" if task.handled else task.name: update}
        if cached:
            chunk["__metadata__"] = {"cached": True}
        self.put("updates", chunk)
        if self.debug and not cached:
            self.debug_event("task_result", step, task_result_payload(task, update))

    async def during(self, job: Awaitable[Any]) -> AsyncIterator[Event]:
        """Run ``job`` (a step's execution) and yield the events made meanwhile, as they come;
        then those made before it ended. Its result is in :attr:`result`, and what it raised is
        raised after its events. Cancelling (or closing) this cancels ``job``."""
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        for event in self.drain():
            self._queue.put_nowait(event)
        task = asyncio.ensure_future(job)
        getter: asyncio.Future[Event] | None = None
        try:
            while True:
                if self._queue.empty() and task.done():
                    await asyncio.sleep(0)  # a worker thread's last call_soon_threadsafe lands
                    if self._queue.empty():
                        break
                if not self._queue.empty():
                    yield self._queue.get_nowait()
                    continue
                getter = asyncio.ensure_future(self._queue.get())
                await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield getter.result()
                else:
                    getter.cancel()
            self.result = task.result()
        finally:
            self._queue = None
            if getter is not None and not getter.done():
                getter.cancel()
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


STREAM_MODES = ("values", "updates", "debug", "tasks", "checkpoints", "custom")


def chunks_of(kind: str, chunk: Any, modes: list[str], values: dict[str, Any]) -> list[tuple[str, Any]]:
    """What one run-loop event streams as ``(mode, chunk)`` in ``modes`` (``values``: the last
    state streamed, which an interrupt's ``"values"`` chunk repeats, as LangGraph)."""
    if kind == INTERRUPT:
        shown = {"updates": {INTERRUPT: chunk}, "values": {**values, INTERRUPT: chunk}}
        return [(mode, shown[mode]) for mode in modes if mode in shown]
    out = []
    if kind == "debug":
        alone = "checkpoints" if chunk["type"] == "checkpoint" else "tasks"
        if alone in modes:
            out.append((alone, chunk["payload"]))
    if kind in modes:
        out.append((kind, chunk))
    return out
