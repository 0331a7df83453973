"""What a graph is made of, as plain frozen data: nodes, conditional edges, and how they are called.

Shared by the builder (:mod:`engine.graph.state`) and the compiled description the run loop
reads (:mod:`engine.pregel.spec`), so neither imports the other.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from engine.constants import END
from engine.types import Command, RetryPolicy


@dataclass(frozen=True)
class NodeSpec:
    """A node: its name, its function, how the function takes ``config`` (see
    :func:`config_argument`), and its retry policies (the first that matches an exception
    applies; none: a failure is final)."""

    name: str
    fn: Callable[..., Any]
    config_arg: str | None
    retry_policy: tuple[RetryPolicy, ...] = ()


@dataclass(frozen=True)
class Branch:
    """A conditional edge: ``router(state)`` names where to go, through ``path_map`` if given."""

    source: str
    router: Callable[..., Any]
    path_map: dict[Hashable, str] | None
    config_arg: str | None

    def destinations(self) -> list[str] | None:
        """Every node the branch can route to, or ``None`` when that cannot be known."""
        return sorted(set(self.path_map.values())) if self.path_map is not None else None


def config_argument(fn: Callable[..., Any]) -> str | None:
    """How ``fn`` takes the run's config: ``"keyword"`` (a parameter named ``config``),
    ``"positional"`` (a second required positional parameter) or ``None`` (it does not)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.name == "config" and p.kind is not p.POSITIONAL_ONLY for p in params):
        return "keyword"
    # A second positional parameter with a default (``lambda s, name=name: ...``, the usual way
    # to bind a loop variable) is not a config slot: only a required one counts.
    positional = [
        p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return "positional" if len(positional) >= 2 else None


def call_arguments(config_arg: str | None, state: Any, config: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The positional and keyword arguments of a node or router call."""
    if config_arg == "keyword":
        return (state,), {"config": config}
    if config_arg == "positional":
        return (state, config), {}
    return (state,), {}


def return_hint(fn: Callable[..., Any]) -> Any:
    """``fn``'s return annotation, resolved (None when it has none or it cannot be resolved)."""
    try:
        return typing.get_type_hints(fn).get("return")
    except Exception:
        return None


def command_destinations(fn: Callable[..., Any], nodes: Sequence[str]) -> list[str] | None:
    """Where a node annotated ``-> Command[Literal["a", "b"]]`` can go with ``goto`` (a bare
    ``-> Command`` can go to any of ``nodes``); None when the node does not declare Command."""
    hint = return_hint(fn)
    if hint is Command:
        return [*nodes, END]
    if get_origin(hint) is Command:
        args = get_args(hint)
        if args and get_origin(args[0]) is Literal:
            return [str(a) for a in get_args(args[0])]
        return [*nodes, END]
    return None
