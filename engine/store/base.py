"""The memory store's API: LangGraph's ``BaseStore`` shape, with optimistic concurrency.

A store holds JSON objects (``dict`` values) under ``(namespace, key)``, where a namespace is a
tuple of labels (``("users", "u1", "memories")``). Same methods and arguments as LangGraph 1.x
(``put``, ``get``, ``delete``, ``search``, ``list_namespaces`` and their ``a``-prefixed async
twins), plus a ``version`` on every :class:`Item` and ``put(..., expected_version=n)``, which
writes only if the item is still at version ``n`` and raises :class:`ConflictError` otherwise.

Where it differs from LangGraph, on purpose:

- values are JSON data, stored and returned as JSON (a tuple comes back as a list); a value
  that JSON cannot hold exactly is refused (see :func:`~engine.store.checks.encode_value`).
  Every read returns a fresh copy, so changing a returned value never changes the store;
- overwriting an item keeps its ``created_at`` (as LangGraph's SQLite and Postgres stores;
  its ``InMemoryStore`` resets it);
- search results are the most recently written first (as LangGraph's ``SqliteStore`` and
  ``PostgresStore``, ``ORDER BY updated_at DESC``; its ``InMemoryStore`` returns them in dict
  order: namespaces in the order they were first used, keys in insertion order). "Most
  recently" is the order of the writes, not of the clock, so equal or backward timestamps do
  not reorder anything;
- no semantic search and no TTLs: ``query`` and ``index`` are accepted and ignored, as
  LangGraph's stores do when no index is configured; a ``ttl`` other than None raises
  ``NotImplementedError``, as LangGraph's ``BaseStore`` does for a store without TTL support;
- no ``batch`` / ``abatch`` and no ``GetOp`` / ``PutOp`` operation types.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from engine.errors import EngineError
from engine.store.checks import (
    InvalidNamespaceError,
    NamespacePath,
    NamespaceQuery,
    check_key,
    check_labels,
    check_namespace,
    check_page,
    check_version,
    encode_value,
)
from engine.store.filters import Condition, parse_filter

__all__ = ["BaseStore", "ConflictError", "InvalidNamespaceError", "Item", "SearchItem"]


class ConflictError(EngineError):
    """``put(..., expected_version=n)`` found the item at another version: someone wrote or
    deleted it since it was read. Nothing was written.

    Attributes:
        namespace, key: the item.
        expected: the version the put expected (0: that the item did not exist).
        found: the version it is at (0: it does not exist).
    """

    def __init__(self, namespace: tuple[str, ...], key: str, expected: int, found: int) -> None:
        self.namespace, self.key, self.expected, self.found = namespace, key, expected, found

        def shown(version: int) -> str:
            return "version 0 (absent)" if version == 0 else f"version {version}"

        super().__init__(
            f"store item {key!r} in namespace {namespace!r}: the put expected {shown(expected)} but "
            f"found {shown(found)} (another writer changed it since it was read); nothing was "
            "written. Re-read it with get(), apply your change to what you read, and retry with "
            "expected_version set to the version you read"
        )

    def __reduce__(self) -> tuple:  # picklable, e.g. raised in a worker process
        return type(self), (self.namespace, self.key, self.expected, self.found)


@dataclass(frozen=True, kw_only=True)
class Item:
    """A stored value and its metadata; LangGraph's ``Item`` plus ``version``.

    Attributes:
        namespace: the labels it is stored under.
        key: its key in the namespace.
        value: the JSON object stored (a fresh copy on every read).
        created_at, updated_at: aware UTC datetimes of its first and its latest put.
        version: 1 after the first put, one more after each later put (a deleted item that is
            put again starts at 1).
    """

    namespace: tuple[str, ...]
    key: str
    value: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    version: int = 1

    def __hash__(self) -> int:  # the value is a dict; LangGraph hashes the same way
        return hash((self.namespace, self.key))

    def dict(self) -> dict[str, Any]:
        """As LangGraph's ``Item.dict()`` (namespace as a list, ISO timestamps), with ``version``."""
        return {
            "namespace": list(self.namespace),
            "key": self.key,
            "value": self.value,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "version": self.version,
        }


@dataclass(frozen=True, kw_only=True)
class SearchItem(Item):
    """An :class:`Item` found by ``search``; ``score`` is always None (no semantic search)."""

    score: float | None = None

    def __hash__(self) -> int:
        return hash((self.namespace, self.key))

    def dict(self) -> dict[str, Any]:
        return {**super().dict(), "score": self.score}


# The store ----------------------------------------------------------------------------------


class BaseStore(ABC):
    """A key-value store of JSON objects under namespaces; LangGraph's ``BaseStore`` methods.

    Every method validates its arguments and then calls the store's hook (``_write``,
    ``_read``, ``_search``, ``_list``, sync, and their ``_a`` async forms), so every store
    refuses the same things with the same errors.
    """

    supports_ttl: bool = False

    def put(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any] | None,
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | None = None,
        expected_version: int | None = None,
    ) -> None:
        """Store ``value`` under ``(namespace, key)``: create it at version 1 or replace it
        (``created_at`` kept, ``updated_at`` now, version + 1). ``value=None`` deletes it, as
        in LangGraph. With ``expected_version=n`` the put (or delete) happens only if the item is
        at version ``n`` now (0: does not exist), checked and written atomically. ``index`` is
        ignored (no semantic search).

        Raises:
            InvalidNamespaceError: see :func:`~engine.store.checks.check_namespace`.
            TypeError, ValueError: ``value`` is not JSON data
                (:func:`~engine.store.checks.encode_value`); a bad key or ``expected_version``.
            NotImplementedError: ``ttl`` is not None.
            ConflictError: the item is not at ``expected_version``; nothing was written.
        """
        self._write(*self._put_args(namespace, key, value, ttl, expected_version))

    async def aput(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any] | None,
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | None = None,
        expected_version: int | None = None,
    ) -> None:
        """Async :meth:`put`."""
        await self._awrite(*self._put_args(namespace, key, value, ttl, expected_version))

    def get(self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None) -> Item | None:
        """The item at ``(namespace, key)``, or None. ``refresh_ttl`` is ignored (no TTLs).

        Raises:
            InvalidNamespaceError: a bad label (see :func:`~engine.store.checks.check_labels`).
        """
        return self._read(check_labels(namespace), check_key(key))

    async def aget(self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None) -> Item | None:
        """Async :meth:`get`."""
        return await self._aread(check_labels(namespace), check_key(key))

    def delete(self, namespace: tuple[str, ...], key: str) -> None:
        """Delete the item if there is one (LangGraph's ``put(namespace, key, None)``).

        Raises:
            InvalidNamespaceError: a bad label (see :func:`~engine.store.checks.check_labels`).
        """
        labels = check_labels(namespace)
        if labels:
            self._write(labels, check_key(key), None, None)

    async def adelete(self, namespace: tuple[str, ...], key: str) -> None:
        """Async :meth:`delete`."""
        labels = check_labels(namespace)
        if labels:
            await self._awrite(labels, check_key(key), None, None)

    def search(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
    ) -> list[SearchItem]:
        """Items whose namespace starts with ``namespace_prefix`` (``()``: all), that match
        ``filter`` (see :mod:`engine.store.filters`), most recently written first, ``limit``
        of them after skipping ``offset``. ``query`` is ignored, as LangGraph's stores ignore it
        without an index; ``refresh_ttl`` too.

        Raises:
            InvalidNamespaceError: a bad label in the prefix.
            TypeError, ValueError: a bad filter (see :func:`~engine.store.filters.parse_filter`).
            ValueError: a negative ``limit`` / ``offset``.
        """
        return self._search(*self._search_args(namespace_prefix, filter, limit, offset))

    async def asearch(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
    ) -> list[SearchItem]:
        """Async :meth:`search`."""
        return await self._asearch(*self._search_args(namespace_prefix, filter, limit, offset))

    def list_namespaces(
        self,
        *,
        prefix: NamespacePath | None = None,
        suffix: NamespacePath | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        """The namespaces holding items, as LangGraph's ``InMemoryStore.list_namespaces``: those
        starting with ``prefix`` and ending with ``suffix`` (``"*"`` in either matches any one
        label), each cut to its first ``max_depth`` labels and deduplicated, sorted, then
        ``limit`` of them after skipping ``offset``.

        Raises:
            InvalidNamespaceError: a bad label in ``prefix`` or ``suffix``.
            ValueError: a negative ``max_depth``, ``limit`` or ``offset``.
        """
        return self._list(self._namespace_query(prefix, suffix, max_depth, limit, offset))

    async def alist_namespaces(
        self,
        *,
        prefix: NamespacePath | None = None,
        suffix: NamespacePath | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        """Async :meth:`list_namespaces`."""
        return await self._alist(self._namespace_query(prefix, suffix, max_depth, limit, offset))

    # Argument checks ------------------------------------------------------------------------

    def _put_args(
        self, namespace: Any, key: Any, value: Any, ttl: Any, expected_version: Any
    ) -> tuple[tuple[str, ...], str, str | None, int | None]:
        labels = check_namespace(namespace)
        if ttl is not None and not self.supports_ttl:
            raise NotImplementedError(
                f"TTL is not supported by {type(self).__name__}; pass ttl=None (items never expire)"
            )
        text = None if value is None else encode_value(value)
        return labels, check_key(key), text, check_version(expected_version)

    @staticmethod
    def _search_args(
        prefix: Any, filter: Any, limit: Any, offset: Any
    ) -> tuple[tuple[str, ...], tuple[Condition, ...], int, int]:
        labels = check_labels(prefix, what="namespace prefix")
        conditions = parse_filter(filter)
        return (labels, conditions, *check_page(limit, offset))

    @staticmethod
    def _namespace_query(prefix: Any, suffix: Any, max_depth: Any, limit: Any, offset: Any) -> NamespaceQuery:
        if max_depth is not None and (isinstance(max_depth, bool) or not isinstance(max_depth, int) or max_depth < 0):
            raise ValueError(f"max_depth must be None or a whole number of 0 or more, got {max_depth!r}")
        return NamespaceQuery(
            check_labels(prefix or (), what="prefix"),
            check_labels(suffix or (), what="suffix"),
            max_depth,
            *check_page(limit, offset),
        )

    # What a store implements (arguments already checked) ------------------------------------

    @abstractmethod
    def _write(self, namespace: tuple[str, ...], key: str, text: str | None, expected: int | None) -> None:
        """Put the JSON ``text`` (None: delete), if the item is at version ``expected`` (None:
        any); else raise :class:`ConflictError`."""

    @abstractmethod
    def _read(self, namespace: tuple[str, ...], key: str) -> Item | None: ...

    @abstractmethod
    def _search(
        self, prefix: tuple[str, ...], conditions: tuple[Condition, ...], limit: int, offset: int
    ) -> list[SearchItem]: ...

    @abstractmethod
    def _list(self, query: NamespaceQuery) -> list[tuple[str, ...]]: ...

    @abstractmethod
    async def _awrite(self, namespace: tuple[str, ...], key: str, text: str | None, expected: int | None) -> None: ...

    @abstractmethod
    async def _aread(self, namespace: tuple[str, ...], key: str) -> Item | None: ...

    @abstractmethod
    async def _asearch(
        self, prefix: tuple[str, ...], conditions: tuple[Condition, ...], limit: int, offset: int
    ) -> list[SearchItem]: ...

    @abstractmethod
    async def _alist(self, query: NamespaceQuery) -> list[tuple[str, ...]]: ...
