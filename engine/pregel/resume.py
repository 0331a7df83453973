"""Resuming a paused step: which waiting task each answer of ``Command(resume=...)`` goes to.

Pure: works on the step's planned tasks and the pending writes saved at its checkpoint. The
rules are LangGraph 1.2.22's (checked side by side): a dict whose keys all look like interrupt
ids (32 hex characters) is a ``{interrupt_id: value}`` map (ids not pending are ignored); any
other value answers the one pending interrupt, or, when none is pending (a breakpoint pause, an
edit since), the first ``interrupt()`` call of the run; several pending interrupts need a map.
Each answer is given once, to the next unanswered ``interrupt()`` call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.channels import BaseChannel
from engine.checkpoint.base import PendingWrite
from engine.constants import INPUT_TASK
from engine.errors import InvalidResumeError
from engine.pregel.algo import Task, apply_writes, task_id
from engine.pregel.pending import input_writes, restore_paused, task_outcomes
from engine.pregel.spec import GraphSpec
from engine.pregel.validate import check_update_types
from engine.types import Command, OpenAnswer

_HEX = frozenset("0123456789abcdef")


def is_answer_map(resume: Any) -> bool:
    """A dict keyed by interrupt ids (an empty dict answers nothing)."""
    return isinstance(resume, dict) and all(
        isinstance(k, str) and len(k) == 32 and set(k) <= _HEX for k in resume
    )


def waiting(tasks: Sequence[Task], saved: Sequence[PendingWrite]) -> dict[str, Task]:
    """Interrupt id -> the task waiting on it, in task order."""
    outcomes = task_outcomes(saved)
    found: dict[str, Task] = {}
    for task in tasks:
        outcome = outcomes.get(task.id)
        for item in outcome.waiting if outcome is not None else ():
            if isinstance(item.get("id"), str):
                found[item["id"]] = task
    return found


def give_answers(tasks: Sequence[Task], saved: Sequence[PendingWrite], resume: Any) -> None:
    """Restore what earlier attempts of the step recorded, then add ``resume``'s answers to the
    waiting tasks' ``resume`` lists (``None``: no answer, as in LangGraph).

    Raises:
        InvalidResumeError: several interrupts are pending and ``resume`` is not a map of them.
    """
    restore_paused(tasks, saved)
    if resume is None:
        return
    pending = waiting(tasks, saved)
    if is_answer_map(resume):
        for interrupt_id, value in resume.items():
            if interrupt_id in pending:
                pending[interrupt_id].resume.append(value)
    elif len(pending) > 1:
        raise InvalidResumeError(
            f"{len(pending)} interrupts are pending ({', '.join(sorted(pending))}); resume them "
            "with Command(resume={interrupt_id: value, ...}) (ids are in state.interrupts)"
        )
    elif pending:
        next(iter(pending.values())).resume.append(resume)
    else:
        shared = OpenAnswer(resume)
        for task in tasks:
            task.open_answer = shared


def input_task(
    spec: GraphSpec, checkpoint_id: str, step: int, saved: Sequence[PendingWrite], command: Command | None
) -> Task | None:
    """The pseudo-task holding what resume commands' ``update`` write before the step (the
    ones saved at the checkpoint, then this one's), or None when there is none.

    Raises:
        InvalidUpdateError: the update has unknown keys, or values that do not fit their
            declared types (nothing is written).
    """
    writes = input_writes(saved)
    if command is not None and command.update is not None:
        update = spec.update_writes(INPUT_TASK, command.update)
        check_update_types(spec.fields, update)
        writes += update
    if not writes:
        return None
    return Task(task_id(checkpoint_id, step, INPUT_TASK), INPUT_TASK, (), writes)


def apply_input(
    channels: Mapping[str, BaseChannel], versions: dict[str, str], versions_seen: dict[str, dict[str, str]],
    early: Task, checkpoint_id: str,
) -> set[str]:
    """Apply a resume's ``update`` before the step's tasks run (they see it), as LangGraph does;
    return the channels that changed."""
    changed = apply_writes(channels, versions, versions_seen, [early], checkpoint_id=checkpoint_id, end_of_step=False)
    versions_seen.pop(INPUT_TASK, None)
    return changed
