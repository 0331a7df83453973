"""The sync API's event loop: one background loop per process that every sync call runs on.

Sync calls (``invoke``, ``stream``, ``get_state``, ...) must all run on the same loop, or objects
they share (a saver's lock, a rate limiter's ``asyncio.Lock`` in user code) end up bound to a
loop that no longer runs. A daemon thread runs that loop; callers block on its futures.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="retrace-engine", daemon=True).start()
            _loop = loop
        return _loop


def _check_caller(loop: asyncio.AbstractEventLoop) -> None:
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        return
    if running is loop:
        raise RuntimeError(
            "a sync graph method (invoke, stream, get_state, ...) was called from a node or router "
            "the engine is running; use the async form (ainvoke, astream, aget_state, ...) there"
        )


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the background loop and return its result (or raise its exception)."""
    loop = _background_loop()
    try:
        _check_caller(loop)
    except RuntimeError:
        coro.close()
        raise
    return asyncio.run_coroutine_threadsafe(coro, loop).result()


def iterate_sync(agen: AsyncIterator[T]) -> Iterator[T]:
    """Iterate an async generator from sync code, one item per step on the background loop.

    Stopping early (``break``) closes the generator, so the run stops too.
    """
    loop = _background_loop()
    _check_caller(loop)
    try:
        while True:
            try:
                item = asyncio.run_coroutine_threadsafe(agen.__anext__(), loop).result()
            except StopAsyncIteration:
                return
            yield item
    finally:
        aclose = getattr(agen, "aclose", None)
        if aclose is not None:
            asyncio.run_coroutine_threadsafe(aclose(), loop).result()
