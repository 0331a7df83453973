"""Errors raised by the engine and its checkpoint savers.

Every error derives from :class:`EngineError`, so callers (the CLI, the debugger) can catch one
class and show its message; the messages say what was wrong and what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""


class InvalidUpdateError(EngineError):
    """A super-step produced writes the state cannot take.

    Raised when two tasks of one super-step write a channel that has no reducer (same as
    LangGraph's ``InvalidUpdateError``), or when a node returns something other than a mapping of
    state keys (or ``None``).
    """


class GraphRecursionError(EngineError):
    """A run needed more super-steps than ``config["recursion_limit"]`` allows (default 25)."""


class GraphValidationError(EngineError, ValueError):
    """``StateGraph.compile()`` found problems; ``problems`` lists every one of them.

    Also a ``ValueError``, which is what LangGraph raises for an invalid graph.

    Attributes:
        problems: one human-readable sentence per problem, in the order they were found.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        listing = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"the graph is not valid ({len(self.problems)} problem(s)):\n{listing}")


class UnknownNodeError(InvalidUpdateError):
    """A name that is not a node: a router's or a ``goto``'s destination, or ``as_node``. An
    :class:`InvalidUpdateError`, as LangGraph raises for an unknown ``as_node``."""


class UnknownRouteError(UnknownNodeError, KeyError):
    """A router returned a value its ``path_map`` dict has no key for; also a ``KeyError``, as
    LangGraph raises there."""

    def __str__(self) -> str:  # KeyError would show the message quoted
        return str(self.args[0]) if self.args else ""


class NodeTimeoutError(EngineError):
    """An attempt of a node ran longer than its ``add_node(..., timeout=...)`` (as LangGraph's
    ``NodeTimeoutError``); the node's retry policy decides whether it runs again."""


class EmptyInputError(EngineError):
    """``invoke(None, config)`` was called on a thread that has nothing to resume."""


class GraphInterrupt(EngineError):
    """Raised inside a node by :func:`engine.types.interrupt` to pause the run; the run loop
    catches it (a node should let it pass). ``interrupts`` are :class:`engine.types.Interrupt`."""

    def __init__(self, interrupts: tuple = ()) -> None:
        self.interrupts = tuple(interrupts)
        super().__init__(f"the run paused for input: {[i.value for i in self.interrupts]!r}")


class InvalidResumeError(EngineError, RuntimeError):
    """``Command(resume=...)`` cannot say which interrupt it answers: several are pending and the
    value is not a ``{interrupt_id: value}`` map of them (LangGraph raises ``RuntimeError``)."""


class SerializationError(EngineError):
    """A value could not be encoded to, or decoded from, the checkpoint format."""


class CheckpointStoreError(EngineError):
    """A checkpoint database cannot be used; the message says why and what to do."""


class NotARetraceDatabaseError(CheckpointStoreError):
    """The file is missing, is not SQLite, or is SQLite but was not written by retrace."""


class SchemaTooNewError(CheckpointStoreError):
    """The database was written by a newer retrace whose schema this version does not know."""


@dataclass(frozen=True)
class NodeError:
    """What a node's ``error_handler`` is given (as LangGraph's ``NodeError``; not an
    exception): the name of the node that failed and the exception its last attempt raised."""

    node: str
    error: BaseException
