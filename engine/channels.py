"""Channels: where state lives between super-steps.

A channel holds one value, takes the writes of one super-step at a time (``update``), and can be
saved to and restored from a checkpoint. Same design as LangGraph's channels: a plain channel
(:class:`LastValue`) accepts one write per super-step, a reducer channel
(:class:`BinaryOperatorAggregate`) folds any number of writes with its reducer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from engine.errors import InvalidUpdateError


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""The value of a channel that has never been written (distinct from ``None``)."""


class BaseChannel:
    """A channel's value and how it takes a super-step's writes."""

    value: Any = MISSING

    def is_available(self) -> bool:
        return self.value is not MISSING

    def update(self, values: Sequence[Any]) -> bool:
        """Apply one super-step's writes, in task order; return True if the value changed."""
        raise NotImplementedError

    def consume(self) -> bool:
        """Called when a task triggered by this channel runs; True if that changed the value."""
        return False

    def checkpoint(self) -> Any:
        """The value to save (``MISSING`` for none)."""
        return self.value

    def restore(self, value: Any) -> None:
        self.value = value


class LastValue(BaseChannel):
    """Holds the last value written; more than one write in a super-step is an error."""

    def update(self, values: Sequence[Any]) -> bool:
        if not values:
            return False
        if len(values) > 1:
            raise InvalidUpdateError(f"Can receive only one value per step, got {len(values)}")
        self.value = values[0]
        return True


class BinaryOperatorAggregate(BaseChannel):
    """Folds every write into the value with ``reducer(current, write)``.

    Starts from ``value_type()`` when that works (``[]`` for a list, ``0`` for an int), else empty;
    the first write into an empty channel becomes its value as is.
    """

    def __init__(self, value_type: Any, reducer: Callable[[Any, Any], Any]) -> None:
        self.reducer = reducer
        try:
            self.value = value_type()
        except Exception:
            self.value = MISSING

    def update(self, values: Sequence[Any]) -> bool:
        if not values:
            return False
        for value in values:
            self.value = value if self.value is MISSING else self.reducer(self.value, value)
        return True


class EphemeralValue(BaseChannel):
    """Holds a value for one super-step only: cleared after a step that did not write it.

    Used for the input channel and for the trigger channel of each node; several writers in one
    step are fine (every edge into a node writes its trigger).
    """

    def update(self, values: Sequence[Any]) -> bool:
        if not values:
            if self.value is MISSING:
                return False
            self.value = MISSING
            return True
        self.value = values[-1]
        return True


class DeferredTrigger(BaseChannel):
    """The trigger of a deferred node (``add_node(..., defer=True)``): kept from step to step
    until the node runs (which consumes it), so the node runs once, when nothing else is left
    to run. Several writers in one step are fine."""

    def update(self, values: Sequence[Any]) -> bool:
        if not values:
            return False
        self.value = values[-1]
        return True

    def consume(self) -> bool:
        if self.value is MISSING:
            return False
        self.value = MISSING
        return True


class NamedBarrierValue(BaseChannel):
    """Waits until every one of ``names`` has written it; consumed by the task it triggers.

    The value is the sorted list of names seen so far; it is available once all have been seen.
    """

    def __init__(self, names: Sequence[str]) -> None:
        self.names = frozenset(names)
        self.value = []

    def is_available(self) -> bool:
        return set(self.value) == self.names

    def update(self, values: Sequence[Any]) -> bool:
        seen = set(self.value)
        new = seen | (set(values) & self.names)
        if new == seen:
            return False
        self.value = sorted(new)
        return True

    def consume(self) -> bool:
        if self.is_available():
            self.value = []
            return True
        return False

    def restore(self, value: Any) -> None:
        self.value = sorted(value) if isinstance(value, list | tuple | set | frozenset) else []
