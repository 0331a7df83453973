"""Pending writes: how a step's task results are recorded, and what a recorded set means.

One owner for the rules the run loop (reusing finished tasks' writes on resume), the state
snapshot (applying them to show the latest state) and the debugger (a task's outcome) all need:

- a task's writes are rows ``(task_id, idx, channel, value)`` against the checkpoint the step
  started from; a task that wrote nothing gets one ``NO_WRITES`` row so it counts as finished;
- a task's exception is a row on ``ERROR_CHANNEL`` at index -1, below every real write, so a
  later successful attempt adds its rows beside it and the failure stays on record;
- every attempt of a task (its start, duration and error if it failed) is in one ``ATTEMPTS``
  row (index -6), rewritten as attempts are added;
- a task that paused has a row on ``INTERRUPT`` (index -3: what it waits for) and, once
  answered, one on ``RESUME`` (index -4: every answer it was given, in order); both stay when
  the task later finishes, so the step's record shows the question and the answer;
- a task is finished when it has a row at index >= 0, even beside bookkeeping rows;
- a resume command's ``update`` is rows of the pseudo-task ``INPUT_TASK``, applied before the
  step runs.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.checkpoint.base import PendingWrite
from engine.constants import (
    ATTEMPTS,
    ATTEMPTS_IDX,
    ERROR_CHANNEL,
    ERROR_IDX,
    INPUT_TASK,
    INTERRUPT,
    INTERRUPT_IDX,
    NO_WRITES,
    RESUME,
    RESUME_IDX,
    SENT,
    SENT_IDX,
)
from engine.pregel.algo import Task

MAX_TRACEBACK_CHARS = 20_000


def error_info(exc: BaseException, node: str | None = None) -> dict[str, str]:
    """``{"type", "message", "traceback", "node"?}``: an exception as plain data to store.

    The traceback keeps its last :data:`MAX_TRACEBACK_CHARS` characters (the innermost frames).
    """
    info = {"type": type(exc).__name__, "message": str(exc)}
    if node is not None:
        info["node"] = node
    info["traceback"] = "".join(traceback.format_exception(exc))[-MAX_TRACEBACK_CHARS:]
    return info


def error_write(task: Task, exc: BaseException) -> PendingWrite:
    """A task's exception as its error row (index -1)."""
    return PendingWrite(task.id, task.name, ERROR_CHANNEL, error_info(exc, task.name), ERROR_IDX)


def bookkeeping_writes(task: Task) -> list[PendingWrite]:
    """A task's input row (a pushed task's ``Send`` argument), and its interrupt and resume
    rows (none if it never paused)."""
    rows = []
    if task.send is not None:
        rows.append(PendingWrite(task.id, task.name, SENT, task.send.get("arg"), SENT_IDX))
    if task.interrupts:
        rows.append(PendingWrite(task.id, task.name, INTERRUPT, list(task.interrupts), INTERRUPT_IDX))
    if task.resume:
        rows.append(PendingWrite(task.id, task.name, RESUME, list(task.resume), RESUME_IDX))
    if task.attempts:
        rows.append(PendingWrite(task.id, task.name, ATTEMPTS, list(task.attempts), ATTEMPTS_IDX))
    return rows


def writes_of_tasks(tasks: Sequence[Task]) -> list[PendingWrite]:
    """The rows recording what finished ``tasks`` wrote (a ``NO_WRITES`` row for a task that
    wrote nothing), with their interrupt and resume rows."""
    return [
        row
        for task in tasks
        for row in [
            *bookkeeping_writes(task),
            *(PendingWrite(task.id, task.name, c, v, i) for i, (c, v) in enumerate(task.writes or [(NO_WRITES, None)])),
        ]
    ]


def paused_writes(tasks: Sequence[Task]) -> list[PendingWrite]:
    """The rows of tasks that did not finish (paused or failed): only their bookkeeping rows."""
    return [row for task in tasks for row in bookkeeping_writes(task)]


def input_writes(saved: Iterable[PendingWrite]) -> list[tuple[str, Any]]:
    """What earlier resume commands' ``update`` wrote at this checkpoint, in order."""
    rows = sorted((w for w in saved if w.task_name == INPUT_TASK and w.idx >= 0), key=lambda w: w.idx)
    return [(w.channel, w.value) for w in rows]


def one_error_per_task(writes: Iterable[PendingWrite]) -> list[PendingWrite]:
    """A task with an error keeps only that error and its bookkeeping rows (a resumed step
    runs it again)."""
    writes = list(writes)
    errors = {w.task_id for w in writes if w.channel == ERROR_CHANNEL}
    return [w for w in writes if w.task_id not in errors or w.idx < 0]


@dataclass(frozen=True)
class TaskOutcome:
    """What the rows of one task say.

    Attributes:
        task_id, node: the task.
        writes: its real writes ``(channel, value)`` in write order (no markers, no error).
        rows: all its rows, in index order (what a debugger shows as raw writes).
        finished: it completed (a row at index >= 0), so a resumed step reuses ``writes``.
        error: the stored error of its last failed attempt, or None.
        interrupts: what it paused for last (``({"id", "value"}, ...)``), answered or not.
        resume: the answers it was given, in order.
        sent, pushed: a pushed task's input (its ``Send``'s argument); ``pushed`` is False for a
            task its triggers pulled.
        attempts: each run of the node (see :data:`engine.constants.ATTEMPTS`), in order.
    """

    task_id: str
    node: str
    writes: tuple[tuple[str, Any], ...]
    rows: tuple[PendingWrite, ...]
    finished: bool
    error: Any
    interrupts: tuple[dict[str, Any], ...] = ()
    resume: tuple[Any, ...] = ()
    sent: Any = None
    pushed: bool = False
    attempts: tuple[dict[str, Any], ...] = ()

    @property
    def waiting(self) -> tuple[dict[str, Any], ...]:
        """The interrupts it still waits on (none once it finished)."""
        return () if self.finished else self.interrupts

    @property
    def started_at(self) -> str | None:
        """When its last attempt started (ISO 8601 UTC), if recorded."""
        value = self.attempts[-1].get("started_at") if self.attempts else None
        return value if isinstance(value, str) else None

    @property
    def duration_ms(self) -> float | None:
        """How long its last attempt ran, in ms, if recorded."""
        value = self.attempts[-1].get("ms") if self.attempts else None
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    @property
    def failed_attempts(self) -> int:
        """How many of its attempts raised."""
        return sum(1 for a in self.attempts if a.get("error") is not None)

    @property
    def failed_then_finished(self) -> bool:
        """It failed once and succeeded when the step was resumed."""
        return self.finished and self.error is not None


def task_outcomes(writes: Iterable[PendingWrite]) -> dict[str, TaskOutcome]:
    """Task id -> :class:`TaskOutcome`, in the order the tasks first appear."""
    rows: dict[str, list[PendingWrite]] = {}
    for write in writes:
        rows.setdefault(write.task_id, []).append(write)
    outcomes = {}
    for task_id, task_rows in rows.items():
        ordered = sorted(task_rows, key=lambda w: w.idx)
        finished = any(w.idx >= 0 for w in ordered)
        error = next((w.value for w in ordered if w.channel == ERROR_CHANNEL), None)
        outcomes[task_id] = TaskOutcome(
            interrupts=_rows_list(ordered, INTERRUPT, dict),
            pushed=any(w.channel == SENT and w.idx < 0 for w in ordered),
            sent=next((w.value for w in ordered if w.channel == SENT and w.idx < 0), None),
            resume=_rows_list(ordered, RESUME, object),
            attempts=_rows_list(ordered, ATTEMPTS, dict),
            task_id=task_id,
            node=ordered[0].task_name,
            writes=tuple(
                (w.channel, w.value) for w in ordered if w.idx >= 0 and w.channel not in (NO_WRITES, ERROR_CHANNEL)
            ),
            rows=tuple(ordered),
            finished=finished,
            error=error,
        )
    return outcomes


def _rows_list(rows: Sequence[PendingWrite], channel: str, kind: type) -> tuple[Any, ...]:
    """The list a bookkeeping row holds (a damaged or foreign row gives what fits ``kind``)."""
    value = next((w.value for w in rows if w.channel == channel and w.idx < 0), None)
    return tuple(v for v in value if isinstance(v, kind)) if isinstance(value, list) else ()


def reuse_finished(tasks: Iterable[Task], saved: Iterable[PendingWrite]) -> list[Task]:
    """Fill in the writes of ``tasks`` that finished in an earlier attempt of this step; return
    the tasks that still have to run."""
    outcomes = task_outcomes(saved)
    to_run = []
    for task in tasks:
        outcome = outcomes.get(task.id)
        if outcome is not None and outcome.finished:
            task.writes = list(outcome.writes)
        else:
            to_run.append(task)
    return to_run


def restore_paused(tasks: Iterable[Task], saved: Iterable[PendingWrite]) -> None:
    """Give ``tasks`` the interrupts and answers an earlier attempt of this step recorded."""
    outcomes = task_outcomes(saved)
    for task in tasks:
        if (outcome := outcomes.get(task.id)) is not None:
            task.interrupts = list(outcome.interrupts)
            task.resume = list(outcome.resume)
            task.attempts = list(outcome.attempts)
