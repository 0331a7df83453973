"""``InMemoryStore``: the memory store in a dict, for tests and single-process runs."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.store.base import BaseStore, ConflictError, Item, SearchItem
from engine.store.checks import Clock, NamespaceQuery, default_clock, now_utc
from engine.store.filters import Condition, matches


@dataclass
class _Entry:
    text: str  # the JSON kept; every read decodes a fresh copy from it
    value: Any  # decoded once, for filters only (never handed out)
    created_at: datetime
    updated_at: datetime
    version: int
    order: int  # position in the write order: search returns the highest first


class InMemoryStore(BaseStore):
    """Same behaviour as :class:`~engine.store.sqlite.SqliteStore`, in a dict (same contract
    tests); the data goes when the process ends. Safe to share between threads (one lock);
    the async methods call the sync ones, which never wait on anything but that lock.

    ``clock``: returns the aware datetime stamped on each put (default: now, in UTC), so tests
    can fix time. ``index`` (LangGraph's semantic-search configuration) raises
    ``NotImplementedError``.

    Compared with LangGraph's ``InMemoryStore`` (same class name and methods): see
    :mod:`engine.store.base` (values are copies of JSON, ``created_at`` kept on overwrite,
    newest first, no semantic search); also, only namespaces that hold items are listed
    (LangGraph's also lists one that was only read from).
    """

    def __init__(self, *, clock: Clock | None = None, index: Any = None) -> None:
        if index is not None:  # silently ignoring it would turn semantic search into a plain list
            raise NotImplementedError(
                "InMemoryStore(index=...) configures semantic search, which retrace's store does "
                "not have; search with filter= instead"
            )
        self._clock = clock or default_clock
        self._lock = threading.Lock()
        self._data: dict[tuple[str, ...], dict[str, _Entry]] = {}
        self._writes = 0

    def _write(self, namespace: tuple[str, ...], key: str, text: str | None, expected: int | None) -> None:
        if text is None:
            with self._lock:
                items = self._data.get(namespace, {})
                if self._checked(namespace, key, expected) is not None:
                    del items[key]
                    if not items:
                        del self._data[namespace]
            return
        now, value = now_utc(self._clock), json.loads(text)
        with self._lock:
            entry = self._checked(namespace, key, expected)
            self._writes += 1
            self._data.setdefault(namespace, {})[key] = _Entry(
                text=text,
                value=value,
                created_at=entry.created_at if entry else now,
                updated_at=now,
                version=entry.version + 1 if entry else 1,
                order=self._writes,
            )

    def _checked(self, namespace: tuple[str, ...], key: str, expected: int | None) -> _Entry | None:
        """The entry now there (None: none), if it is at version ``expected`` (the lock held)."""
        entry = self._data.get(namespace, {}).get(key)
        found = entry.version if entry else 0
        if expected is not None and found != expected:
            raise ConflictError(namespace, key, expected, found)
        return entry

    def _item(self, namespace: tuple[str, ...], key: str, entry: _Entry, cls: type[Item] = Item) -> Any:
        return cls(
            namespace=namespace,
            key=key,
            value=json.loads(entry.text),
            created_at=entry.created_at,
            updated_at=entry.updated_at,
            version=entry.version,
        )

    def _read(self, namespace: tuple[str, ...], key: str) -> Item | None:
        with self._lock:
            entry = self._data.get(namespace, {}).get(key)
            return self._item(namespace, key, entry) if entry else None

    def _search(
        self, prefix: tuple[str, ...], conditions: tuple[Condition, ...], limit: int, offset: int
    ) -> list[SearchItem]:
        n = len(prefix)
        with self._lock:
            found = [
                (entry.order, namespace, key, entry)
                for namespace, items in self._data.items()
                if namespace[:n] == prefix
                for key, entry in items.items()
                if matches(entry.value, conditions)
            ]
            found.sort(key=lambda row: row[0], reverse=True)
            return [self._item(ns, key, entry, SearchItem) for _, ns, key, entry in found[offset : offset + limit]]

    def _list(self, query: NamespaceQuery) -> list[tuple[str, ...]]:
        with self._lock:
            namespaces = list(self._data)
        return query.select(namespaces)

    async def _awrite(self, namespace: tuple[str, ...], key: str, text: str | None, expected: int | None) -> None:
        self._write(namespace, key, text, expected)

    async def _aread(self, namespace: tuple[str, ...], key: str) -> Item | None:
        return self._read(namespace, key)

    async def _asearch(
        self, prefix: tuple[str, ...], conditions: tuple[Condition, ...], limit: int, offset: int
    ) -> list[SearchItem]:
        return self._search(prefix, conditions, limit, offset)

    async def _alist(self, query: NamespaceQuery) -> list[tuple[str, ...]]:
        return self._list(query)
