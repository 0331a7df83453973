"""Running a compiled graph super-step by super-step, with checkpoints.

Each super-step is plan (``prepare_next_tasks``: which tasks run), execute
(:func:`engine.pregel.execute.execute`: run them concurrently), and commit (``apply_writes`` in
task order, then one checkpoint through :class:`engine.pregel.commit.Committer`). A
:class:`~engine.pregel.runtime.StepHook` is called before each step runs and after each
checkpoint is saved. A failing task fails the step; its siblings' writes are kept as pending
writes so a resumed run does not redo them.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import AsyncIterator
from typing import Any

from engine.checkpoint.base import (
    RunnableConfig,
)
from engine.constants import INTERRUPT, START
from engine.errors import (
    EmptyInputError,
    GraphInterrupt,
    GraphRecursionError,
    InvalidUpdateError,
)
from engine.pregel.algo import (
    Task,
    apply_writes,
    checkpoint_values,
    next_version,
    sends_of,
    task_id,
)
from engine.pregel.execute import execute
from engine.pregel.loop_state import LoopState
from engine.pregel.pending import (
    error_write,
    paused_writes,
    restore_paused,
    task_outcomes,
    writes_of_tasks,
)
from engine.pregel.resume import apply_input, give_answers, input_task
from engine.pregel.stream import (
    Event,
    checkpoint_payload,
    task_payload,
    task_result_payload,
)
from engine.pregel.update import update_node
from engine.pregel.validate import check_update_types
from engine.types import Command


class SuperStepLoop(LoopState):
    """One run of a graph on one thread; iterate :meth:`run` to drive it, or call :meth:`update`
    (the state it works on and how it is saved: :class:`~engine.pregel.loop_state.LoopState`)."""

    async def run(self, input: Any) -> AsyncIterator[Event]:
        """See :meth:`_run`; what the run saved is on disk when it ends, whatever the
        durability (a failure to save is raised then, unless the run is already failing)."""
        try:
            async with contextlib.aclosing(self._run(input)) as events:
                async for event in events:
                    yield event
        except BaseException as exc:
            try:
                await self.committer.flush()
            except Exception as save_exc:
                exc.add_note(f"retrace could not save a step of this run: {save_exc!r}")
            raise
        await self.committer.flush()

    async def _run(self, input: Any) -> AsyncIterator[Event]:
        """Yield ``("values", state)`` after each super-step and ``("updates", {node: update})``
        per task as it finishes (a task reused from an earlier attempt of the step adds
        ``"__metadata__": {"cached": True}``, as LangGraph); with ``stream`` asking for them,
        ``("debug", chunk)`` events (see :mod:`engine.pregel.stream`) and ``("custom", value)``. Ends early, with nothing more run, when the hook's ``before_step`` says False,
        at a breakpoint, or when a node calls ``interrupt()``: then the last event is
        ``("__interrupt__", (Interrupt, ...))``, then the finished tasks' updates and the state
        with them.

        ``input`` is the run's input, None to go on from the thread's checkpoint, or a
        :class:`~engine.types.Command` (``resume`` answers, ``update`` applied first).

        Raises:
            EmptyInputError: ``input`` is None or a Command and the thread has nothing to resume.
            InvalidResumeError: several interrupts wait and the resume does not say which.
            GraphRecursionError: more than ``recursion_limit`` super-steps.
            InvalidUpdateError: conflicting or invalid writes; or whatever a node raised.
        """
        command = input if isinstance(input, Command) else None
        if command is not None:
            if command.goto_nodes():
                raise NotImplementedError(
                    "Command(goto=...) as a run's input is not supported yet; resume with "
                    "Command(resume=..., update=...), or return Command(goto=...) from a node"
                )
            input = None
        loaded = await self._load(resuming=command is not None)
        if input is not None:
            new_id = self.env.checkpoint_id()
            changed = {START}
            if loaded:
                # New input starts a new run: tasks the last run left unfinished (it failed) are
                # discarded, as in LangGraph, rather than run beside the input on the old state.
                # Applying them with no writes marks their triggers as seen.
                changed |= apply_writes(
                    self.channels, self.versions, self.versions_seen, self._plan(self.checkpoint_id),
                    checkpoint_id=new_id,
                )
            self.step = self.step + 1 if loaded else -1
            self.sends = []  # sends pending from a run that failed are discarded with its tasks
            self.channels[START].update([input])
            self.versions[START] = next_version(self.versions.get(START), new_id)
            self.checkpoint_id = new_id
            self.pending_writes = []
            tasks = await self._commit("input", [], changed)
            for event in self.events.drain():
                yield event
        elif not loaded:
            raise EmptyInputError(
                f"nothing to run: the input is {'a Command' if command else 'None'} and the thread "
                "has no checkpoint to resume; pass an input, or a thread_id that has one"
            )
        elif self.replaying and self.metadata.get("source") != "update":
            # A replay starts its branch with a copy of the chosen checkpoint (source "fork", one
            # step on), as LangGraph 1.2.22 does; an edit's checkpoint is run on from directly.
            self.step += 1
            self.checkpoint_id = self.env.checkpoint_id()
            tasks = await self._commit("fork", [], set())
            for event in self.events.drain():
                yield event
        else:
            tasks = self._plan(self.checkpoint_id)
            if state := self.spec.state_values(self.channels):
                yield "values", state  # a resume starts with the state it goes on from, as LangGraph
            if self.events.debug:  # and with the checkpoint it goes on from
                self._debug_resumed(tasks)
                for event in self.events.drain():
                    yield event
        self._input_task = self._resume_input(tasks, command)
        # A resume or replay goes past the breakpoint it stopped at (LangGraph counts what is
        # pending when resuming as seen by its interrupts).
        resumed = input is None
        steps_run = 0
        while tasks:
            # Counted as LangGraph does: the step that applies the input is a step too.
            if steps_run >= self.recursion_limit:
                exc = GraphRecursionError(
                    f"recursion limit of {self.recursion_limit} super-steps reached before the "
                    "graph finished; raise config['recursion_limit'] if the graph loops on "
                    "purpose, or check the conditional edges that loop"
                )
                await self.committer.fail(self._at(), exc, [])
                raise exc
            if self.breakpoints.stops_before(tasks) and not (resumed and steps_run == 0):
                await self._pause()
                return
            if not await self._may_run(tasks):
                await self._pause()  # the hook paused it (single-stepping): it goes on from here
                return
            steps_run += 1
            self.step += 1
            new_id = self.env.checkpoint_id()
            early, changed = self._input_task, set()
            self._input_task = None
            if early is not None:
                changed = self._apply_input(early, new_id)
                yield "values", self.spec.state_values(self.channels)
            if self.events.debug:
                for task in tasks:
                    if task.name != START:
                        self.events.debug_event("task", self.step, task_payload(task, self._input_of(task)))
            async with contextlib.aclosing(self.events.during(self._execute(tasks, early))) as during:
                async for event in during:
                    yield event
            paused = self.events.result
            if paused:
                async for event in self._interrupted(tasks, paused, early):
                    yield event
                return
            try:
                changed |= apply_writes(
                    self.channels, self.versions, self.versions_seen, tasks, checkpoint_id=new_id
                )
            except InvalidUpdateError as exc:
                await self.committer.fail(self._at(), exc, writes_of_tasks([*([early] if early else []), *tasks]))
                raise
            self.checkpoint_id = new_id
            self.sends = sends_of(tasks)
            next_tasks = await self._commit("loop", [*([early] if early else []), *tasks], changed)
            self.pending_writes = []
            if any(c in self.spec.fields for c in changed):
                yield "values", self.spec.state_values(self.channels)
            for event in self.events.drain():
                yield event
            if next_tasks and self.breakpoints.stops_after(tasks):
                await self._pause()
                return
            tasks = next_tasks

    def _input_of(self, task: Task) -> Any:
        """What ``task`` gets as its input: its Send's argument, or the state."""
        return task.send["arg"] if task.send is not None else self.spec.state_values(self.channels)

    def _debug_resumed(self, tasks: list[Task]) -> None:
        """The checkpoint a resume goes on from, with what its tasks recorded there."""
        outcomes = task_outcomes(self.pending_writes)
        restore_paused(tasks, self.pending_writes)
        results = {
            t.id: self.spec.task_update(Task(t.id, t.name, t.triggers, list(outcomes[t.id].writes))) or {}
            for t in tasks if t.id in outcomes and outcomes[t.id].finished
        }
        self.events.debug_event("checkpoint", self.step, checkpoint_payload(
            self.parent_config, self._loaded_parent, self.spec.state_values(self.channels), self.metadata,
            tasks, results,
        ))

    def _resume_input(self, tasks: list[Task], command: Command | None) -> Task | None:
        """Give a resume's answers to the waiting tasks (see :mod:`engine.pregel.resume`)."""
        give_answers(tasks, self.pending_writes, command.resume if command else None)
        return input_task(self.spec, self.checkpoint_id, self.step + 1, self.pending_writes, command)

    def _apply_input(self, early: Task, new_id: str) -> set[str]:
        return apply_input(self.channels, self.versions, self.versions_seen, early, new_id)

    async def _interrupted(
        self, tasks: list[Task], paused: list[tuple[Task, GraphInterrupt]], early: Task | None
    ) -> AsyncIterator[tuple[str, Any]]:
        """A step whose tasks paused for input: save what finished, what waits and the answers
        so far against the step's checkpoint (no new checkpoint), and mark the thread
        ``interrupted``; yield the finished tasks' updates, the state with them, the interrupts."""
        waiting = {t.id for t, _ in paused}
        finished = [t for t in tasks if t.id not in waiting]
        if self.parent_config is not None:
            rows = writes_of_tasks([*([early] if early else []), *finished])
            rows += paused_writes([t for t, _ in paused])
            await self.committer.put_writes(self.parent_config, rows)
        await self._pause()
        # As LangGraph streams them: the finished tasks' updates (already streamed), the
        # interrupt (with the state before the step), then the state with what finished.
        yield INTERRUPT, tuple(i for _, exc in paused for i in exc.interrupts)
        if any(self.spec.task_update(t) for t in finished):
            shown = self.spec.restored_channels(checkpoint_values(self.channels))
            try:
                apply_writes(
                    shown, dict(self.versions), copy.deepcopy(self.versions_seen), finished,
                    checkpoint_id=self.checkpoint_id, end_of_step=False,
                )
            except InvalidUpdateError:
                shown = self.channels  # the finished writes conflict; the resumed step will say so
            yield "values", self.spec.state_values(shown)

    async def _execute(self, tasks: list[Task], early: Task | None) -> list[tuple[Task, GraphInterrupt]]:
        """Run the step's tasks; return those that paused for input. On failure record what
        finished, what paused, and the error, then raise what the first failing task (in task
        order) raised."""

        async def keep_finished(finished: list[Task]) -> None:
            if self.parent_config is not None:
                await self.committer.keep_finished(self.parent_config, finished)

        def finished(task: Task, cached: bool) -> None:
            self.events.finished(task, self.spec.task_update(task), self.step, cached=cached)

        outcomes = await execute(
            self.spec, tasks, self.channels, self.context, self.pending_writes, keep_finished, self.env,
            self.run_id, finished, self.cache,
        )
        paused = [(t, e) for t, e in outcomes if isinstance(e, GraphInterrupt)]
        failures = [(t, e) for t, e in outcomes if not isinstance(e, GraphInterrupt)]
        for task, exc in paused:
            task.interrupts = [i.to_data() for i in exc.interrupts]  # what it waits for, to record
        if self.events.debug:
            for task, exc in outcomes:
                stopped = isinstance(exc, GraphInterrupt)
                self.events.debug_event("task_result", self.step, task_result_payload(
                    task, None, None if stopped else exc, task.interrupts if stopped else None,
                ))
        if failures:
            stopped = {t.id for t, _ in outcomes}
            writes = writes_of_tasks([*([early] if early else []), *(t for t in tasks if t.id not in stopped)])
            writes += paused_writes([t for t, _ in outcomes])
            writes += [error_write(t, exc) for t, exc in failures]
            task, exc = failures[0]
            await self.committer.fail(self._at(), exc, writes, task.name)
            raise exc
        return paused

    async def update(self, values: Any, as_node: str | None) -> RunnableConfig:
        """Apply ``values`` as if node ``as_node`` had written them; save a checkpoint (source
        ``update``) on top of the one the config names (or the latest); return its config.

        Raises:
            UnknownNodeError: ``as_node`` is not a node of the graph.
            InvalidUpdateError: ``values`` do not fit the state's declared types (nothing is
                written; see :mod:`engine.pregel.validate`), or
                ``as_node`` is None and the last step ran several nodes (say which
                one the update comes from), or ``values`` has keys the state does not have.
        """
        loaded = await self._load()
        node = update_node(self.spec, as_node, self.metadata if loaded else None)
        new_id = self.env.checkpoint_id()
        step_id = self.checkpoint_id or new_id
        # Like a real run of the node: the triggers it would have consumed count as seen, so an
        # update "as tools" on a checkpoint waiting to run tools stands in for that run.
        planned = self._plan(step_id)
        pending = next((t.triggers for t in planned if t.name == node), ())
        # Its own task id, from the checkpoint it makes: the node's real task from this
        # checkpoint (or another edit of it) may have recorded writes here, and an edit must
        # never replace them.
        task = Task(task_id(f"{step_id}|update:{new_id}", self.step + 1, node), node, pending)
        if values is not None:
            task.writes = self.spec.update_writes(node, values)
            check_update_types(self.spec.fields, task.writes)
        task.writes += await self.spec.edge_writes(node, task.writes, self.channels, self.context)
        # The update is a step of its own, as in LangGraph 1.2.22 (checked side by side): the
        # tasks pending at this checkpoint are superseded, finished siblings of a failed step
        # included (their recorded writes stay on record, unapplied), and what runs next comes
        # from as_node's edges alone.
        superseded = [t for t in planned if t.name != node]  # no writes: their triggers count as seen
        changed = apply_writes(
            self.channels, self.versions, self.versions_seen, [task, *superseded],
            checkpoint_id=new_id, end_of_step=False,
        )
        self.step += 1
        self.checkpoint_id = new_id
        self.sends = sends_of([task])  # the pending pushes are superseded, as the pulled tasks
        await self._commit("update", [task], changed, edited_as=node)
        await self.committer.flush()
        assert self.parent_config is not None
        return self.parent_config
