"""Running a compiled graph super-step by super-step, with checkpoints.

Each super-step: plan the tasks from the current channels (``prepare_next_tasks``), run them
concurrently, apply their writes in task order (``apply_writes``), then save one checkpoint.
A failing task fails the step; its siblings' writes are kept as pending writes so a resumed run
does not redo them.
"""

from __future__ import annotations

import asyncio
import copy
import secrets
import traceback
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from engine.checkpoint.base import (
    Checkpoint,
    PendingWrite,
    RunnableConfig,
    StepRecord,
    config_checkpoint_id,
    config_thread_id,
    new_checkpoint_id,
    utc_now,
)
from engine.constants import ERROR_CHANNEL, NO_WRITES, START
from engine.errors import (
    EmptyInputError,
    GraphRecursionError,
    InvalidUpdateError,
    SerializationError,
    UnknownNodeError,
)
from engine.pregel.algo import (
    Task,
    apply_writes,
    checkpoint_values,
    next_version,
    prepare_next_tasks,
    task_id,
)

if TYPE_CHECKING:
    from engine.graph.compiled import CompiledStateGraph

DEFAULT_RECURSION_LIMIT = 25


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
    """A task's exception as a pending write. Its index is -1, below every real write, so a
    successful retry adds its writes beside it instead of replacing it: the failure stays on
    record."""
    return PendingWrite(task.id, task.name, ERROR_CHANNEL, error_info(exc, task.name), -1)


class SuperStepLoop:
    """One run of a graph on one thread; iterate :meth:`run` to drive it.

    Holds the channels, their versions and the versions each node has seen, plus the config of
    the last saved checkpoint (the parent of the next one).
    """

    def __init__(self, graph: CompiledStateGraph, config: RunnableConfig | None) -> None:
        self.graph = graph
        self.saver = graph.checkpointer
        self.config: RunnableConfig = dict(config or {})
        self.config.setdefault("configurable", {})
        self.recursion_limit = int(self.config.get("recursion_limit", DEFAULT_RECURSION_LIMIT))
        self.channels = graph.new_channels()
        self.versions: dict[str, str] = {}
        self.versions_seen: dict[str, dict[str, str]] = {}
        self.parent_config: RunnableConfig | None = None
        self.checkpoint_id = ""
        self.step = -1
        self.pending_writes: list[PendingWrite] = []
        self.metadata: dict[str, Any] = {}
        self.replay_from: str | None = None
        """The checkpoint the config named (a replay, or a run on from an edit): its steps get
        task ids of their own, so what an earlier run recorded against it is never overwritten."""
        self._replay_salt = secrets.token_hex(8)

    async def _load(self) -> bool:
        """Restore the checkpoint named by the config (or the thread's latest); False if none."""
        if self.saver is None:
            return False
        config_thread_id(self.config)
        saved = await self.saver.aget_tuple(self.config)
        if saved is None:
            if config_checkpoint_id(self.config):
                raise EmptyInputError(
                    f"thread {self.config['configurable']['thread_id']!r} has no checkpoint "
                    f"{config_checkpoint_id(self.config)!r}"
                )
            return False
        self.graph.restore_channels(self.channels, saved.checkpoint.channel_values)
        self.versions = dict(saved.checkpoint.channel_versions)
        self.versions_seen = copy.deepcopy(saved.checkpoint.versions_seen)
        self.step = int(saved.metadata.get("step", -1))
        self.parent_config = saved.config
        self.checkpoint_id = saved.checkpoint.id
        self.metadata = saved.metadata
        # An explicit checkpoint_id is a replay (a fork): every step after that checkpoint runs
        # again, as in LangGraph. The writes saved against it come from the run that went on from
        # there before, so only a resume of the thread's latest checkpoint reuses them.
        self.pending_writes = [] if config_checkpoint_id(self.config) else list(saved.pending_writes)
        self.replay_from = saved.checkpoint.id if config_checkpoint_id(self.config) else None
        return True

    async def _save(
        self, source: str, tasks: Sequence[Task], changed: set[str], next_tasks: Sequence[Task],
        checkpoint_id: str, *, edited_as: str | None = None,
    ) -> None:
        metadata = {
            "source": source,
            "step": self.step,
            "parents": {},
            "writes": {t.name: self.graph.state_keys_written(t) for t in tasks},
            "task_ids": [t.id for t in tasks],
        }
        if edited_as is not None:
            metadata["edited_as"] = edited_as
        # A reducer channel starts with a default ([] for a list) that no write gave a version;
        # version it once, so the stored checkpoint shows the same values get_state does.
        for name in self.graph.state_keys:
            if name not in self.versions and self.channels[name].is_available():
                self.versions[name] = next_version(None)
                changed = changed | {name}
        if self.saver is None:
            return
        checkpoint = Checkpoint(
            id=checkpoint_id,
            ts=utc_now(),
            channel_values=checkpoint_values(self.channels),
            channel_versions=dict(self.versions),
            versions_seen=copy.deepcopy(self.versions_seen),
        )
        record = StepRecord(
            checkpoint=checkpoint,
            metadata=metadata,
            next=tuple(t.name for t in next_tasks),
            new_versions={c: self.versions[c] for c in changed if c in self.versions},
            task_writes=_pending(tasks),
        )
        parent = self.parent_config or {
            "configurable": {k: v for k, v in self.config["configurable"].items() if k != "checkpoint_id"}
        }
        try:
            self.parent_config = await self.saver.aput_step(parent, record)
        except SerializationError as exc:
            culprit = next(
                (w for w in _pending(tasks) if self._unstorable(w.value) is not None), None
            )
            if culprit is None:
                raise
            error = SerializationError(
                f"node {culprit.task_name!r} wrote a value to {culprit.channel!r} that cannot be "
                f"saved: {exc}"
            )
            await self._fail(error, _pending(tasks), culprit.task_name)
            raise error from exc

    def _unstorable(self, value: Any) -> SerializationError | None:
        try:
            self.saver.serde.dumps(value)
        except SerializationError as exc:
            return exc
        return None

    async def _fail(self, exc: BaseException, writes: list[PendingWrite], node: str | None = None) -> None:
        """Record a failed step: what finished as pending writes, the error on the thread.

        A write that cannot be saved becomes its task's error; a failure to record never hides
        ``exc`` (it is added to ``exc``'s notes).
        """
        if self.saver is None:
            return
        storable = []
        for write in writes:
            problem = self._unstorable(write.value)
            storable.append(
                write if problem is None
                else PendingWrite(
                    write.task_id, write.task_name, ERROR_CHANNEL, error_info(problem, write.task_name), -1
                )
            )
        try:
            await self.saver.arecord_error(
                self.parent_config or self.config, error_info(exc, node), _one_error_per_task(storable)
            )
        except Exception as save_exc:
            exc.add_note(f"retrace could not record this failure in the checkpointer: {save_exc!r}")

    def _plan(self, checkpoint_id: str) -> list[Task]:
        key = checkpoint_id
        if checkpoint_id == self.replay_from:
            key = f"{checkpoint_id}|replay:{self._replay_salt}"
        return prepare_next_tasks(
            key, self.step + 1, self.channels, self.versions, self.versions_seen, self.graph.triggers
        )

    async def run(self, input: Any) -> AsyncIterator[tuple[str, Any]]:
        """Yield ``("values", state)`` after each super-step and ``("updates", {node: update})``
        per task.

        Raises:
            EmptyInputError: ``input`` is None and the thread has nothing to resume.
            GraphRecursionError: more than ``recursion_limit`` super-steps.
            InvalidUpdateError: conflicting or invalid writes; or whatever a node raised.
        """
        loaded = await self._load()
        if input is not None:
            changed = {START}
            if loaded:
                # New input starts a new run: tasks the last run left unfinished (it failed) are
                # discarded, as in LangGraph, rather than run beside the input on the old state.
                # Applying them with no writes marks their triggers as seen.
                changed |= apply_writes(
                    self.channels, self.versions, self.versions_seen, self._plan(self.checkpoint_id)
                )
            self.step = self.step + 1 if loaded else -1
            self.channels[START].update([input])
            self.versions[START] = next_version(self.versions.get(START))
            self.checkpoint_id = new_checkpoint_id()
            self.pending_writes = []
            await self._save("input", [], changed, self._plan(self.checkpoint_id), self.checkpoint_id)
        elif not loaded:
            raise EmptyInputError(
                "nothing to run: the input is None and the thread has no checkpoint to resume; "
                "pass an input, or a thread_id that has one"
            )
        elif self.replay_from is not None and self.metadata.get("source") != "update":
            # A replay starts its branch with a copy of the chosen checkpoint (source "fork", one
            # step on), as LangGraph 1.2.22 does; an edit's checkpoint is run on from directly.
            self.step += 1
            self.checkpoint_id = new_checkpoint_id()
            await self._save("fork", [], set(), self._plan(self.checkpoint_id), self.checkpoint_id)
        tasks = self._plan(self.checkpoint_id)
        steps_run = 0
        while tasks:
            # Counted as LangGraph does: the step that applies the input is a step too.
            if steps_run >= self.recursion_limit:
                exc = GraphRecursionError(
                    f"recursion limit of {self.recursion_limit} super-steps reached before the "
                    "graph finished; raise config['recursion_limit'] if the graph loops on "
                    "purpose, or check the conditional edges that loop"
                )
                await self._fail(exc, [])
                raise exc
            steps_run += 1
            self.step += 1
            await self._run_tasks(tasks)
            try:
                changed = apply_writes(self.channels, self.versions, self.versions_seen, tasks)
            except InvalidUpdateError as exc:
                await self._fail(exc, _pending(tasks))
                raise
            self.checkpoint_id = new_checkpoint_id()
            next_tasks = self._plan(self.checkpoint_id)
            await self._save("loop", tasks, changed, next_tasks, self.checkpoint_id)
            self.pending_writes = []
            for task in tasks:
                if task.name != START:
                    yield "updates", {task.name: self.graph.task_update(task)}
            if any(c in self.graph.builder.fields for c in changed):
                yield "values", self.graph.read_state_values(self.channels)
            tasks = next_tasks

    async def update(self, values: Any, as_node: str | None) -> RunnableConfig:
        """Apply ``values`` as if node ``as_node`` had written them; save a checkpoint (source
        ``update``) on top of the one the config names (or the latest); return its config.

        Raises:
            UnknownNodeError: ``as_node`` is not a node of the graph.
            InvalidUpdateError: ``as_node`` is None and the last step ran several nodes (say which
                one the update comes from), or ``values`` has keys the state does not have.
        """
        loaded = await self._load()
        node = self._update_node(as_node, loaded)
        step_id = self.checkpoint_id or new_checkpoint_id()
        # Like a real run of the node: the triggers it would have consumed count as seen, so an
        # update "as tools" on a checkpoint waiting to run tools stands in for that run.
        planned = self._plan(step_id)
        pending = next((t.triggers for t in planned if t.name == node), ())
        # Its own task id: the node's real task from this checkpoint may have recorded writes
        # here already, and an edit must never replace them.
        task = Task(task_id(f"{step_id}|update:{secrets.token_hex(8)}", self.step + 1, node), node, pending)
        if values is not None:
            task.writes = self.graph.update_writes(node, values)
        task.writes += await self.graph.edge_writes(node, task.writes, self.channels, self.config)
        # The update is a step of its own, as in LangGraph 1.2.22 (checked side by side): the
        # tasks pending at this checkpoint are superseded, finished siblings of a failed step
        # included (their recorded writes stay on record, unapplied), and what runs next comes
        # from as_node's edges alone.
        superseded = [t for t in planned if t.name != node]  # no writes: their triggers count as seen
        changed = apply_writes(
            self.channels, self.versions, self.versions_seen, [task, *superseded], end_of_step=False
        )
        self.step += 1
        self.checkpoint_id = new_checkpoint_id()
        await self._save(
            "update", [task], changed, self._plan(self.checkpoint_id), self.checkpoint_id, edited_as=node,
        )
        assert self.parent_config is not None
        return self.parent_config

    def _update_node(self, as_node: str | None, loaded: bool) -> str:
        if as_node is not None:
            if as_node != START and as_node not in self.graph.builder.nodes:
                raise UnknownNodeError(
                    f"as_node={as_node!r} is not a node of this graph "
                    f"(nodes: {sorted(self.graph.builder.nodes)}, or START)"
                )
            return as_node
        if not loaded or self.metadata.get("source") == "input":
            return START  # nothing ran yet: the update stands for the input (as in LangGraph)
        if len(self.graph.builder.nodes) == 1:
            return next(iter(self.graph.builder.nodes))
        last = list(self.metadata.get("writes") or {})
        if len(last) == 1:
            return last[0]
        ran = f"the last step ran {sorted(last)}" if last else "no node ran in the last step"
        raise InvalidUpdateError(
            f"cannot tell which node this update comes from: {ran}; pass as_node=<node name>"
        )

    def _reuse_saved_writes(self, tasks: Iterable[Task]) -> list[Task]:
        """Fill in the writes of tasks that finished in an earlier attempt of this step (they
        have saved writes and no error); return the tasks that still have to run."""
        saved: dict[str, list[PendingWrite]] = {}
        for write in self.pending_writes:
            saved.setdefault(write.task_id, []).append(write)
        to_run = []
        for task in tasks:
            # Success rows (index >= 0) mean the task finished, even beside an error row kept
            # from an earlier failed attempt.
            finished = sorted((w for w in saved.get(task.id, []) if w.idx >= 0), key=lambda w: w.idx)
            if finished:
                task.writes = [(w.channel, w.value) for w in finished if w.channel != NO_WRITES]
            else:
                to_run.append(task)
        return to_run

    async def _run_tasks(self, tasks: list[Task]) -> None:
        """Run the tasks that have no saved writes; siblings of a failing task still finish.

        Raises what the first failing task (in task order) raised. If the run is cancelled, the
        writes of the tasks that had finished are saved first.
        """
        to_run = self._reuse_saved_writes(tasks)
        concurrent = len(to_run) > 1
        futures = [
            asyncio.ensure_future(self.graph.run_task(t, self.channels, self.config, concurrent))
            for t in to_run
        ]
        try:
            if futures:
                await asyncio.wait(futures)
        except asyncio.CancelledError:
            for future in futures:
                future.cancel()
            done = [
                t for t, f in zip(to_run, futures)
                if f.done() and not f.cancelled() and f.exception() is None
            ]
            for task in done:
                task.writes = futures[to_run.index(task)].result()
            if self.saver is not None and self.parent_config is not None:
                unfinished = {t.id for t in to_run if t not in done}
                await self.saver.aput_writes(
                    self.parent_config, _pending([t for t in tasks if t.id not in unfinished])
                )
            raise
        failures: list[tuple[Task, BaseException]] = []
        for task, future in zip(to_run, futures):
            exc = future.exception()
            if exc is None:
                task.writes = future.result()
            elif isinstance(exc, Exception):
                failures.append((task, exc))
            else:
                raise exc
        if failures:
            failed = {t.id for t, _ in failures}
            writes = _pending([t for t in tasks if t.id not in failed])
            writes += [error_write(t, exc) for t, exc in failures]
            task, exc = failures[0]
            await self._fail(exc, writes, task.name)
            raise exc


def _one_error_per_task(writes: list[PendingWrite]) -> list[PendingWrite]:
    """A task with an error keeps only that error (a resumed step runs it again)."""
    errors = {w.task_id: w for w in writes if w.channel == ERROR_CHANNEL}
    return [w for w in writes if w.task_id not in errors] + list(errors.values())


def _pending(tasks: Sequence[Task]) -> list[PendingWrite]:
    # A task that wrote nothing (returned None, edge to END) still gets a NO_WRITES marker, so a
    # resumed step sees that it finished and does not run it (and its side effects) again.
    return [
        PendingWrite(task.id, task.name, channel, value, idx)
        for task in tasks
        for idx, (channel, value) in enumerate(task.writes or [(NO_WRITES, None)])
    ]
