"""Execute: run one super-step's tasks concurrently.

Tasks that finished in an earlier attempt of the step (their writes were saved) are not run
again. A failing task does not stop its siblings; every task's result is collected before the
step is judged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from engine.channels import BaseChannel
from engine.checkpoint.base import PendingWrite
from engine.pregel.algo import Task
from engine.pregel.pending import reuse_finished
from engine.pregel.spec import GraphSpec


async def execute(
    spec: GraphSpec,
    tasks: Sequence[Task],
    channels: Mapping[str, BaseChannel],
    config: Any,
    saved: Sequence[PendingWrite],
    on_cancel: Callable[[list[Task]], Awaitable[None]],
) -> list[tuple[Task, Exception]]:
    """Run the tasks with no finished writes in ``saved``; fill in every task's ``writes``.

    Returns the failures ``(task, exception)`` in task order (empty: the step succeeded).
    If the run is cancelled, ``on_cancel`` gets the tasks that had finished (to save their
    writes) before the cancellation goes on. A ``BaseException`` that is not an ``Exception``
    (``KeyboardInterrupt``) is raised as it is.
    """
    to_run = reuse_finished(tasks, saved)
    futures = [asyncio.ensure_future(spec.run_task(t, channels, config)) for t in to_run]
    try:
        if futures:
            await asyncio.wait(futures)
    except asyncio.CancelledError:
        for future in futures:
            future.cancel()
        unfinished = set()
        for task, future in zip(to_run, futures):
            if future.done() and not future.cancelled() and future.exception() is None:
                task.writes = future.result()
            else:
                unfinished.add(task.id)
        await on_cancel([t for t in tasks if t.id not in unfinished])
        raise
    failures: list[tuple[Task, Exception]] = []
    for task, future in zip(to_run, futures):
        exc = future.exception()
        if exc is None:
            task.writes = future.result()
        elif isinstance(exc, Exception):
            failures.append((task, exc))
        else:
            raise exc
    return failures
