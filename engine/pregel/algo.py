"""The pure parts of a super-step: which tasks run next, and applying their writes.

Nothing here does I/O or looks at the clock, so a step's result depends only on the
checkpoint it starts from and on what the tasks wrote, never on which task finished first.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.channels import MISSING, BaseChannel, EphemeralValue
from engine.constants import PULL, PUSH, TASKS
from engine.errors import InvalidUpdateError

_TASK_NAMESPACE = uuid.UUID("5d2c8f0e-6f1b-4a8e-9a43-3c8f5e2b7d10")


@dataclass
class Task:
    """One node's run in a super-step; ``writes`` are ``(channel, value)`` pairs in write order;
    ``resume`` the answers its :func:`~engine.types.interrupt` calls get, in order; ``interrupts``
    what it is waiting for (``[{"id", "value"}]``) when its last attempt paused."""

    id: str
    name: str
    triggers: tuple[str, ...]
    writes: list[tuple[str, Any]] = field(default_factory=list)
    resume: list[Any] = field(default_factory=list)
    interrupts: list[dict[str, Any]] = field(default_factory=list)
    open_answer: Any = None
    """An answer given when nothing was pending (:class:`engine.types.OpenAnswer`), shared by
    the step's tasks: the first unanswered ``interrupt()`` takes it."""
    warnings: list[str] = field(default_factory=list)
    """What the task did that LangGraph lets pass but is likely a mistake (recorded on the step)."""
    send: dict[str, Any] | None = None
    """A pushed task's ``{"node", "arg"}`` (its input); None for a task its triggers pulled."""
    index: int = -1
    """A pushed task's place among the step's sends."""
    attempts: list[dict[str, Any]] = field(default_factory=list)
    """Each run of the node so far (see :data:`engine.constants.ATTEMPTS`), earlier attempts
    of the step (before a resume) included."""
    handled: bool = False
    """The node failed and its ``error_handler`` ran instead (the writes are the handler's)."""
    subgraphs: list[str] = field(default_factory=list)
    """The checkpoint namespaces of the subgraph runs the task saved (in the order they began)."""

    @property
    def path(self) -> tuple[Any, ...]:
        """``("__pregel_pull", node)`` or ``("__pregel_push", index)``, as LangGraph's: writes are
        applied in path order, pulled tasks by node name, then pushed ones in the order sent."""
        return (PUSH, self.index) if self.send is not None else (PULL, self.name)


def next_version(current: str | None, checkpoint_id: str) -> str:
    """The version after ``current``, written by checkpoint ``checkpoint_id``:
    ``"<10-digit counter>.<checkpoint id>"``.

    The counter makes versions compare in order as strings; the checkpoint id says which
    checkpoint wrote the value (provenance from the data) and keeps two forks of one thread from
    giving different values the same version.
    """
    counter = int(current.split(".", 1)[0]) + 1 if current else 1
    return f"{counter:010d}.{checkpoint_id}"


def version_checkpoint(version: object) -> str | None:
    """The id of the checkpoint that wrote a channel ``version`` (see :func:`next_version`), or
    None for a version that does not say (written by an older retrace, or not ours)."""
    if not isinstance(version, str):
        return None
    _, _, suffix = version.partition(".")
    try:
        return str(uuid.UUID(suffix)) if len(suffix) == 36 else None
    except ValueError:
        return None


def task_id(checkpoint_id: str, step: int, name: str) -> str:
    """Deterministic per (checkpoint, step, node), so a resumed step finds its pending writes."""
    return str(uuid.uuid5(_TASK_NAMESPACE, f"{checkpoint_id}|{step}|{name}"))


def prepare_next_tasks(
    checkpoint_id: str,
    step: int,
    channels: Mapping[str, BaseChannel],
    versions: Mapping[str, str],
    versions_seen: Mapping[str, Mapping[str, str]],
    triggers: Mapping[str, Sequence[str]],
    sends: Sequence[Any] = (),
    deferred: frozenset[str] = frozenset(),
) -> list[Task]:
    """The tasks of super-step ``step``: every node with a trigger channel that has a value and a
    version newer than the one the node last ran on, sorted by name; then one task per pending
    ``Send`` (``{"node", "arg"}``), in the order sent, each with an id of its own. A send to a
    node the graph lacks (a foreign or edited checkpoint) is skipped. A ``deferred`` node's task
    waits (its trigger is kept) while any other task is there, as LangGraph's ``defer=True``."""
    tasks = []
    for name in sorted(triggers):
        seen = versions_seen.get(name, {})
        fired = tuple(
            t
            for t in triggers[name]
            if channels[t].is_available() and versions.get(t, "") > seen.get(t, "")
        )
        if fired:
            tasks.append(Task(task_id(checkpoint_id, step, name), name, fired))
    for index, send in enumerate(sends):
        node = send.get("node") if isinstance(send, dict) else None
        if isinstance(node, str) and node in triggers:
            tasks.append(Task(task_id(checkpoint_id, step, f"{PUSH}:{index}:{node}"), node, (), send=send, index=index))
    if any(t.send is not None or t.name not in deferred for t in tasks):
        tasks = [t for t in tasks if t.send is not None or t.name not in deferred]
    return tasks


def sends_of(tasks: Sequence[Task]) -> list[dict[str, Any]]:
    """The ``Send``s the step's tasks made, in path order: the next step's pushed tasks."""
    return [value for task in sorted(tasks, key=lambda t: t.path) for channel, value in task.writes if channel == TASKS]


def apply_writes(
    channels: Mapping[str, BaseChannel],
    versions: dict[str, str],
    versions_seen: dict[str, dict[str, str]],
    tasks: Sequence[Task],
    *,
    checkpoint_id: str,
    end_of_step: bool = True,
) -> set[str]:
    """Apply the writes of one super-step's finished tasks; return the channels that changed.

    ``checkpoint_id`` is the checkpoint the step makes (new versions name it). Tasks are taken
    in path order whatever order they finished in. Mutates ``channels``,
    ``versions`` and ``versions_seen``. With ``end_of_step=False`` (a state update between
    steps) one-step values such as pending triggers are kept rather than cleared.

    Raises:
        InvalidUpdateError: a write to a channel that does not exist, or more writes to a
            channel without a reducer than it takes; the message names the nodes and the fix.
    """
    ordered = sorted(tasks, key=lambda t: t.path)
    changed: set[str] = set()
    for task in ordered:
        seen = versions_seen.setdefault(task.name, {})
        for trigger in task.triggers:
            seen[trigger] = versions[trigger]
    for task in ordered:
        for trigger in task.triggers:
            if channels[trigger].consume():
                versions[trigger] = next_version(versions.get(trigger), checkpoint_id)
                changed.add(trigger)
    pending: dict[str, list[Any]] = {}
    writers: dict[str, list[str]] = {}
    for task in ordered:
        for channel, value in task.writes:
            if channel == TASKS:
                continue  # a Send: a task of the next step (see sends_of), not a value
            if channel not in channels:
                raise InvalidUpdateError(
                    f"node {task.name!r} wrote to {channel!r}, which is not a key of the state"
                )
            pending.setdefault(channel, []).append(value)
            writers.setdefault(channel, []).append(task.name)
    conflicts: dict[str, list[str]] = {}
    for channel, values in pending.items():
        try:
            updated = channels[channel].update(values)
        except InvalidUpdateError:
            conflicts[channel] = writers[channel]
            continue
        if updated:
            versions[channel] = next_version(versions.get(channel), checkpoint_id)
            changed.add(channel)
    if conflicts:
        raise InvalidUpdateError(_conflict_message(conflicts))
    if end_of_step:
        for channel, chan in channels.items():
            if channel not in pending and isinstance(chan, EphemeralValue) and chan.update([]):
                versions[channel] = next_version(versions.get(channel), checkpoint_id)
                changed.add(channel)
    return changed


def _conflict_message(conflicts: dict[str, list[str]]) -> str:
    lines = [
        f"{channel!r} was written by {len(names)} tasks ({', '.join(repr(n) for n in names)})"
        for channel, names in conflicts.items()
    ]
    example = next(iter(conflicts))
    return (
        "Can receive only one value per super-step for a state key without a reducer: "
        + "; ".join(lines)
        + ". Nodes that run in the same super-step must not write the same plain key. "
        f"Give each such key a reducer that combines parallel writes, e.g. "
        f"{example}: Annotated[list, operator.add] or Annotated[int, lambda a, b: a + b]."
    )


def checkpoint_values(channels: Mapping[str, BaseChannel]) -> dict[str, Any]:
    """Channel name -> value for every channel that has one."""
    return {name: value for name, ch in channels.items() if (value := ch.checkpoint()) is not MISSING}
