"""Turning a state schema (TypedDict, dataclass or Pydantic model) into channels."""

from __future__ import annotations

import dataclasses
import enum
import inspect
import typing
from collections.abc import Callable
from typing import Annotated, Any, get_args, get_origin

from engine.channels import BaseChannel, BinaryOperatorAggregate, LastValue


@dataclasses.dataclass(frozen=True)
class StateField:
    """One state key: its type and, for ``Annotated[T, reducer]``, the reducer."""

    name: str
    value_type: Any
    reducer: Callable[[Any, Any], Any] | None

    def new_channel(self) -> BaseChannel:
        if self.reducer is None:
            return LastValue()
        return BinaryOperatorAggregate(_constructible(self.value_type), self.reducer)


def _constructible(value_type: Any) -> Any:
    origin = get_origin(value_type)
    return origin if isinstance(origin, type) else value_type


def _is_reducer(candidate: Any) -> bool:
    if not callable(candidate):
        return False
    try:
        params = inspect.signature(candidate).parameters.values()
    except (TypeError, ValueError):
        return True  # builtins such as operator.add have no signature; trust them
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in params)


def is_schema(hint: Any) -> bool:
    """Whether ``hint`` is a class whose fields are state keys: a TypedDict, a dataclass or a
    Pydantic model."""
    if not isinstance(hint, type) or hint.__module__ == "builtins":
        return False
    typed_dict = isinstance(getattr(hint, "__total__", None), bool) and issubclass(hint, dict)
    return typed_dict or dataclasses.is_dataclass(hint) or hasattr(hint, "model_fields")


def input_schema_of(fn: Callable[..., Any]) -> Any | None:
    """The schema annotating ``fn``'s first parameter (see :func:`is_schema`), which LangGraph
    takes as the node's input schema: the node is given those keys only, and keys of it the
    graph's state lacks become channels of the graph. None when it has no such annotation."""
    try:
        first = next(iter(inspect.signature(fn).parameters.values()), None)
        hints = typing.get_type_hints(fn if inspect.isroutine(fn) else type(fn).__call__)
    except Exception:  # an annotation that cannot be resolved is no schema
        return None
    hint = hints.get(first.name) if first is not None else None
    return hint if is_schema(hint) else None


def state_fields(schema: Any) -> dict[str, StateField]:
    """The state keys of ``schema`` in declaration order.

    Raises:
        TypeError: ``schema`` is not a class with type annotations.
    """
    if not isinstance(schema, type):
        raise TypeError(f"a state schema must be a class (TypedDict, dataclass, Pydantic model), got {schema!r}")
    hints = typing.get_type_hints(schema, include_extras=True)
    fields: dict[str, StateField] = {}
    for name, hint in hints.items():
        if name.startswith("_") or get_origin(hint) is typing.ClassVar:
            continue
        # ``Required[...]``/``NotRequired[...]`` (TypedDict) wrap the type, reducer and all:
        # look inside, or ``NotRequired[Annotated[list, add]]`` would silently lose its reducer.
        while get_origin(hint) in (typing.Required, typing.NotRequired):
            hint = get_args(hint)[0]
        reducer = None
        value_type = hint
        if get_origin(hint) is Annotated:
            value_type, *extras = get_args(hint)
            reducer = next((e for e in reversed(extras) if _is_reducer(e)), None)
        fields[name] = StateField(name, value_type, reducer)
    return fields


def value_classes(schema: Any) -> list[type]:
    """``schema`` (unless a TypedDict) and every dataclass, Pydantic model or Enum its field types
    name, at any depth (``list[Point]``, ``Point | None``, a model's own fields): the classes a
    checkpoint must be allowed to rebuild, or they would come back from it as plain dicts."""
    found: list[type] = []
    stack: list[Any] = [schema]
    while stack:
        hint = stack.pop()
        stack.extend(get_args(hint))
        if not isinstance(hint, type) or hint in found:
            continue
        if isinstance(hint, enum.EnumMeta):
            found.append(hint)
        elif dataclasses.is_dataclass(hint) or hasattr(hint, "model_fields") or typing.is_typeddict(hint):
            if not typing.is_typeddict(hint):
                found.append(hint)
            try:
                stack.extend(typing.get_type_hints(hint).values())
            except Exception:
                pass  # unresolvable forward references: nothing more to find there
    return found


def build_state(schema: Any, values: dict[str, Any]) -> Any:
    """What a node receives: a dict for a TypedDict schema, else an instance of the schema.

    Raises:
        TypeError: a dataclass/Pydantic schema needs a value that the state does not have yet.
    """
    if dataclasses.is_dataclass(schema) or hasattr(schema, "model_fields"):
        return schema(**values)
    return dict(values)


def state_to_dict(schema_value: Any) -> dict[str, Any]:
    """An input or update given as a dict, a dataclass instance or a Pydantic model, as a dict.

    A Pydantic model leaves out a field that is None and was neither set nor defaults to
    something else (``b: str | None = None`` not passed), as LangGraph does: an update that does
    not mention a key must not overwrite it with None."""
    if isinstance(schema_value, dict):
        return schema_value
    if dataclasses.is_dataclass(schema_value) and not isinstance(schema_value, type):
        return {f.name: getattr(schema_value, f.name) for f in dataclasses.fields(schema_value)}
    if hasattr(type(schema_value), "model_fields"):
        given = getattr(schema_value, "model_fields_set", set())
        return {
            name: value
            for name, field in type(schema_value).model_fields.items()
            if (value := getattr(schema_value, name)) is not None
            or name in given
            or field.get_default(call_default_factory=True) is not None
        }
    raise TypeError(f"expected a dict of state keys, got {type(schema_value).__name__}")
