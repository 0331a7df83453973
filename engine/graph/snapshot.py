"""A saved checkpoint as LangGraph's ``StateSnapshot``: its values, what runs next, and each
next task's error, interrupts and result (what get_state and get_state_history return)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from engine.constants import INPUT_TASK
from engine.errors import InvalidUpdateError
from engine.pregel.algo import Task, apply_writes, prepare_next_tasks, task_id
from engine.pregel.pending import input_writes, task_outcomes
from engine.pregel.spec import GraphSpec
from engine.types import Interrupt, PregelTask, StateSnapshot

if TYPE_CHECKING:
    from engine.checkpoint.base import CheckpointTuple


def _interrupts_of(outcome: Any, *, waiting_only: bool) -> tuple[Interrupt, ...]:
    """A task's interrupts as :class:`Interrupt` objects: those it still waits on (the latest
    checkpoint), or all it recorded, answered ones included (history), as LangGraph shows them."""
    if outcome is None:
        return ()
    items = outcome.waiting if waiting_only else outcome.interrupts
    return tuple(Interrupt(i.get("value"), str(i.get("id"))) for i in items)


def snapshot_of(spec: GraphSpec, saved: CheckpointTuple, *, apply_pending: bool = False) -> StateSnapshot:
    """``saved`` as a snapshot; with ``apply_pending`` (the latest checkpoint, as LangGraph's
    ``get_state``), what the finished tasks of a failed step wrote is in ``values`` and
    those tasks are no longer in ``next``."""
    cp = saved.checkpoint
    step = int(saved.metadata.get("step", -1))
    channels = spec.restored_channels(cp.channel_values)
    planned = prepare_next_tasks(
        cp.id, step + 1, channels, cp.channel_versions, cp.versions_seen, spec.triggers, cp.pending_sends,
        spec.deferred,
    )
    outcomes = task_outcomes(saved.pending_writes)
    finished = {i: o for i, o in outcomes.items() if o.finished}
    next_nodes = saved.next
    done = [t for t in planned if t.id in finished]
    if early := input_writes(saved.pending_writes):
        done.insert(0, Task(task_id(cp.id, step + 1, INPUT_TASK), INPUT_TASK, (), early))
    if apply_pending and done:
        for task in done:
            if task.name != INPUT_TASK:
                task.writes = list(finished[task.id].writes)
        attempt = spec.restored_channels(cp.channel_values)
        try:
            apply_writes(
                attempt, dict(cp.channel_versions), copy.deepcopy(cp.versions_seen), done,
                checkpoint_id=cp.id, end_of_step=False,
            )
        except InvalidUpdateError:
            pass  # the writes conflict (the reason the step failed): show the state as saved
        else:
            channels = attempt
            next_nodes = tuple(t.name for t in planned if t.id not in finished)
    tasks = tuple(
        PregelTask(
            t.id, t.name, t.path,
            outcomes[t.id].error if t.id in outcomes and t.id not in finished else None,
            interrupts=_interrupts_of(outcomes.get(t.id), waiting_only=apply_pending),
            result=spec.task_update(Task(t.id, t.name, t.triggers, list(finished[t.id].writes)))
            if t.id in finished else None,
        )
        for t in planned
    )
    return StateSnapshot(
        values=spec.state_values(channels),
        next=next_nodes,
        config=saved.config,
        metadata=saved.metadata,
        created_at=cp.ts,
        parent_config=saved.parent_config,
        tasks=tasks,
        interrupts=tuple(i for t in tasks for i in t.interrupts),
    )
