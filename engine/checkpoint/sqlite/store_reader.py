"""The memory store's table, read as :class:`~.reader.CheckpointReader` reads checkpoints.

Read-only, lenient and bounded like the rest of the reader: every column is checked as it is
read (:class:`~.rows.RowReader`), a value is decoded as plain JSON only (``json.loads``: a
``{"__retrace__": ...}`` tag stays the dict it is), a value over ``limits.max_value_bytes`` or
past the read's budget is not read, and what cannot be read becomes an
:class:`~engine.checkpoint.serde.Undecodable` or a sentence in the row's ``damage``. A file
without the table (schema version 1, from before the store) reads as an empty store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from engine.checkpoint.serde import MAX_LENIENT_DEPTH, Undecodable
from engine.checkpoint.sqlite.rows import (
    OVER_BUDGET,
    PREVIEW_CHARS,
    TOO_LARGE,
    Limits,
    RowReader,
    int_sql,
    key_sql,
    param,
    preview_text,
)

if TYPE_CHECKING:
    from collections.abc import Callable

_SEPARATOR = "."  # as engine.store.base.NAMESPACE_SEPARATOR: the labels joined


@dataclass(frozen=True)
class StoreNamespace:
    """A namespace of the store: its labels, how many items it holds, when the newest of them
    was written (ISO 8601 text, as stored), and what could not be read (``damage``)."""

    namespace: tuple[str, ...]
    item_count: int
    updated_at: str
    damage: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoreRecord:
    """An item of the store as plain data: ``value`` is the decoded JSON (a dict, normally),
    or an :class:`~engine.checkpoint.serde.Undecodable` saying why it was not read; the
    timestamps are the stored ISO 8601 text."""

    namespace: tuple[str, ...]
    key: str
    version: int
    created_at: str
    updated_at: str
    value: Any
    damage: tuple[str, ...] = ()


class StoreReads:
    """The store queries of :class:`~.reader.CheckpointReader` (a mixin: it uses the reader's
    connection, limits and helpers). Both raise :class:`~engine.errors.CheckpointStoreError`
    when the database is damaged or locked, as the reader's other queries do."""

    if TYPE_CHECKING:
        limits: Limits | None
        strict: bool

        async def _fetchall(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple]: ...
        async def _decoded(self, build: Callable[[], Any]) -> Any: ...
        async def _within_budget(self, select: str, column: str, params: tuple[Any, ...]) -> list[tuple]: ...
        def _row(self, what: str) -> RowReader: ...

    async def _has_store(self) -> bool:
        rows = await self._fetchall("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'store_items'")
        return bool(rows)

    async def list_store_namespaces(self, limit: int | None = 100, offset: int = 0) -> list[StoreNamespace]:
        """The store's namespaces, ordered by their text (the labels joined by ``"."``),
        ``limit`` of them (None: all) after ``offset``; ``[]`` when the file has no store."""
        if not await self._has_store():
            return []
        k = partial(key_sql, limits=self.limits)
        rows = await self._fetchall(
            f"SELECT {k('namespace')}, count(*), {k('max(updated_at)')} FROM store_items "
            "GROUP BY namespace ORDER BY namespace LIMIT ? OFFSET ?",
            (-1 if limit is None else limit, offset),
        )
        return await self._decoded(lambda: [self._namespace_row(row) for row in rows])

    def _namespace_row(self, row: tuple) -> StoreNamespace:
        r = self._row("a store namespace")
        namespace = _labels(r, row[0])
        return StoreNamespace(
            namespace=namespace,
            item_count=r.integer("item count", row[1]) or 0,
            updated_at=r.text("updated_at", row[2]) or "",
            damage=tuple(r.damage),
        )

    async def list_store_items(
        self, namespace: tuple[str, ...], limit: int | None = 100, offset: int = 0
    ) -> list[StoreRecord]:
        """The items of ``namespace`` (as :meth:`list_store_namespaces` gives it), the most
        recently written first, ``limit`` of them (None: all) after ``offset``; ``[]`` when the
        file has no store. Values are read within the reader's limits, as channel values are."""
        if not await self._has_store():
            return []
        text = param(_SEPARATOR.join(namespace))
        k, i = (partial(f, limits=self.limits) for f in (key_sql, int_sql))
        # The page is chosen from the small columns alone, then its values are read in budget.
        rows = await self._within_budget(
            f"SELECT {k('s.key')}, {i('s.version')}, {k('s.created_at')}, {k('s.updated_at')}, {{values}} "
            "FROM (SELECT key AS page_key, write_order AS page_order FROM store_items "
            "WHERE namespace = CAST(? AS TEXT) ORDER BY write_order DESC, key LIMIT ? OFFSET ?) AS page "
            "CROSS JOIN store_items AS s ON s.namespace = CAST(? AS TEXT) AND s.key = page.page_key "
            "ORDER BY page.page_order DESC, page.page_key",
            "s.value",
            (text, -1 if limit is None else limit, offset, text),
        )
        records = await self._decoded(lambda: [self._item_row(tuple(namespace), row) for row in rows])
        return [await self._with_preview(text, record) for record in records]

    def _item_row(self, namespace: tuple[str, ...], row: tuple) -> StoreRecord:
        r = self._row("a store item")
        key = r.text("key", row[0]) or ""
        r.what = f"store item {key[:80]!r}"
        version = r.integer("version", row[1]) or 0
        if version < 1:
            r.flag(f"version {version} is below 1")
        return StoreRecord(
            namespace=namespace,
            key=key,
            version=version,
            created_at=r.text("created_at", row[2]) or "",
            updated_at=r.text("updated_at", row[3]) or "",
            value=_json_value(r, row[4], row[5]),
            damage=tuple(r.damage),
        )

    async def _with_preview(self, namespace_param: str | bytes, record: StoreRecord) -> StoreRecord:
        """``record`` with an oversized value shown by its start (read by one more query)."""
        value = record.value
        if not isinstance(value, Undecodable) or not value.reason.startswith(TOO_LARGE):
            return record
        rows = await self._fetchall(
            f"SELECT substr(value, 1, {PREVIEW_CHARS}) FROM store_items "
            "WHERE namespace = CAST(? AS TEXT) AND key = CAST(? AS TEXT)",
            (namespace_param, param(record.key)),
        )
        if not rows:
            return record
        return replace(record, value=replace(value, preview=preview_text(rows[0][0])))


def _labels(r: RowReader, raw: Any) -> tuple[str, ...]:
    text = r.text("namespace", raw) or ""
    labels = tuple(text.split(_SEPARATOR))
    if not all(labels):
        r.flag(f"namespace {text[:80]!r} has an empty label")
    return labels


def _json_value(r: RowReader, raw: Any, kind: Any) -> Any:
    """A stored value as JSON data: an :class:`Undecodable` when it was not read (over a
    limit) or is not JSON; flagged when it is JSON but not an object."""
    value = _decode(r, raw, kind)
    if isinstance(value, Undecodable):
        if r.strict:
            r.flag(f"the value cannot be read: {value.reason}")
        return value
    if not isinstance(value, dict):
        r.flag(f"the value is a JSON {type(value).__name__}, not an object")
    return value


def _decode(r: RowReader, raw: Any, kind: Any) -> Any:
    if kind == OVER_BUDGET:
        return Undecodable(f"not read: the values before it already fill one read ({r.limits.max_read_bytes:,} bytes)")
    if raw is None:
        if kind not in (None, "null"):
            return Undecodable(f"{TOO_LARGE} (over {r.limits.max_value_bytes:,} bytes, the reader's limit)")
        return Undecodable("the value is missing (NULL)")
    size = len(raw) if isinstance(raw, (str, bytes)) else None
    if not isinstance(raw, (str, bytes)):
        return Undecodable(f"the value is stored as {type(raw).__name__}, not JSON text", preview=repr(raw)[:200])
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # not JSON, not UTF-8, too deep, an int too long
        return Undecodable(f"not valid JSON ({str(exc)[:200]})", size, preview_text(raw[:PREVIEW_CHARS]))
    if _deeper_than(value, MAX_LENIENT_DEPTH):
        return Undecodable(f"nested more than {MAX_LENIENT_DEPTH} levels deep", size, preview_text(raw[:PREVIEW_CHARS]))
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """True when containers nest more than ``limit`` levels in ``value`` (no recursion)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth == limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False
