"""Checking a state update against the state schema's declared types, before anything is written.

Used by ``update_state`` (a person's edit), not by node runs: LangGraph checks neither, and a
node's writes are the graph's own business. Validation is pydantic's ``TypeAdapter`` over each
field's type hint, in strict mode (``"3"`` is not an ``int``), on fields without a reducer. A
field with a reducer takes whatever its reducer takes (``add_messages`` takes ``("human",
"hi")`` tuples), so only the reducer can judge it; a type pydantic cannot describe (a plain
class) is checked with ``isinstance`` when it is a class, else not at all.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic.errors import PydanticSchemaGenerationError, PydanticUserError

from engine.errors import InvalidUpdateError
from engine.pregel.schema import StateField

__all__ = ["check_update_types", "type_label"]

_PREVIEW = 80


def type_label(value_type: Any) -> str:
    """``int``, ``list[str]``: a type hint as a person writes it."""
    if isinstance(value_type, type) and not getattr(value_type, "__args__", None):
        return value_type.__qualname__
    return str(value_type).replace("typing.", "")


@functools.lru_cache(maxsize=256)
def _adapter(value_type: Any) -> TypeAdapter | None:
    try:
        return TypeAdapter(value_type)
    except (PydanticSchemaGenerationError, PydanticUserError, TypeError):
        return None


def _fits(value_type: Any, value: Any) -> str | None:
    """None if ``value`` fits ``value_type``, else pydantic's first complaint."""
    try:
        adapter = _adapter(value_type)
    except TypeError:  # an unhashable hint: cannot be cached, build it once
        adapter = None
    if adapter is None:
        if isinstance(value_type, type) and not isinstance(value, value_type):
            return f"not an instance of {value_type.__qualname__}"
        return None
    try:
        adapter.validate_python(value, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{first.get('msg', 'invalid')}{f' at {where}' if where else ''}"
    return None


def check_update_types(fields: Mapping[str, StateField], writes: Iterable[tuple[str, Any]]) -> None:
    """Refuse ``writes`` (``(key, value)`` pairs of an update) whose values do not fit the keys'
    declared types.

    Raises:
        InvalidUpdateError: naming every key that does not fit, its declared type, and a
            preview of what was given.
    """
    problems = []
    for key, value in writes:
        field = fields.get(key)
        if field is None or field.reducer is not None:
            continue
        complaint = _fits(field.value_type, value)
        if complaint is not None:
            given = repr(value)
            given = given if len(given) <= _PREVIEW else given[: _PREVIEW - 1] + "…"
            problems.append(
                f"{key!r} expects {type_label(field.value_type)}, got {type(value).__name__} {given} ({complaint})"
            )
    if problems:
        raise InvalidUpdateError("the update does not fit the state's types: " + "; ".join(problems))
