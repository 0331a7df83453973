"""Rows of a checkpoint database as the reader's types: every column checked on the way in.

A stranger's file can hold any SQLite type in any column (a blob where text belongs, ``9e999``
in an INTEGER column, JSON nested 100,000 deep, a 50 MB error). A lenient :class:`RowReader`
never raises: each field that cannot be read gets a safe default, and a sentence saying what was
wrong goes into the row's ``damage``, so one bad row is shown as damaged instead of making its
thread unreadable; a strict one (a saver's) raises at the first problem. Pure functions over the
tuples the SQL in :mod:`.reader` selects; no I/O.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from functools import partial
from typing import Any

from engine.checkpoint.serde import JsonSerializer, Undecodable
from engine.errors import CheckpointStoreError, SerializationError

INT64 = (-(1 << 63), (1 << 63) - 1)
MAX_KEY_CHARS = 4096
"""Longest id, channel or node name the reader takes; a longer one is cut and marked damaged."""


@dataclass(frozen=True)
class Limits:
    """How much of one row the reader takes in, in bytes: ``max_value_bytes`` per channel value
    or pending write, ``max_record_bytes`` per metadata, error, list of next nodes, versions or
    sends (small by nature: a page of history reads 200 of them), and :data:`MAX_KEY_CHARS`
    characters per id or name. Larger ones are not read (see :func:`value_sql`)."""

    max_value_bytes: int = 8 * 1024 * 1024
    max_record_bytes: int = 256 * 1024
    max_read_bytes: int = 32 * 1024 * 1024
    """All the values one read returns together (a checkpoint's channels, a step's writes):
    past it, the remaining values are not read."""


TOO_LARGE = "too large to read"
"""How the reason of an :class:`Undecodable` for an oversized value starts."""
PREVIEW_CHARS = 300
"""Characters of an oversized value read to show how it starts (SQLite loads it once more)."""

OVER_BUDGET = "over-budget"
"""The ``kind`` the SQL gives a value left out because its read was over ``max_read_bytes``."""


def within_budget(sizes: list[int | None], limits: Limits) -> int:
    """How many leading values (``sizes`` in bytes, None for NULL) one read returns with their
    values: as many as fit ``limits.max_read_bytes`` together (values over the per-value limit
    are never read, so they do not count)."""
    total = 0
    for count, size in enumerate(sizes):
        if size is not None and size <= limits.max_value_bytes:
            total += size
            if total > limits.max_read_bytes:
                return count
    return len(sizes)


def key_sql(column: str, limits: Limits | None) -> str:
    """A select expression for an id or name column: cut to one past the limit in SQL."""
    return column if limits is None else f"substr({column}, 1, {MAX_KEY_CHARS + 1})"


def int_sql(column: str, limits: Limits | None) -> str:
    """A select expression for an integer column: a long text or blob there is cut in SQL."""
    if limits is None:
        return column
    return f"CASE WHEN typeof({column}) IN ('integer', 'real') THEN {column} ELSE substr({column}, 1, 40) END"


def value_sql(column: str, limits: Limits | None, *, record: bool = False) -> str:
    """Select expressions (two) for a stored value (``record``: a metadata-like one): the value
    when it is within its limit (else NULL), and its SQLite type. SQLite loads a value each time
    an expression names it, so an oversized one is loaded once, to measure it, and left there."""
    if limits is None:
        return f"{column}, NULL"
    limit = limits.max_record_bytes if record else limits.max_value_bytes
    return f"CASE WHEN length({column}) <= {limit} THEN {column} END, typeof({column})"


def surrogate_text(raw: bytes) -> str:
    """The connection's text factory: invalid UTF-8 bytes become lone surrogates (shown as
    ``\\udcXX``), instead of an error that quotes the raw bytes."""
    return raw.decode("utf-8", "surrogateescape")


def param(text: str) -> str | bytes:
    """``text`` as a query parameter that matches the stored value even when it held invalid
    UTF-8 (the SQL compares with ``CAST(? AS TEXT)``)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape")
    return text


class RowReader:
    """Reads the fields of one row (``what``: ``"thread 't1'"``), collecting what was wrong in
    ``damage``; with ``strict`` (a saver that resumes runs) the first problem raises instead.

    Raises:
        CheckpointStoreError: (``strict`` only) a field cannot be read.
    """

    def __init__(self, what: str, serde: JsonSerializer, limits: Limits | None, *, strict: bool = False) -> None:
        self.what = what
        self.serde = serde
        self.limits = limits or Limits()
        self.capped = limits is not None
        """Ids and names are cut at :data:`MAX_KEY_CHARS` (not for a saver, which must read
        back whatever it wrote)."""
        self.strict = strict
        self.damage: list[str] = []

    def flag(self, problem: str) -> None:
        if self.strict:
            raise CheckpointStoreError(f"{self.what} is damaged: {problem}")
        self.damage.append(problem)

    def text(self, field: str, raw: Any, *, optional: bool = False) -> str | None:
        """A text column: bytes decoded, numbers spelled out, too long cut and flagged."""
        if raw is None:
            if not optional:
                self.flag(f"{field} is missing")
                return ""
            return None
        if isinstance(raw, bytes):
            self.flag(f"{field} is stored as a blob, not text")
            raw = raw.decode("utf-8", "surrogateescape")
        elif not isinstance(raw, str):
            raw = str(raw)
        if self.capped and len(raw) > MAX_KEY_CHARS:
            self.flag(f"{field} is longer than {MAX_KEY_CHARS:,} characters; shown cut")
            raw = raw[:MAX_KEY_CHARS]
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:
            self.flag(f"{field} is not valid UTF-8 (each bad byte shows as a udcXX escape)")
        return raw

    def integer(self, field: str, raw: Any, *, optional: bool = False, default: int = 0) -> int | None:
        """An integer column: whole numbers in SQLite's 64-bit range, anything else flagged."""
        if raw is None:
            if not optional:
                self.flag(f"{field} is missing")
            return None if optional else default
        value: int | None = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif isinstance(raw, float) and raw.is_integer():
            value = int(raw)
        elif isinstance(raw, str) and len(raw) <= 40:
            try:
                value = int(raw)
            except ValueError:
                value = None
        if value is None or not INT64[0] <= value <= INT64[1]:
            shown = repr(raw)[:40]
            self.flag(f"{field} is not a whole number ({shown})")
            return None if optional else default
        return value

    def value(self, field: str, raw: Any, kind: Any, *, record: bool = False) -> Any:
        """A serialized value (``kind``: its SQLite type, or None when unchecked): decoded
        leniently; one the SQL left out for being over its limit becomes an :class:`Undecodable`."""
        if kind == OVER_BUDGET:
            budget = self.limits.max_read_bytes
            return Undecodable(f"not read: the values before it already fill one read ({budget:,} bytes)")
        if raw is None and kind not in (None, "null"):
            limit = self.limits.max_record_bytes if record else self.limits.max_value_bytes
            return Undecodable(f"{TOO_LARGE} (over {limit:,} bytes, the reader's limit)")
        if raw is None:
            return None
        if not self.strict:
            return self.serde.loads(raw, lenient=True)
        try:
            return self.serde.loads(raw)
        except SerializationError as exc:
            raise CheckpointStoreError(f"{self.what}: a stored value cannot be decoded: {exc}") from exc

    def json(self, field: str, raw: Any, kind: Any, default: Any) -> Any:
        """A plain JSON column (versions, next nodes): the parsed value, or ``default`` when it
        is missing, oversized, or not JSON."""
        if raw is None:
            oversized = kind not in (None, "null")
            self.flag(f"{field} is {TOO_LARGE} (over {self.limits.max_record_bytes:,} bytes)"
                      if oversized else f"{field} is missing")
            return default
        try:
            return json.loads(raw)
        except (ValueError, TypeError, RecursionError) as exc:
            self.flag(f"{field} is not valid JSON ({str(exc)[:80]})")
            return default

    def mapping(self, field: str, value: Any) -> dict:
        """``value`` if it is a dict (of anything), else ``{}`` and a flag."""
        if isinstance(value, dict):
            return value
        reason = value.reason if isinstance(value, Undecodable) else f"a {type(value).__name__}, not a mapping"
        self.flag(f"{field} cannot be read: {reason}")
        return {}

    def names(self, field: str, value: Any) -> tuple[str, ...]:
        """A JSON list of names (strings); anything else flagged."""
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(self.text(field, v) or "" for v in value)
        self.flag(f"{field} is not a list of names")
        return ()

    def str_map(self, field: str, value: Any) -> dict[str, str]:
        """``{str: str}`` (channel versions); other entries dropped and flagged."""
        if not isinstance(value, dict):
            self.flag(f"{field} is not a mapping")
            return {}
        out = {k: v for k, v in value.items() if isinstance(v, str) and len(k) <= MAX_KEY_CHARS}
        if len(out) != len(value):
            self.flag(f"{field}: {len(value) - len(out)} entries are not name -> version strings")
        return out


def preview_text(raw: Any) -> str:
    """The start of a stored value as text (a blob's bytes decoded, bad ones replaced)."""
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    return "" if raw is None else str(raw)


def error_from_preview(reason: str, preview: str) -> dict[str, str]:
    """An error record too large to read, as ``{"type", "message"}`` from how its JSON starts:
    the type when it can be seen there, the message saying what was shown."""
    kind = re.search(r'"type"\s*:\s*"((?:[^"\\]|\\.){0,200})"', preview)
    return {
        "type": json.loads(f'"{kind.group(1)}"') if kind else "unreadable error",
        "message": f"{reason}; it starts: {preview}",
    }


def select_lists(limits: Limits | None) -> tuple[str, str, str]:
    """The select lists of a thread row, a checkpoint summary and a checkpoint detail."""
    k, i = (partial(f, limits=limits) for f in (key_sql, int_sql))
    v = partial(value_sql, limits=limits, record=True)
    threads = (
        f"{k('thread_id')}, {i('checkpoint_count')}, {i('latest_step')}, {k('latest_checkpoint_id')}, "
        f"{k('created_at')}, {k('updated_at')}, {k('status')}, {v('error')}"
    )
    summary = (
        f"{k('thread_id')}, {k('checkpoint_ns')}, {k('checkpoint_id')}, {k('parent_checkpoint_id')}, "
        f"{i('step')}, {k('source')}, {k('created_at')}, {v('next_nodes')}, {v('metadata')}"
    )
    detail = f"{summary}, {v('channel_versions')}, {v('versions_seen')}, {v('pending_sends')}"
    return threads, summary, detail


def error_record(r: RowReader, error: Any) -> dict[str, Any] | None:
    """A thread's decoded error as ``{"type": str, "message": str, ...}`` (None: no error);
    whatever else it is becomes text, flagged."""
    if error is None:
        return None
    if isinstance(error, dict) and all(isinstance(k, str) for k in error):
        for key in ("type", "message"):
            part = error.get(key, "")
            if not isinstance(part, str):
                r.flag(f"the error's {key} is not text")
                shown = part.reason if isinstance(part, Undecodable) else repr(part)
                error = {**error, key: f"(unreadable: {shown[:2000]})"}
        return error
    if isinstance(error, Undecodable):
        r.flag(f"the error cannot be read: {error.reason}")
        text = f"{error.reason}; it starts: {error.preview}" if error.preview else error.reason
        return {"type": "unreadable error", "message": text}
    r.flag("the error is not a {type, message} record")
    return {"type": "error", "message": repr(error)[:2000]}


def step_writes(r: RowReader, writes: Any) -> dict[str, list[str]]:
    """The metadata's ``{node: [channel, ...]}``: names only, anything else flagged."""
    if not isinstance(writes, dict):
        r.flag("metadata 'writes' is not a mapping of node -> channels")
        return {}
    out: dict[str, list[str]] = {}
    for node, channels in writes.items():
        if isinstance(node, str) and isinstance(channels, list) and all(isinstance(c, str) for c in channels):
            out[r.text("node name", node) or ""] = [r.text("channel name", c) or "" for c in channels]
        else:
            r.flag(f"metadata 'writes' of {str(node)[:40]!r} is not a list of channel names")
    return out


def database_error_text(exc: sqlite3.Error) -> str:
    """SQLite's own message, cut short: it can quote bytes of the file (names from the schema,
    undecodable text), so the caller still shows it only through the neutralising function."""
    text = str(exc)
    return text if len(text) <= 300 else text[:299] + "…"
