"""A debugging session: a checkpoint database with graphs attached, and the write actions.

Reading needs no graph. Writing (edit, replay, continue) runs the attached graph's own code on
the database, so it needs the graph that made the thread: each thread records its graph's name
(``metadata["graph"]``, ``module:attr``) and the session matches it against the graphs the user
attached (``--graph``). Nothing named in the database is ever imported.

Writes go through a writer connection of their own, opened on the first write; the readers of
the debugger see them on their next read. A database opened read-only (its folder cannot be
written) gets no write actions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.checkpoint.base import RunnableConfig, checkpoint_config
from engine.checkpoint.sqlite import AsyncSqliteSaver
from engine.constants import INTERRUPT, START
from engine.debug.edit import EditError, EditPlan, edit_text, plan_edit
from engine.debug.model import CheckpointSummary
from engine.debug.source import file_id
from engine.errors import EngineError, UnknownNodeError
from engine.graph.compiled import CompiledStateGraph
from engine.lint import Finding, lint
from engine.pregel.runtime import StepCommitted, StepPlan
from engine.pregel.update import default_as_node
from engine.types import Command, Interrupt

__all__ = ["DebugSession", "EditStart", "NoGraphError", "RunResult", "ThreadMovedError"]


class NoGraphError(EngineError):
    """A write action on a thread with no attached graph (or on a read-only database)."""


class ThreadMovedError(EngineError):
    """An answer for a checkpoint that is no longer the thread's newest (someone else resumed
    it, or a run went on from it): nothing was written; read the thread again."""


@dataclass(frozen=True)
class EditStart:
    """What the editor needs: the text to start from, the nodes the edit may come from
    (``as_node`` choices, START included where it makes sense), and the default (None: the
    person must choose)."""

    text: str
    values: dict[str, Any]
    as_node_choices: tuple[str, ...]
    default_as_node: str | None


@dataclass(frozen=True)
class RunResult:
    """A finished replay or continue: the config of its last checkpoint, how many it wrote,
    and the error that stopped it (None: it ran to the end)."""

    last: RunnableConfig | None
    checkpoints: int
    error: BaseException | None
    interrupts: tuple[Interrupt, ...] = ()
    """What the run paused for, when a node called ``interrupt()`` (empty otherwise)."""
    next: tuple[str, ...] = ()
    """The nodes still to run where it stopped (empty: it ran to the end)."""


class _Progress:
    def __init__(self, on_step: Callable[[StepCommitted], Awaitable[None] | None] | None, steps: int | None) -> None:
        self.on_step = on_step
        self.steps = steps
        self.started = 0
        self.last: RunnableConfig | None = None
        self.next: tuple[str, ...] = ()
        self.count = 0

    def before_step(self, plan: StepPlan) -> bool:
        self.started += 1
        return self.steps is None or self.started <= self.steps

    async def after_step(self, committed: StepCommitted) -> None:
        self.last = committed.config
        self.next = committed.next
        self.count += 1
        if self.on_step is not None:
            result = self.on_step(committed)
            if asyncio.iscoroutine(result):
                await result


class DebugSession:
    """The write side of the debugger on the database at ``path``.

    Args:
        path: the checkpoint database (already checked by the reader).
        graphs: attached graphs; each is matched by its ``graph_ref`` (``module:attr``).
        read_only: why the database cannot be written (None: it can).
    """

    def __init__(
        self, path: str | Path, graphs: Iterable[CompiledStateGraph] = (), *, read_only: str | None = None
    ) -> None:
        self.path = Path(path)
        self.graphs: dict[str, CompiledStateGraph] = {}
        for graph in graphs:
            self.graphs[graph.graph_ref or graph.name] = graph
        self.read_only = read_only
        self.breakpoints: dict[str, frozenset[str]] = {}
        """Graph ref -> nodes runs started here pause before (besides the graph's own)."""
        self._saver: AsyncSqliteSaver | None = None
        self._file: tuple[int, int] | None = None
        self._lock = asyncio.Lock()
        self._lint: dict[str, list[Finding]] = {}

    def graph_for(self, checkpoint: CheckpointSummary) -> CompiledStateGraph | None:
        """The attached graph that made ``checkpoint``'s thread: the one its metadata names; a
        thread that names none (written before retrace recorded it) gets the only attached graph
        that has every node its checkpoints ran."""
        ref = checkpoint.metadata.get("graph")
        if isinstance(ref, str):
            return self.graphs.get(ref)
        fits = [g for g in self.graphs.values() if set(checkpoint.writes) - {START} <= set(g.spec.nodes)]
        return fits[0] if len(fits) == 1 else None

    def findings_for(self, checkpoint: CheckpointSummary) -> list[Finding] | None:
        """The lint's findings (:func:`engine.lint.lint`) on the attached graph of
        ``checkpoint``'s thread, worked out once per graph; None when no graph is attached."""
        graph = self.graph_for(checkpoint)
        if graph is None:
            return None
        key = graph.graph_ref or graph.name
        if key not in self._lint:
            self._lint[key] = lint(graph)
        return self._lint[key]

    def why_not(self, checkpoint: CheckpointSummary) -> str | None:
        """Why write actions are off at ``checkpoint`` (None: they are on), and how to turn them on."""
        if self.read_only:
            return f"this database is open read-only ({self.read_only}): edit, replay and continue are off"
        if self.graph_for(checkpoint) is not None:
            return None
        ref = checkpoint.metadata.get("graph")
        if isinstance(ref, str):
            return (
                f"no graph attached for this thread: it was run by {ref}. To edit, replay and "
                f"continue, open it with: retrace open {self.path.name} --graph {ref}"
            )
        return (
            "no graph attached for this thread (it did not record which graph ran it). To edit, "
            f"replay and continue, open it with: retrace open {self.path.name} --graph module:attr"
        )

    def _graph(self, checkpoint: CheckpointSummary) -> CompiledStateGraph:
        reason = self.why_not(checkpoint)
        if reason is not None:
            raise NoGraphError(reason)
        graph = self.graph_for(checkpoint)
        assert graph is not None
        return graph

    async def _bound(self, checkpoint: CheckpointSummary) -> CompiledStateGraph:
        """The thread's graph, saving to this database (see :meth:`_bind`)."""
        return await self._bind(self._graph(checkpoint))

    async def _bind(self, graph: CompiledStateGraph) -> CompiledStateGraph:
        """``graph`` saving to this database (the writer reopened if the file was replaced
        since: a writer on the old file would write to, and read, what is no longer there)."""
        async with self._lock:
            current = file_id(self.path)
            if self._saver is not None and current != self._file:
                await self._saver.close()
                self._saver = None
            if self._saver is None:
                self._saver = await AsyncSqliteSaver.open(self.path)
                self._file = current
        return graph.with_checkpointer(self._saver)

    @staticmethod
    def _config(checkpoint: CheckpointSummary) -> RunnableConfig:
        return checkpoint_config(checkpoint.thread_id, checkpoint.checkpoint_ns, checkpoint.checkpoint_id)

    async def start_edit(self, checkpoint: CheckpointSummary) -> EditStart:
        """The state at ``checkpoint`` as JSON to edit, read strictly through the thread's graph.

        Raises:
            NoGraphError: write actions are off (see :meth:`why_not`).
            EditError: the state holds a value that cannot be read back exactly (it could only
                be saved back as something else).
            CheckpointStoreError: the database cannot be read.
        """
        graph = await self._bound(checkpoint)
        try:
            state = await graph.aget_state(self._config(checkpoint))
        except EngineError as exc:
            raise EditError(
                f"this checkpoint's state cannot be read exactly ({exc}); retrace will not edit "
                "it, since saving would replace what it could not read"
            ) from None
        default = default_as_node(graph.spec, dict(checkpoint.metadata))
        choices = (START, *graph.spec.nodes)  # START: the edit stands for the run's input
        default = default if default in choices else None
        assert graph.checkpointer is not None
        return EditStart(edit_text(state.values, graph.checkpointer.serde), state.values, choices, default)

    async def edit(
        self, checkpoint: CheckpointSummary, start: EditStart, text: str, as_node: str | None
    ) -> RunnableConfig:
        """Save the edited ``text`` as a new checkpoint (source ``update``) on top of
        ``checkpoint``, as if ``as_node`` had written it; return the new checkpoint's config.

        Same as LangGraph's ``update_state``, with the whole-value edit turned into reducer
        writes by :func:`engine.debug.edit.plan_edit`.

        Raises:
            NoGraphError: write actions are off.
            EditError: the text cannot be saved (nothing is written): see ``plan_edit``, or
                ``as_node`` is needed and missing, or the graph refuses the update.
        """
        graph = await self._bound(checkpoint)
        assert graph.checkpointer is not None
        plan: EditPlan = plan_edit(graph.spec.fields, start.values, text, graph.checkpointer.serde)
        node = as_node or start.default_as_node
        if node is None:
            raise EditError(f"say which node this edit comes from (one of: {', '.join(start.as_node_choices)})")
        try:
            return await graph.aupdate_state(self._config(checkpoint), plan.update, as_node=node)
        except EngineError as exc:
            raise EditError(str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - the graph's own code (a router, a reducer) refused
            raise EditError(f"the graph refused the edit: {type(exc).__name__}: {exc}") from None

    async def continue_from(
        self,
        checkpoint: CheckpointSummary,
        on_step: Callable[[StepCommitted], Awaitable[None] | None] | None = None,
        *,
        steps: int | None = None,
    ) -> RunResult:
        """Run on from ``checkpoint``: a resume when it is still the thread's newest checkpoint
        (read now, not from what the debugger last loaded), else a replay (see :meth:`run_from`).
        ``steps=1`` runs one super-step and pauses (the thread is then ``interrupted``)."""
        graph = await self._bound(checkpoint)
        assert graph.checkpointer is not None
        thread = {"configurable": {"thread_id": checkpoint.thread_id, "checkpoint_ns": checkpoint.checkpoint_ns}}
        latest = await graph.checkpointer.aget_tuple(thread)
        resume = latest is not None and latest.checkpoint.id == checkpoint.checkpoint_id
        return await self.run_from(checkpoint, resume=resume, on_step=on_step, steps=steps)

    async def run_from(
        self,
        checkpoint: CheckpointSummary,
        *,
        resume: bool = False,
        on_step: Callable[[StepCommitted], Awaitable[None] | None] | None = None,
        steps: int | None = None,
        command: Command | None = None,
    ) -> RunResult:
        """Run the thread's graph on from ``checkpoint``; ``on_step`` sees each checkpoint as
        it is saved; with ``steps``, at most that many super-steps run, then the run pauses.

        ``resume`` (the thread's newest checkpoint, left unfinished) resumes it as
        ``ainvoke(None, thread)`` does, reusing what finished tasks wrote; with ``command``
        (a :class:`~engine.types.Command` answering its interrupts) as ``ainvoke(command,
        thread)``. Otherwise this is a
        replay, as LangGraph's ``ainvoke(None, config_with_checkpoint_id)``: from a run's
        checkpoint it first writes a ``fork`` copy, then runs on; from an edit it runs on
        directly. A failure is returned in ``RunResult.error`` (and recorded on the thread),
        not raised.

        Raises:
            NoGraphError: write actions are off.
        """
        graph = await self._bound(checkpoint)
        config = self._config(checkpoint)
        if resume:
            config = {"configurable": {"thread_id": checkpoint.thread_id, "checkpoint_ns": checkpoint.checkpoint_ns}}
        return await self._run(graph, config, command if resume else None, on_step, steps)

    async def _run(
        self, graph: CompiledStateGraph, config: RunnableConfig, input: Any,
        on_step: Callable[[StepCommitted], Awaitable[None] | None] | None, steps: int | None = None,
    ) -> RunResult:
        progress = _Progress(on_step, steps)
        error: BaseException | None = None
        interrupts: tuple[Interrupt, ...] = ()
        extra = self.breakpoints.get(graph.graph_ref or graph.name, frozenset())
        before = graph.breakpoints.before
        pause = None if not extra or before == "*" else sorted(extra | set(before))
        try:
            async for mode, chunk in graph.loop(config, hook=progress, interrupt_before=pause, interrupt_after=(
                None if pause is None else graph.breakpoints.after
            )).run(input):
                if mode == INTERRUPT:
                    interrupts = chunk
        except Exception as exc:  # noqa: BLE001 - the graph's own failure is the result to show
            error = exc
        return RunResult(progress.last, progress.count, error, interrupts, () if error else progress.next)

    def toggle_breakpoint(self, graph: CompiledStateGraph, node: str) -> bool:
        """Pause runs started here before ``node`` of ``graph``, or stop doing so; True when it
        is now on.

        Raises:
            UnknownNodeError: ``node`` is not a node of ``graph``.
        """
        if node not in graph.spec.nodes:
            raise UnknownNodeError(f"{node!r} is not a node of {graph.name} (nodes: {sorted(graph.spec.nodes)})")
        key = graph.graph_ref or graph.name
        nodes = set(self.breakpoints.get(key, frozenset())) ^ {node}
        self.breakpoints[key] = frozenset(nodes)
        return node in nodes

    async def start_run(
        self, graph: CompiledStateGraph, thread_id: str, input: Any,
        on_step: Callable[[StepCommitted], Awaitable[None] | None] | None = None,
    ) -> RunResult:
        """Run ``graph`` (an attached one) on ``thread_id`` with ``input``, as ``ainvoke(input,
        thread)``; the debugger's breakpoints apply. A failure is in the result, not raised.

        Raises:
            NoGraphError: the database is read-only.
        """
        if self.read_only:
            raise NoGraphError(f"this database is open read-only ({self.read_only}): no new runs")
        bound = await self._bind(graph)
        return await self._run(bound, {"configurable": {"thread_id": thread_id}}, input, on_step)

    async def answer(
        self,
        checkpoint: CheckpointSummary,
        resume: Any,
        on_step: Callable[[StepCommitted], Awaitable[None] | None] | None = None,
    ) -> RunResult:
        """Answer the interrupts the thread waits on at ``checkpoint`` and run on, as LangGraph's
        ``ainvoke(Command(resume=resume), thread)``: the interrupted node runs again from its
        start and its ``interrupt()`` returns ``resume`` (a ``{interrupt_id: value}`` map
        answers several). The run's failure or next pause is in the result, not raised.

        Raises:
            NoGraphError: write actions are off, or no graph is attached for the thread.
            ThreadMovedError: ``checkpoint`` is no longer the thread's newest (nothing written).
        """
        graph = await self._bound(checkpoint)
        assert graph.checkpointer is not None
        thread = {"configurable": {"thread_id": checkpoint.thread_id, "checkpoint_ns": checkpoint.checkpoint_ns}}
        latest = await graph.checkpointer.aget_tuple(thread)
        if latest is None or latest.checkpoint.id != checkpoint.checkpoint_id:
            raise ThreadMovedError(
                f"thread {checkpoint.thread_id!r} has moved on since this checkpoint was read "
                "(another run resumed it); nothing was written: look at the thread again"
            )
        return await self.run_from(checkpoint, resume=True, on_step=on_step, command=Command(resume=resume))

    async def close(self) -> None:
        async with self._lock:
            if self._saver is not None:
                await self._saver.close()
                self._saver = None
