"""Argument checks every memory store shares: namespaces, keys, values, pages, the clock.

The namespace rules are LangGraph's (``langgraph.store.base._validate_namespace``); the value
rules make sure a value is JSON data that SQLite's JSON functions read exactly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from engine.checkpoint.serde import MAX_LENIENT_DEPTH
from engine.errors import EngineError

NAMESPACE_SEPARATOR = "."
"""Joins a namespace's labels in SQLite; it cannot appear in a label."""
MAX_VALUE_DEPTH = MAX_LENIENT_DEPTH
"""How deeply a value may nest: as deep as the debugger's reader shows values."""

Clock = Callable[[], datetime]
NamespacePath = tuple[str, ...]
"""A ``list_namespaces`` prefix or suffix: labels, where ``"*"`` matches any one label."""


class InvalidNamespaceError(EngineError, ValueError):
    """A namespace LangGraph's stores refuse: empty (where one is written), a label that is not
    a string, is empty, or holds a ``"."`` or a NUL, or a first label ``"langgraph"`` (reserved).
    A ``ValueError``, as LangGraph's ``InvalidNamespaceError`` is."""


def check_labels(namespace: Any, *, what: str = "namespace") -> tuple[str, ...]:
    """``namespace`` as a tuple of labels, checked as LangGraph checks them (an empty tuple is
    fine here: it is a prefix matching everything). Raises :class:`InvalidNamespaceError`."""
    if isinstance(namespace, str) or not isinstance(namespace, (tuple, list)):
        raise InvalidNamespaceError(
            f"a {what} is a tuple of string labels, like ('users', 'u1'); got {namespace!r}"
        )
    for label in namespace:
        if not isinstance(label, str):
            raise InvalidNamespaceError(
                f"invalid label {label!r} in {what} {tuple(namespace)!r}: labels must be strings, "
                f"not {type(label).__name__}"
            )
        if not label:
            raise InvalidNamespaceError(f"invalid label in {what} {tuple(namespace)!r}: labels cannot be empty")
        if NAMESPACE_SEPARATOR in label or "\x00" in label:
            bad = "a period ('.')" if NAMESPACE_SEPARATOR in label else "a NUL ('\\x00')"
            raise InvalidNamespaceError(
                f"invalid label {label!r} in {what} {tuple(namespace)!r}: labels cannot contain {bad}"
            )
        _check_unicode(label, f"label {label!r} in {what} {tuple(namespace)!r}", InvalidNamespaceError)
    return tuple(namespace)


def check_namespace(namespace: Any) -> tuple[str, ...]:
    """A namespace to write to: :func:`check_labels`, and not empty, and not under ``"langgraph"``."""
    labels = check_labels(namespace)
    if not labels:
        raise InvalidNamespaceError("a namespace cannot be empty; give at least one label, like ('memories',)")
    if labels[0] == "langgraph":
        raise InvalidNamespaceError(f"the first label of a namespace cannot be 'langgraph' (reserved): {labels!r}")
    return labels


def check_key(key: Any) -> str:
    """``str(key)`` (LangGraph converts keys the same way), refused if it holds a NUL or a lone
    surrogate (ValueError)."""
    text = str(key)
    if "\x00" in text:
        raise ValueError(f"a store key cannot contain a NUL ('\\x00'): {text!r}")
    _check_unicode(text, f"key {text!r}", ValueError)
    return text


def _check_unicode(text: str, what: str, error: type[Exception]) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise error(f"{what} is not valid Unicode text (it holds a lone surrogate)") from None


def encode_value(value: Any) -> str:
    """The JSON text a store keeps for ``value``: a mapping of string keys to JSON values
    (dicts, lists or tuples, strings, ints, finite floats, booleans, None).

    Raises:
        TypeError: ``value`` is not a mapping, or holds a non-string dict key or a value of
            another type (a datetime, a set, an object...).
        ValueError: it holds NaN or an infinity, a string with a NUL or a lone surrogate,
            or is nested more than :data:`MAX_VALUE_DEPTH` levels deep.
    """
    if not isinstance(value, Mapping):
        raise TypeError(
            f"a store value is a dict of JSON data (or None to delete), not {type(value).__name__}"
        )
    value = dict(value)
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            for key in item:
                if not isinstance(key, str):
                    raise TypeError(f"store values take string dict keys only, got {type(key).__name__} {key!r}")
                _check_string(key)
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            if isinstance(item, str):
                _check_string(item)
            elif isinstance(item, float) and not math.isfinite(item):
                raise ValueError(f"store values cannot hold {item} (JSON has no such number)")
            elif item is not None and not isinstance(item, (bool, int, float)):
                raise TypeError(
                    f"store values are JSON data; {type(item).__name__} is not (convert it to a "
                    "string, number, list or dict first)"
                )
            continue
        if depth == MAX_VALUE_DEPTH:
            raise ValueError(f"a store value cannot nest more than {MAX_VALUE_DEPTH} levels deep")
        stack.extend((child, depth + 1) for child in children)
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _check_string(text: str) -> None:
    # SQLite's JSON functions cut text at a NUL, so a filter could not match such a string exactly.
    if "\x00" in text:
        raise ValueError(f"strings in store values cannot contain a NUL ('\\x00'): {text[:80]!r}")
    _check_unicode(text, f"string {text[:80]!r} in a store value", ValueError)


def check_version(expected_version: Any) -> int | None:
    if expected_version is None:
        return None
    if isinstance(expected_version, bool) or not isinstance(expected_version, int) or expected_version < 0:
        raise ValueError(
            f"expected_version is a version read from the store (0: the item must not exist), got {expected_version!r}"
        )
    return expected_version


def check_page(limit: Any, offset: Any) -> tuple[int, int]:
    for name, n in (("limit", limit), ("offset", offset)):
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"{name} must be a whole number of 0 or more, got {n!r}")
    return limit, offset


def now_utc(clock: Clock) -> datetime:
    """``clock()`` in UTC. Raises ValueError if it returns a naive datetime (its zone unknown)."""
    now = clock()
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise ValueError(f"a store's clock must return an aware datetime, got {now!r}")
    return now.astimezone(UTC)


def default_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class NamespaceQuery:
    """Validated ``list_namespaces`` arguments; :meth:`select` applies them (LangGraph's rules)."""

    prefix: tuple[str, ...]
    suffix: tuple[str, ...]
    max_depth: int | None
    limit: int
    offset: int

    def lead(self) -> tuple[str, ...]:
        """The labels before the prefix's first ``"*"``: every match starts with them."""
        labels = self.prefix
        return labels[: labels.index("*")] if "*" in labels else labels

    def select(self, namespaces: Any) -> list[tuple[str, ...]]:
        """Of ``namespaces``, those matching prefix and suffix, cut to ``max_depth`` labels and
        deduplicated, sorted as tuples, then paged (as LangGraph's ``InMemoryStore``)."""
        found = {
            ns[: self.max_depth] if self.max_depth is not None else ns
            for ns in namespaces
            if _labels_match(ns, self.prefix) and _labels_match(ns[::-1], self.suffix[::-1])
        }
        return sorted(found)[self.offset : self.offset + self.limit]


def _labels_match(namespace: tuple[str, ...], path: tuple[str, ...]) -> bool:
    return len(namespace) >= len(path) and all(p == "*" or p == n for n, p in zip(namespace, path))
