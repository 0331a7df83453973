"""Execute: run one super-step's tasks concurrently, each with its node's retry policy.

Tasks that finished in an earlier attempt of the step (their writes were saved) are not run
again. A failing task does not stop its siblings; every task's result is collected before the
step is judged. Every attempt is timed and kept on the task (``Task.attempts``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from engine.cache import BaseCache, FullKey, default_cache_key
from engine.channels import BaseChannel
from engine.checkpoint.base import PendingWrite
from engine.errors import GraphInterrupt, NodeTimeoutError
from engine.pregel.algo import Task
from engine.pregel.nodes import RunContext
from engine.pregel.pending import reuse_finished
from engine.pregel.runtime import RunEnv
from engine.pregel.spec import GraphSpec


async def run_attempts(
    spec: GraphSpec, task: Task, channels: Mapping[str, BaseChannel], context: RunContext, env: RunEnv, run_id: str
) -> list[tuple[str, Any]]:
    """Run ``task`` until it finishes, pauses, or fails with no retry left; return its writes.

    Each attempt adds ``{"run", "started_at", "ms", "error"?, "interrupted"?}`` to
    ``task.attempts`` (``run``: ``run_id``, which tells a resumed step's attempts from earlier ones).
    After a failure, the first of the node's policies whose ``retry_on`` matches decides: a
    retry after :meth:`RetryPolicy.delay` seconds (``env.sleep``) while fewer than its
    ``max_attempts`` attempts were made in this run of the step. An interrupt is never retried.

    Raises:
        Exception: what the last attempt raised.
    """
    node = spec.nodes.get(task.name)
    if node is None:  # START's input step: nothing of the user's runs
        return await spec.run_task(task, channels, context)
    policies = node.retry_policy
    tries = 0
    while True:
        tries += 1
        started, t0 = env.now(), env.monotonic()
        attempt: dict[str, Any] = {"run": run_id, "started_at": started}
        task.attempts.append(attempt)
        try:
            writes = await _attempt(spec, task, channels, context, node.timeout_s, env, t0)
        except GraphInterrupt:
            attempt.update(ms=_ms(env, t0), interrupted=True)
            raise
        except Exception as exc:
            attempt.update(ms=_ms(env, t0), error={"type": type(exc).__name__, "message": str(exc)[:2000]})
            policy = next((p for p in policies if p.retries(exc)), None)
            if policy is None or tries >= policy.max_attempts:
                raise
            await env.sleep(policy.delay(tries, env.random()))
            continue
        attempt["ms"] = _ms(env, t0)
        return writes


async def _attempt(
    spec: GraphSpec, task: Task, channels: Mapping[str, BaseChannel], context: RunContext,
    timeout_s: float | None, env: RunEnv, t0: float,
) -> list[tuple[str, Any]]:
    """One attempt of ``task``, cancelled after ``timeout_s`` seconds if given.

    Raises:
        NodeTimeoutError: it ran longer than ``timeout_s`` (as LangGraph's message says it).
    """
    if timeout_s is None:
        return await spec.run_task(task, channels, context)
    try:
        return await asyncio.wait_for(spec.run_task(task, channels, context), timeout_s)
    except TimeoutError:
        raise NodeTimeoutError(
            f"Node {task.name!r} exceeded its run timeout of {timeout_s:.3f}s "
            f"(elapsed: {env.monotonic() - t0:.3f}s)"
        ) from None


def cache_key(spec: GraphSpec, task: Task, channels: Mapping[str, BaseChannel]) -> FullKey | None:
    """``((graph name, node), key of the task's input)`` when the task's node has a
    ``cache_policy``, else None."""
    node = spec.nodes.get(task.name)
    if node is None or node.cache_policy is None:
        return None
    value = task.send["arg"] if task.send is not None else spec.node_state(node, channels)
    key_func = node.cache_policy.key_func or default_cache_key
    return (spec.name, task.name), str(key_func(value))


def _ms(env: RunEnv, t0: float) -> float:
    return round((env.monotonic() - t0) * 1000, 3)


async def execute(
    spec: GraphSpec,
    tasks: Sequence[Task],
    channels: Mapping[str, BaseChannel],
    context: RunContext,
    saved: Sequence[PendingWrite],
    on_cancel: Callable[[list[Task]], Awaitable[None]],
    env: RunEnv,
    run_id: str,
    on_finish: Callable[[Task, bool], None] | None = None,
    cache: BaseCache | None = None,
) -> list[tuple[Task, Exception]]:
    """Run the tasks with no finished writes in ``saved``; fill in every task's ``writes``
    (attempts are marked with ``run_id``, see :func:`run_attempts`).

    Returns the failures ``(task, exception)`` in task order (empty: the step succeeded).
    ``on_finish(task, cached)`` is called as each task finishes (in finishing order; first the
    ones reused from an earlier attempt of the step, with ``cached`` True). If the run is cancelled, ``on_cancel`` gets the tasks that had finished (to save
    their writes) before the cancellation goes on. A ``BaseException`` that is not an
    ``Exception`` (``KeyboardInterrupt``) is raised as it is. With a ``cache``, a task of a node
    with a ``cache_policy`` whose input was seen before takes the cached writes instead of
    running (``on_finish`` with ``cached`` True), and a task that ran keeps its writes there.
    """
    to_run = reuse_finished(tasks, saved)
    if on_finish is not None:
        for task in tasks:
            if task not in to_run:
                on_finish(task, True)

    async def run(task: Task) -> list[tuple[str, Any]]:
        key = cache_key(spec, task, channels) if cache is not None else None
        if key is not None and (hit := await cache.aget([key])):  # type: ignore[union-attr]
            task.writes = [tuple(w) for w in hit[key]]
            if on_finish is not None:
                on_finish(task, True)
            return task.writes
        try:
            writes = await run_attempts(spec, task, channels, context, env, run_id)
        except GraphInterrupt:
            raise
        except Exception as exc:
            node = spec.nodes.get(task.name)
            if node is None or node.error_handler is None:
                raise
            writes = await spec.run_task(task, channels, context, handling=exc)
            task.handled = True
        task.writes = writes
        if key is not None and not task.handled:  # a handler's writes stand for a failure
            policy = spec.nodes[task.name].cache_policy
            await cache.aset({key: (writes, policy.ttl if policy else None)})  # type: ignore[union-attr]
        if on_finish is not None:
            on_finish(task, False)
        return writes

    futures = [asyncio.ensure_future(run(t)) for t in to_run]
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
