"""Where a step's time went: each task's recorded attempts as spans on the step's time line.

Read from the step's pending writes (the ``__attempts__`` rows the run loop records; see
:data:`engine.constants.ATTEMPTS`), so it works on a file without the graph. LangGraph keeps no
timings: a step it wrote has none, and every field here is then None or empty.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from engine.checkpoint.base import PendingWrite
from engine.pregel.pending import TaskOutcome, task_outcomes


@dataclass(frozen=True)
class TaskTiming:
    """One task's time in its step.

    Attributes:
        task_id, node: the task.
        offset_ms: when its last run's first attempt started, in ms after the step started
            (None: no timing recorded, or the task finished in an earlier run of the step and
            was reused when the step was resumed).
        duration_ms: from that start to the end of its last attempt, retries and their waits
            included (None: not recorded).
        attempts: how many attempts its last run made; ``failed``: how many of them raised.
        earlier_attempts: attempts made in earlier runs of the step (before a resume).
    """

    task_id: str
    node: str
    offset_ms: float | None
    duration_ms: float | None
    attempts: int
    failed: int
    earlier_attempts: int


@dataclass(frozen=True)
class StepTiming:
    """A step's tasks (in record order) and its duration in ms (first start to last end of the
    latest run's attempts; None when nothing was timed)."""

    tasks: tuple[TaskTiming, ...]
    duration_ms: float | None


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _ms(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value) or value < 0:
        return None
    return float(value)


def _last_run(outcome: TaskOutcome) -> tuple[list[dict], int]:
    """The attempts of the task's latest run, and how many came before it."""
    attempts = list(outcome.attempts)
    if not attempts:
        return [], 0
    run = attempts[-1].get("run")
    first = len(attempts)
    while first > 0 and attempts[first - 1].get("run") == run:
        first -= 1
    return attempts[first:], first


def step_timing(writes: Iterable[PendingWrite]) -> StepTiming:
    """The timing of the step whose pending writes are ``writes`` (damaged or foreign attempt
    records count as not timed, never as an error)."""
    outcomes = list(task_outcomes(writes).values())
    runs = {o.task_id: _last_run(o) for o in outcomes}
    last_attempts = [(at, a.get("run")) for attempts, _ in runs.values() for a in attempts[-1:] if (at := _parse(a.get("started_at")))]
    latest_run = max(last_attempts, key=lambda pair: pair[0])[1] if last_attempts else None
    spans: dict[str, tuple[datetime, float]] = {}
    for task_id, (attempts, _) in runs.items():
        start, end = _parse(attempts[0].get("started_at")) if attempts else None, None
        if attempts and start is not None and attempts[-1].get("run") == latest_run:
            last_start, last_ms = _parse(attempts[-1].get("started_at")), _ms(attempts[-1].get("ms"))
            if last_start is not None and last_ms is not None:
                end = (last_start - start).total_seconds() * 1000 + last_ms
        if start is not None and end is not None:
            spans[task_id] = (start, end)
    origin = min((start for start, _ in spans.values()), default=None)
    tasks = []
    for outcome in outcomes:
        attempts, earlier = runs[outcome.task_id]
        span = spans.get(outcome.task_id)
        offset = round((span[0] - origin).total_seconds() * 1000, 3) if span and origin else None
        tasks.append(TaskTiming(
            outcome.task_id, outcome.node, offset, round(span[1], 3) if span else None,
            len(attempts), sum(1 for a in attempts if a.get("error") is not None), earlier,
        ))
    ends = [t.offset_ms + t.duration_ms for t in tasks if t.offset_ms is not None and t.duration_ms is not None]
    return StepTiming(tuple(tasks), round(max(ends), 3) if ends else None)
