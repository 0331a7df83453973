"""What a run takes from outside the step math: the clock, new ids, and a hook between steps.

:class:`RunEnv` is the seam for the clock and id generation (tests pass fixed ones instead of
patching module functions). :class:`StepHook` is called around every super-step: the debugger's
live progress, and breakpoints and single-stepping, plug in there.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.checkpoint.base import RunnableConfig, new_checkpoint_id, utc_now
from engine.constants import START
from engine.pregel.algo import Task


def _token() -> str:
    return secrets.token_hex(8)


@dataclass(frozen=True)
class RunEnv:
    """The clock and id sources of a run.

    Attributes:
        now: the current time as ISO 8601 UTC text (a checkpoint's ``ts``).
        checkpoint_id: a new, time-ordered checkpoint id (UUIDv7 text by default).
        token: a random token (hex text) that keeps a replay's task ids its own; it must differ
            on every call (a fixed one would let two replays of one checkpoint share task ids).
        monotonic: a monotonic clock in seconds (a task's duration).
        sleep: waits that many seconds (between retries).
        random: a float in [0, 1) (a retry's jitter).
    """

    now: Callable[[], str] = utc_now
    checkpoint_id: Callable[[], str] = new_checkpoint_id
    token: Callable[[], str] = _token
    monotonic: Callable[[], float] = time.perf_counter
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    random: Callable[[], float] = random.random


DEFAULT_ENV = RunEnv()


@dataclass(frozen=True)
class Breakpoints:
    """Static breakpoints, as LangGraph's ``interrupt_before`` / ``interrupt_after``: node names,
    or ``"*"`` for every node (``START``'s input step never stops).

    A run pauses before a step that runs a node in ``before`` (nothing of it runs), or after a
    step that ran a node in ``after`` (its checkpoint is saved); ``ainvoke(None, config)`` goes
    on, and the step it starts with does not stop before again.
    """

    before: frozenset[str] | str = frozenset()
    after: frozenset[str] | str = frozenset()

    @classmethod
    def of(cls, before: Any = None, after: Any = None) -> Breakpoints:
        def names(value: Any) -> frozenset[str] | str:
            if value == "*":
                return "*"
            return frozenset([value] if isinstance(value, str) else (value or ()))

        return cls(names(before), names(after))

    @staticmethod
    def _hits(nodes: frozenset[str] | str, tasks: tuple[Task, ...] | list[Task]) -> bool:
        return any(t.name != START and (nodes == "*" or t.name in nodes) for t in tasks)

    def stops_before(self, tasks: tuple[Task, ...] | list[Task]) -> bool:
        return self._hits(self.before, tasks)

    def stops_after(self, tasks: tuple[Task, ...] | list[Task]) -> bool:
        return self._hits(self.after, tasks)

    def unknown(self, nodes: Any) -> list[str]:
        """Names that are not nodes (``"*"`` names them all)."""
        named = [n for part in (self.before, self.after) if part != "*" for n in part]
        return sorted(n for n in set(named) if n not in nodes)


@dataclass(frozen=True)
class StepPlan:
    """A super-step about to run: its number, the checkpoint it starts from, its tasks."""

    step: int
    checkpoint_config: RunnableConfig | None
    tasks: tuple[Task, ...]


@dataclass(frozen=True)
class StepCommitted:
    """A checkpoint just saved.

    Attributes:
        step: its step number.
        source: ``"input"``, ``"loop"``, ``"fork"`` or ``"update"``.
        config: the config naming it (``None`` without a checkpointer).
        tasks: the tasks whose writes made it (empty for input, fork and update copies).
        next: the names of the nodes the next super-step runs (empty: the run is done).
        values: the state values at this checkpoint.
    """

    step: int
    source: str
    config: RunnableConfig | None
    tasks: tuple[Task, ...]
    next: tuple[str, ...]
    values: dict[str, Any] = field(default_factory=dict)


class StepHook(Protocol):
    """Called by the run loop around each super-step (both methods may be plain or async).

    ``before_step`` returns False to stop the run before the step (nothing of it runs; the run
    ends as if paused there). ``after_step`` sees each checkpoint as it is saved.
    """

    def before_step(self, plan: StepPlan) -> Any: ...

    def after_step(self, committed: StepCommitted) -> Any: ...


DEFAULT_DURABILITY = "sync"
"""Each step is on disk before the next starts: a debugger's record must survive the crash it
is used to look at (LangGraph defaults to ``"async"``; pass ``durability="async"`` for that)."""


def durability_of(durability: str | None, checkpoint_during: bool | None) -> str | None:
    """``durability=``, or what the older ``checkpoint_during=`` means (deprecated, warns).

    Raises ``ValueError`` when both are given."""
    if checkpoint_during is None:
        return durability
    if durability is not None:
        raise ValueError("pass durability or checkpoint_during (its older name), not both")
    warnings.warn("checkpoint_during is deprecated; use durability='async' or 'exit'", DeprecationWarning, stacklevel=3)
    return "async" if checkpoint_during else "exit"
