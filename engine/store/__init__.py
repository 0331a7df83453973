"""The memory store: JSON objects under namespaces, shared across threads and runs.

LangGraph's ``langgraph.store`` API (``put``, ``get``, ``delete``, ``search``,
``list_namespaces`` and their async twins) plus optimistic concurrency: every item has a
``version``, and ``put(..., expected_version=n)`` raises :class:`ConflictError` when someone
else wrote it first. :class:`InMemoryStore` here; ``SqliteStore`` / ``AsyncSqliteStore`` in
:mod:`engine.store.sqlite`, in the same file as the checkpoints. See :mod:`engine.store.base`
for where it differs from LangGraph, and :mod:`engine.store.filters` for search filters.
"""

from engine.store.base import (
    BaseStore,
    ConflictError,
    InvalidNamespaceError,
    Item,
    SearchItem,
)
from engine.store.memory import InMemoryStore

__all__ = ["BaseStore", "ConflictError", "InMemoryStore", "InvalidNamespaceError", "Item", "SearchItem"]
