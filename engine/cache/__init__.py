"""Node caching, as LangGraph's ``langgraph.cache``: ``add_node(..., cache_policy=CachePolicy())``
with ``compile(cache=InMemoryCache())`` reuses a node's writes for an input it has seen, instead
of running it again.

Keys are ``(namespace, key)``: the namespace is ``(graph name, node)``, the key what the policy's
``key_func`` makes of the node's input (:func:`default_cache_key`: a hash of its JSON form).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from engine.checkpoint.serde import JsonSerializer

__all__ = ["BaseCache", "FullKey", "Namespace", "default_cache_key"]

Namespace = tuple[str, ...]
FullKey = tuple[Namespace, str]

_SERDE = JsonSerializer()


def default_cache_key(value: Any) -> str:
    """A node input's cache key: the SHA-256 of its JSON form (the checkpoint format, so two
    equal states have one key whatever their dict order).

    Raises:
        SerializationError: the input holds a value the checkpoint format cannot store; give the
            policy a ``key_func`` of your own.
    """
    return hashlib.sha256(_SERDE.dumps(value)).hexdigest()


class BaseCache:
    """Where cached node writes live: ``get``, ``set`` and ``clear``, and their async twins
    (which call the sync ones unless a subclass does better)."""

    def get(self, keys: Sequence[FullKey]) -> dict[FullKey, Any]:
        """The values held for those of ``keys`` that are there and have not expired."""
        raise NotImplementedError

    def set(self, pairs: Mapping[FullKey, tuple[Any, float | None]]) -> None:
        """Hold each ``key -> (value, ttl in seconds or None for no expiry)``."""
        raise NotImplementedError

    def clear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        """Drop what is held under ``namespaces`` (None: everything)."""
        raise NotImplementedError

    async def aget(self, keys: Sequence[FullKey]) -> dict[FullKey, Any]:
        return self.get(keys)

    async def aset(self, pairs: Mapping[FullKey, tuple[Any, float | None]]) -> None:
        self.set(pairs)

    async def aclear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        self.clear(namespaces)
