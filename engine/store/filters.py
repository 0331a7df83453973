"""Search filters of the memory store: validated once, then run in Python or compiled to SQL.

A filter is ``{key: condition}`` over an item's value, every key required to match (AND):

- a string, number, boolean or None: equal to the value at ``key``. Equality is JSON's: a
  boolean never equals a number (unlike Python, ``True != 1``), ``1 == 1.0``, and None matches
  a JSON null or a missing key (as LangGraph's ``InMemoryStore``, where ``value.get(key)`` is
  None);
- a dict of operators ``{"$eq" | "$ne" | "$gt" | "$gte" | "$lt" | "$lte": operand}`` (LangGraph's
  operators): ``$eq``/``$ne`` take a scalar as above (``$ne`` also matches a missing key);
  the order operators take a number (matching numbers only) or a string (matching strings only,
  by code point), and never match a missing key (LangGraph's ``InMemoryStore`` raises there);
- any other dict: the value at ``key`` is an object whose keys match it recursively (the keys
  it does not name are not looked at), as LangGraph's ``InMemoryStore`` compares;
- a list: the value at ``key`` is an array of that length whose items match one by one.

Keys are literal top-level (or, nested, object) keys: ``"a.b"`` is the key ``a.b``, not a path
(as LangGraph's ``InMemoryStore``; its ``SqliteStore`` reads dots as a path and refuses other
punctuation). :func:`matches` and :func:`filter_sql` implement the same rules; the SQL binds
every key and operand as a parameter and walks values with ``json_each``, so no text from a
filter is ever part of the SQL.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

OPERATORS = ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte")
MAX_FILTER_DEPTH = 16
MAX_FILTER_CONDITIONS = 256
_INT64 = (-(1 << 63), (1 << 63) - 1)
_SQL_ORDER = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}

Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class Condition:
    """One validated condition on the value at ``key`` (an object key, or an array index).

    ``kind``: ``"eq"`` / ``"ne"`` (``operand`` a scalar), ``"order"`` (``op`` one of
    ``$gt``..``$lte``, ``operand`` a number or string), ``"object"`` / ``"array"`` (``children``:
    the conditions inside it; an array's also fix its length, ``operand``).
    """

    key: str | int
    kind: Literal["eq", "ne", "order", "object", "array"]
    operand: Any = None
    op: str = ""
    children: tuple[Condition, ...] = ()


def parse_filter(filter: Mapping[str, Any] | None) -> tuple[Condition, ...]:
    """``filter`` (see the module) as conditions; ``()`` for None or ``{}``.

    Raises:
        TypeError: ``filter`` is not a mapping, or one of its keys is not a string.
        ValueError: a key holds a NUL, an operator is unknown or mixed with plain keys, an
            operand has the wrong type, a number is not finite or not a 64-bit integer, or the
            filter is nested deeper than :data:`MAX_FILTER_DEPTH` or holds more than
            :data:`MAX_FILTER_CONDITIONS` conditions.
    """
    if filter is None:
        return ()
    if not isinstance(filter, Mapping):
        raise TypeError(f"a search filter is a dict of value keys to conditions, not {type(filter).__name__}")
    budget = [MAX_FILTER_CONDITIONS]
    return _parse_object(filter, 1, budget)


def _parse_object(spec: Mapping[Any, Any], depth: int, budget: list[int]) -> tuple[Condition, ...]:
    out: list[Condition] = []
    for key, spec_value in spec.items():
        if not isinstance(key, str):
            raise TypeError(f"filter keys must be strings, got {type(key).__name__} {key!r}")
        _check_text(key, "a filter key")
        out.extend(_parse_value(key, spec_value, depth, budget))
    return tuple(out)


def _parse_value(key: str | int, spec: Any, depth: int, budget: list[int]) -> list[Condition]:
    budget[0] -= 1
    if budget[0] < 0:
        raise ValueError(f"the filter has more than {MAX_FILTER_CONDITIONS} conditions; narrow it down")
    if depth > MAX_FILTER_DEPTH:
        raise ValueError(f"the filter is nested more than {MAX_FILTER_DEPTH} levels deep")
    if isinstance(spec, Mapping):
        operators = [k for k in spec if isinstance(k, str) and k.startswith("$")]
        if not operators:
            return [Condition(key, "object", children=_parse_object(spec, depth + 1, budget))]
        if len(operators) != len(spec):
            raise ValueError(f"the filter on {key!r} mixes operators with plain keys: {sorted(map(str, spec))}")
        return [_parse_operator(key, op, operand) for op, operand in spec.items()]
    if isinstance(spec, (list, tuple)):
        children = [c for i, item in enumerate(spec) for c in _parse_value(i, item, depth + 1, budget)]
        return [Condition(key, "array", operand=len(spec), children=tuple(children))]
    return [Condition(key, "eq", operand=_scalar(spec, f"the filter on {key!r}"))]


def _parse_operator(key: str | int, op: str, operand: Any) -> Condition:
    where = f"{op} on {key!r}"
    if op in ("$eq", "$ne"):
        return Condition(key, "eq" if op == "$eq" else "ne", operand=_scalar(operand, where))
    if op not in _SQL_ORDER:
        raise ValueError(f"unsupported filter operator {op!r} on {key!r}; use one of {', '.join(OPERATORS)}")
    if operand is None or isinstance(operand, bool) or not isinstance(operand, (int, float, str)):
        raise ValueError(f"{where} compares with a number or a string, not {type(operand).__name__}")
    return Condition(key, "order", operand=_scalar(operand, where), op=op)


def _scalar(value: Any, where: str) -> Scalar:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise ValueError(f"{where}: integers in filters must fit in 64 bits, got {value}")
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {value} is not a finite number")
        return float(value)
    if isinstance(value, str):
        _check_text(value, where)
        return str(value)
    raise ValueError(
        f"{where}: a condition is a string, number, boolean, None, list or dict, not {type(value).__name__}"
    )


def _check_text(text: str, where: str) -> None:
    if "\x00" in text:
        raise ValueError(f"{where} contains a NUL character ('\\x00'), which the store does not hold")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{where} is not valid Unicode text (it holds a lone surrogate)") from None


# Python -------------------------------------------------------------------------------------

_MISSING = object()


def matches(value: Any, conditions: tuple[Condition, ...]) -> bool:
    """Whether the stored JSON ``value`` (an item's decoded value) meets every condition."""
    return all(_meets(value, c) for c in conditions)


def _meets(container: Any, c: Condition) -> bool:
    if isinstance(c.key, int):
        found = container[c.key] if isinstance(container, list) and c.key < len(container) else _MISSING
    else:
        found = container.get(c.key, _MISSING) if isinstance(container, dict) else _MISSING
    if c.kind == "eq":
        return _equal(found, c.operand)
    if c.kind == "ne":
        return not _equal(found, c.operand)
    if c.kind == "order":
        if isinstance(c.operand, str):
            if not isinstance(found, str):
                return False
        elif not _is_number(found):
            return False
        return {"$gt": found > c.operand, "$gte": found >= c.operand,
                "$lt": found < c.operand, "$lte": found <= c.operand}[c.op]
    if c.kind == "object":
        return isinstance(found, dict) and matches(found, c.children)
    return isinstance(found, list) and len(found) == c.operand and matches(found, c.children)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equal(found: Any, operand: Scalar) -> bool:
    if operand is None:
        return found is _MISSING or found is None
    if isinstance(operand, bool):
        return isinstance(found, bool) and found is operand
    if isinstance(operand, str):
        return isinstance(found, str) and found == operand
    return _is_number(found) and found == operand


# SQL ----------------------------------------------------------------------------------------

_NUMBER_TYPES = "('integer', 'real')"


def filter_sql(conditions: tuple[Condition, ...], column: str) -> tuple[str, list[Any]]:
    """The conditions as one SQL boolean expression over the JSON text in ``column`` (a column
    name the caller wrote, never user text), and its parameters in order. ``"1"`` for none.

    Every ``EXISTS`` / ``NOT EXISTS`` is true or false, never NULL, so ``NOT`` is exact.
    """
    if not conditions:
        return "1", []
    params: list[Any] = []
    counter = [0]
    sql = " AND ".join(_condition_sql(c, column, params, counter) for c in conditions)
    return sql, params


def _condition_sql(c: Condition, container: str, params: list[Any], counter: list[int]) -> str:
    counter[0] += 1
    j = f"j{counter[0]}"
    head = f"SELECT 1 FROM json_each({container}) AS {j} WHERE {j}.key = ?"
    params.append(c.key)
    if c.kind in ("eq", "ne"):
        if c.operand is None:  # a JSON null or no such key at all
            sql = f"NOT EXISTS ({head} AND {j}.type <> 'null')"
        else:
            sql = f"EXISTS ({head} AND {_typed_equal(j, c.operand, params)})"
        return f"NOT {sql}" if c.kind == "ne" else sql
    if c.kind == "order":
        kind = "= 'text'" if isinstance(c.operand, str) else f"IN {_NUMBER_TYPES}"
        params.append(c.operand)
        return f"EXISTS ({head} AND {j}.type {kind} AND {j}.atom {_SQL_ORDER[c.op]} ?)"
    if c.kind == "object":
        shape = f"{j}.type = 'object'"
    else:
        shape = f"{j}.type = 'array' AND json_array_length({j}.value) = ?"
        params.append(c.operand)
    inner = [_condition_sql(child, f"{j}.value", params, counter) for child in c.children]
    return f"EXISTS ({head} AND {' AND '.join([shape, *inner])})"


def _typed_equal(j: str, operand: Scalar, params: list[Any]) -> str:
    if isinstance(operand, bool):
        return f"{j}.type = '{'true' if operand else 'false'}'"
    params.append(operand)
    kind = "= 'text'" if isinstance(operand, str) else f"IN {_NUMBER_TYPES}"
    return f"{j}.type {kind} AND {j}.atom = ?"
