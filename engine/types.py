"""Public data types of a run: the state snapshot and the tasks of a super-step."""

from __future__ import annotations

from typing import Any, NamedTuple


class PregelTask(NamedTuple):
    """A task of the next super-step: ``name`` is the node, ``error`` the exception it raised
    last time (as ``{"type": str, "message": str}``) if it failed."""

    id: str
    name: str
    path: tuple[str, ...]
    error: dict[str, str] | None = None
    interrupts: tuple[Any, ...] = ()
    state: Any = None
    result: Any = None


class StateSnapshot(NamedTuple):
    """A thread's state at one checkpoint; same fields as LangGraph's ``StateSnapshot``.

    ``values`` holds the state keys (not the engine's internal channels); ``next`` the nodes the
    next super-step runs; ``metadata`` is ``{"source", "step", "parents", "writes"}`` or ``None``
    when the thread has no checkpoint; ``created_at`` is ISO 8601 in UTC.
    """

    values: dict[str, Any]
    next: tuple[str, ...]
    config: dict[str, Any]
    metadata: dict[str, Any] | None
    created_at: str | None
    parent_config: dict[str, Any] | None
    tasks: tuple[PregelTask, ...]
    interrupts: tuple[Any, ...] = ()
