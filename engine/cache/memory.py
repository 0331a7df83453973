"""``InMemoryCache``: node writes cached in this process, as LangGraph's ``InMemoryCache``."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from engine.cache import BaseCache, FullKey, Namespace

__all__ = ["InMemoryCache"]


class InMemoryCache(BaseCache):
    """A dict of ``(namespace, key) -> (value, expires at)``, safe across threads; values are
    copied in and out, so a node that changes what it returned cannot change the cache.
    ``clock`` gives seconds (default ``time.time``), for ``ttl``."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._items: dict[FullKey, tuple[Any, float | None]] = {}
        self._lock = threading.Lock()

    def get(self, keys: Sequence[FullKey]) -> dict[FullKey, Any]:
        now, found = self._clock(), {}
        with self._lock:
            for key in keys:
                held = self._items.get(key)
                if held is None:
                    continue
                value, expires = held
                if expires is not None and expires <= now:
                    del self._items[key]
                    continue
                found[key] = copy.deepcopy(value)
        return found

    def set(self, pairs: Mapping[FullKey, tuple[Any, float | None]]) -> None:
        now = self._clock()
        with self._lock:
            for key, (value, ttl) in pairs.items():
                self._items[key] = (copy.deepcopy(value), None if ttl is None else now + ttl)

    def clear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        with self._lock:
            if namespaces is None:
                self._items.clear()
            else:
                wanted = set(namespaces)
                self._items = {k: v for k, v in self._items.items() if k[0] not in wanted}
