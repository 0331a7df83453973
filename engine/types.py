"""Public data types of a run: the state snapshot, the tasks of a super-step, and human in the
loop (:func:`interrupt`, :class:`Interrupt`, :class:`Command`), same names as ``langgraph.types``."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, TypeVar

from engine.errors import GraphInterrupt

_INTERRUPT_NAMESPACE = uuid.UUID("8f6c2a4e-1d3b-4c5a-9e7f-2b1a0c9d8e7f")
N = TypeVar("N")


@dataclass(frozen=True)
class Interrupt:
    """A pause for input, as LangGraph's ``Interrupt``: ``value`` is what :func:`interrupt` was
    given (the payload a person reads), ``id`` (32 hex characters) names it in
    ``Command(resume={id: value})``. The id is stable: the same call of the same task gets the
    same id when the node runs again."""

    value: Any
    id: str

    def to_data(self) -> dict[str, Any]:
        """``{"id", "value"}``: how a pending-write row stores it."""
        return {"id": self.id, "value": self.value}


def interrupt_id(task_id: str, index: int) -> str:
    """The id of the ``index``-th (0-based) :func:`interrupt` call of task ``task_id``."""
    return uuid.uuid5(_INTERRUPT_NAMESPACE, f"{task_id}|{index}").hex


class OpenAnswer:
    """An answer given when no interrupt was pending (the run was paused at a breakpoint, or
    the state was edited since it asked): the first :func:`interrupt` call of the run with no
    answer of its own takes it, once, as in LangGraph. Safe across worker threads."""

    def __init__(self, value: Any) -> None:
        self._value = value
        self._taken = False
        self._lock = threading.Lock()

    def take(self) -> tuple[bool, Any]:
        with self._lock:
            if self._taken:
                return False, None
            self._taken = True
            return True, self._value


@dataclass
class TaskResume:
    """The resume values of the task running in this context (set by the run loop): ``values``
    are what earlier :func:`interrupt` calls get back, in order (the task's own list: an answer
    taken from ``open_answer`` is added to it); ``calls`` counts the calls."""

    task_id: str
    values: list[Any] = field(default_factory=list)
    calls: int = 0
    open_answer: OpenAnswer | None = None


CURRENT_TASK: ContextVar[TaskResume | None] = ContextVar("retrace_current_task", default=None)


def interrupt(value: Any) -> Any:
    """Pause the run for input, from inside a node; same as LangGraph's ``interrupt``.

    The first time, the run stops: the step's other tasks finish and are saved, the thread is
    marked ``interrupted``, and ``ainvoke`` returns the state with ``"__interrupt__": [Interrupt]``.
    ``ainvoke(Command(resume=answer), config)`` runs the node again from its start, and this call
    returns ``answer``. A node that calls ``interrupt`` several times gets one answer per call,
    in order (each resume answers the next unanswered call).

    ``value`` must be storable in a checkpoint (JSON-like data or messages).

    Raises:
        GraphInterrupt: to pause (the run loop catches it; do not catch it in the node).
        RuntimeError: called outside a node run by the engine.
    """
    task = CURRENT_TASK.get()
    if task is None:
        raise RuntimeError("interrupt() can only be called inside a node while the graph runs")
    index = task.calls
    task.calls += 1
    if index < len(task.values):
        return task.values[index]
    if task.open_answer is not None and index == len(task.values):
        taken, answer = task.open_answer.take()
        if taken:
            task.values.append(answer)
            return answer
    raise GraphInterrupt((Interrupt(value, interrupt_id(task.task_id, index)),))


@dataclass(frozen=True)
class Send:
    """Run ``node`` in the next super-step with ``arg`` as its input (not the graph's state), as
    LangGraph's ``Send``: return a list of them from a conditional edge's router (or in
    ``Command(goto=[...])``) to fan out; each is a task of its own, and their writes are applied
    in the order they were sent."""

    node: str
    arg: Any


@dataclass(frozen=True)
class Command(Generic[N]):
    """What to do next, as LangGraph's ``Command``.

    As a run's input: ``resume`` answers pending interrupts (one value when one interrupt is
    pending, or ``{interrupt_id: value, ...}`` for several); ``update`` (a dict of state keys)
    is applied before the interrupted step runs again.

    Returned from a node: ``update`` is the node's state update and ``goto`` (a node name, a
    :class:`Send`, or a list of them) runs those next, besides the node's static edges. ``Command[Literal["a",
    "b"]]`` as a node's return annotation declares where it can go (used for validation and for
    drawing the graph).
    """

    update: Any = None
    resume: Any = None
    goto: Any = ()

    def goto_nodes(self) -> list[Any]:
        """``goto`` as a list: node names and ``Send``s."""
        return [self.goto] if isinstance(self.goto, str | Send) else list(self.goto)


def default_retry_on(exc: Exception) -> bool:
    """Whether :class:`RetryPolicy` retries ``exc`` by default; same rule as LangGraph's
    ``default_retry_on``: a ``ConnectionError`` yes; an HTTP error (``httpx`` / ``requests``,
    recognised by its ``response.status_code``) only for a 5xx status; the errors that mean the
    code is wrong (``ValueError``, ``TypeError``, ``ArithmeticError``, ``ImportError``,
    ``LookupError``, ``NameError``, ``SyntaxError``, ``RuntimeError``, ``ReferenceError``,
    ``StopIteration``, ``StopAsyncIteration``, ``OSError``) no; anything else yes."""
    if isinstance(exc, ConnectionError):
        return True
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if type(exc).__name__ in ("HTTPStatusError", "HTTPError") and isinstance(status, int):
        return 500 <= status < 600
    return not isinstance(exc, _CODE_ERRORS)


_CODE_ERRORS = (
    ValueError, TypeError, ArithmeticError, ImportError, LookupError, NameError, SyntaxError,
    RuntimeError, ReferenceError, StopIteration, StopAsyncIteration, OSError,
)


class RetryPolicy(NamedTuple):
    """How a failing node is run again, as LangGraph's ``RetryPolicy``
    (``add_node(..., retry_policy=RetryPolicy(...))``, or a list: the first whose ``retry_on``
    matches the exception applies).

    Attributes:
        initial_interval: seconds to wait before the first retry.
        backoff_factor: each wait is this many times the one before.
        max_interval: the longest wait, in seconds.
        max_attempts: attempts in all, the first included.
        jitter: add a random 0-1 s to each wait.
        retry_on: the exception classes to retry, or a function of the exception that says.
    """

    initial_interval: float = 0.5
    backoff_factor: float = 2.0
    max_interval: float = 128.0
    max_attempts: int = 3
    jitter: bool = True
    retry_on: type[Exception] | Sequence[type[Exception]] | Callable[[Exception], bool] = default_retry_on

    def retries(self, exc: Exception) -> bool:
        """Whether this policy applies to ``exc``."""
        if isinstance(self.retry_on, type) and issubclass(self.retry_on, BaseException):
            return isinstance(exc, self.retry_on)
        if isinstance(self.retry_on, Sequence):
            return isinstance(exc, tuple(self.retry_on))
        return bool(self.retry_on(exc))

    def delay(self, retry: int, rand: float) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first); ``rand`` in [0, 1)
        is the jitter's draw."""
        wait = min(self.max_interval, self.initial_interval * self.backoff_factor ** (retry - 1))
        return wait + rand if self.jitter else wait


StreamWriter = Callable[[Any], None]
"""What :func:`engine.config.get_stream_writer` returns and a node's ``writer`` parameter gets:
call it with a value to stream it as a ``"custom"`` chunk (LangGraph's ``StreamWriter``)."""


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


ContextT = TypeVar("ContextT")


def _drop_chunk(_chunk: Any) -> None:
    """The writer of a run that does not stream ``"custom"``: what it is given is dropped."""


@dataclass(frozen=True)
class Runtime(Generic[ContextT]):
    """The run's ``context`` (None when the run was given none), the graph's ``store`` (None
    when it has none) and ``stream_writer``; ``previous`` is LangGraph's functional-API value,
    always None here (retrace has no functional API)."""

    context: ContextT = None  # type: ignore[assignment]
    store: Any = None
    stream_writer: Any = _drop_chunk
    previous: Any = None

    def override(self, **changes: Any) -> Runtime[ContextT]:
        """A copy with ``changes`` (as LangGraph's ``Runtime.override``)."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, kw_only=True)
class TimeoutPolicy:
    """How long a node's attempt may run, as LangGraph's ``TimeoutPolicy``: ``run_timeout`` in
    seconds (or a ``timedelta``), a hard cap. ``idle_timeout`` (refreshed by progress signals in
    LangGraph) is not supported yet: ``add_node`` refuses it."""

    run_timeout: Any = None
    idle_timeout: Any = None
    refresh_on: str = "auto"


@dataclass(frozen=True, kw_only=True)
class CachePolicy:
    """How a node's writes are cached, as LangGraph's ``CachePolicy`` (``add_node(...,
    cache_policy=CachePolicy())``, used when the graph is compiled with a ``cache``):
    ``key_func(input) -> str`` makes the key of the node's input (None:
    :func:`engine.cache.default_cache_key`), ``ttl`` is how long an entry is used, in seconds
    (None: until the cache is cleared)."""

    key_func: Callable[[Any], str] | None = None
    ttl: float | None = None
