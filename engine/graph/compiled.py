"""``CompiledStateGraph``: a validated graph you can run, stream and inspect.

The public facade over a :class:`~engine.pregel.spec.GraphSpec` (what the graph is) and the run
loop (:mod:`engine.pregel.loop`); the loop never calls back into this class.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from engine.checkpoint.base import (
    BaseCheckpointSaver,
    RunnableConfig,
    config_checkpoint_id,
    config_checkpoint_ns,
    config_thread_id,
    metadata_matches,
)
from engine.constants import INTERRUPT
from engine.errors import GraphInterrupt
from engine.graph.snapshot import snapshot_of
from engine.pregel.loop import SuperStepLoop
from engine.pregel.runtime import (
    DEFAULT_DURABILITY,
    DEFAULT_ENV,
    Breakpoints,
    RunEnv,
    StepHook,
    durability_of,
)
from engine.pregel.schema import value_classes
from engine.pregel.spec import GraphSpec
from engine.pregel.stream import STREAM_MODES, chunks_of
from engine.pregel.subgraph import NestedRun, nested_input, nested_run
from engine.sync import iterate_sync, run_sync
from engine.types import StateSnapshot

if TYPE_CHECKING:
    from engine.checkpoint.base import CheckpointTuple

StreamMode = str


class CompiledStateGraph:
    """A graph ready to run; made by :meth:`StateGraph.compile`.

    Same methods as LangGraph's compiled graph: ``ainvoke``/``invoke``, ``astream``/``stream``,
    ``aget_state``/``get_state``, ``aget_state_history``/``get_state_history``,
    ``aupdate_state``/``update_state``. ``config`` is
    ``{"configurable": {"thread_id": ..., "checkpoint_id": optional}, "recursion_limit": 25}``.

    Attributes:
        spec: the frozen description of the graph the run loop works from.
        checkpointer: where checkpoints go (None: nothing is kept; for a subgraph, ``True`` /
            ``False`` as in LangGraph, see :func:`engine.pregel.subgraph.nested_run`).
        env: the clock and id sources (:class:`~engine.pregel.runtime.RunEnv`).
        store: the memory store nodes are given (``compile(store=...)``), or None.
        graph_ref: ``"module:attr"`` naming this graph, recorded in each checkpoint's metadata
            (``"graph"``) so the debugger can offer to attach it; worked out on first run from
            the module that called ``compile()``, or set by whoever loaded it. Only a name:
            nothing ever imports it from a database.
    """

    def __init__(
        self, spec: GraphSpec, *, checkpointer: BaseCheckpointSaver | bool | None, env: RunEnv = DEFAULT_ENV,
        module: str | None = None, graph_ref: str | None = None, breakpoints: Breakpoints = Breakpoints(),
        store: Any = None,
    ) -> None:
        self.spec = spec
        self.store = store
        self.breakpoints = breakpoints
        self.checkpointer = checkpointer
        self.env = env
        self.graph_ref = graph_ref
        self._module = module
        if isinstance(checkpointer, BaseCheckpointSaver):
            # Not just the schema: a field typed with another dataclass or model (``list[Point]``)
            # must come back from the checkpoint as that class too, not as a dict.
            for cls in value_classes(spec.state_schema):
                checkpointer.serde.allow(cls)

    @property
    def name(self) -> str:
        return self.spec.name

    def with_checkpointer(self, checkpointer: BaseCheckpointSaver | None, *, env: RunEnv | None = None) -> CompiledStateGraph:
        """The same graph saving to ``checkpointer`` (the debugger runs an attached graph on the
        database it opened this way)."""
        return CompiledStateGraph(
            self.spec, checkpointer=checkpointer, env=env or self.env, module=self._module,
            graph_ref=self._ref(), breakpoints=self.breakpoints, store=self.store,
        )

    def _ref(self) -> str | None:
        """``module:attr`` of the module-level name bound to this graph, if there is one."""
        if self.graph_ref is None and self._module:
            module = sys.modules.get(self._module)
            if self._module == "__main__":  # a script: importable by name only when run with -m
                spec = getattr(module, "__spec__", None)
                self._module = getattr(spec, "name", None)
            names = [k for k, v in getattr(module, "__dict__", {}).items() if v is self]
            if self._module and len(names) == 1:
                self.graph_ref = f"{self._module}:{names[0]}"
            self._module = None  # looked once: a graph bound later is named by whoever binds it
        return self.graph_ref

    def loop(
        self, config: RunnableConfig | None, *, hook: StepHook | None = None,
        interrupt_before: Any = None, interrupt_after: Any = None, stream: frozenset[str] = frozenset(),
        durability: str | None = None, nested: NestedRun | None = None,
    ) -> SuperStepLoop:
        """A run loop for ``config`` (the debugger drives it with a step ``hook``); breakpoints
        given here replace the compiled ones, as LangGraph's per-call ``interrupt_*`` do.
        ``nested``: this graph runs as a subgraph (see :mod:`engine.pregel.subgraph`); its
        saver, config, store and durability are the parent run's."""
        breakpoints = self.breakpoints
        if interrupt_before is not None or interrupt_after is not None:
            breakpoints = Breakpoints.of(interrupt_before, interrupt_after)
            if unknown := breakpoints.unknown(self.spec.nodes):
                raise ValueError(f"breakpoint on {unknown}, which {'is' if len(unknown) == 1 else 'are'} not a node")
        if nested is not None:
            if nested.saver is not None:
                for cls in value_classes(self.spec.state_schema):
                    nested.saver.serde.allow(cls)
            return SuperStepLoop(
                self.spec, nested.saver, nested.config, env=self.env, hook=hook, graph_ref=self._ref(),
                breakpoints=breakpoints, stream=getattr(nested.events, "wants", frozenset()),
                store=self.store if self.store is not None else nested.store, durability=nested.durability,
                parents=nested.parents,
            )
        if self.checkpointer is True:
            raise RuntimeError(
                "checkpointer=True is for subgraphs (they keep their state in the parent's "
                "checkpointer); compile the root graph with a saver, e.g. InMemorySaver()"
            )
        return SuperStepLoop(
            self.spec, self.checkpointer or None, config, env=self.env, hook=hook, graph_ref=self._ref(),
            breakpoints=breakpoints, stream=stream, store=self.store, durability=durability or DEFAULT_DURABILITY,
        )

    async def _events(self, loop: SuperStepLoop, input: Any, nested: NestedRun | None) -> AsyncIterator[Any]:
        """``loop.run(input)``'s events; run as a subgraph, it goes on from where it stopped in
        its namespace, hands its events to the parent's stream, and raises ``GraphInterrupt``
        when it pauses, so the parent task pauses too."""
        if nested is not None:
            input = await nested_input(nested, input)
        interrupts: tuple[Any, ...] = ()
        async with contextlib.aclosing(loop.run(input)) as run:  # closing the stream stops the run
            async for kind, chunk in run:
                if nested is not None and nested.events is not None:
                    if kind == "nested":
                        nested.events.nested(*chunk)
                    else:
                        nested.events.nested(nested.path, kind, chunk)
                if kind == INTERRUPT:
                    interrupts = chunk
                yield kind, chunk
        if nested is not None and interrupts:
            raise GraphInterrupt(tuple(interrupts))

    async def astream(
        self, input: Any, config: RunnableConfig | None = None, *,
        stream_mode: StreamMode | list[StreamMode] = "updates",
        interrupt_before: Any = None, interrupt_after: Any = None, subgraphs: bool = False,
        durability: str | None = None, checkpoint_during: bool | None = None,
    ) -> AsyncIterator[Any]:
        """Run the graph, yielding as it goes; same modes and chunk shapes as LangGraph 1.2.22.

        - ``"updates"`` (the default): ``{node: update}`` as each task finishes (a task reused
          from an earlier attempt adds ``"__metadata__": {"cached": True}``); a pause adds
          ``{"__interrupt__": (Interrupt, ...)}``.
        - ``"values"``: the whole state after every super-step (the input's first; a resume's
          or replay's first is the state it starts from).
        - ``"debug"``: ``{"step", "timestamp", "type", "payload"}`` for each task start
          (``"task"``: ``{"id", "name", "input", "triggers"}``), task result (``"task_result"``:
          ``{"id", "name", "error", "result", "interrupts"}``, ``error`` the exception) and
          saved checkpoint (``"checkpoint"``: ``{"config", "parent_config", "values",
          "metadata", "next", "tasks"}``).
        - ``"tasks"`` / ``"checkpoints"``: those payloads alone.
        - ``"custom"``: what nodes pass to their ``writer`` (:func:`engine.config.get_stream_writer`).

        A list of modes yields ``(mode, chunk)`` pairs; ``subgraphs=True`` puts the namespace
        first: ``(namespace, chunk)`` or ``(namespace, mode, chunk)``, ``()`` for this graph.

        ``durability``: when each step is written, ``"sync"`` (the default here), ``"async"``
        (LangGraph's default) or ``"exit"``; see :class:`~engine.pregel.commit.Committer`.
        ``checkpoint_during`` is LangGraph's older spelling (True: ``"async"``, False: ``"exit"``).

        Raises:
            ValueError: an unknown ``stream_mode`` or ``durability``, or both ``durability`` and
                ``checkpoint_during``. Run errors: see :meth:`SuperStepLoop.run`.
        """
        modes = [stream_mode] if isinstance(stream_mode, str) else list(stream_mode)
        for mode in modes:
            if mode not in STREAM_MODES:
                raise ValueError(f"unknown stream_mode {mode!r}; use one of {', '.join(STREAM_MODES)}")
        wants = frozenset({"debug"} if {"debug", "tasks", "checkpoints"} & set(modes) else set()) | (
            frozenset({"custom"}) if "custom" in modes else frozenset()
        )
        if subgraphs:
            wants |= {"subgraphs"}
        nested = nested_run(self.checkpointer)
        loop = self.loop(
            config, interrupt_before=interrupt_before, interrupt_after=interrupt_after, stream=wants,
            durability=durability_of(durability, checkpoint_during), nested=nested,
        )

        def shaped(mode: str, chunk: Any) -> Any:
            if isinstance(stream_mode, str):
                return ((), chunk) if subgraphs else chunk
            return ((), mode, chunk) if subgraphs else (mode, chunk)

        def shaped_nested(path: tuple[str, ...], mode: str, chunk: Any) -> Any:
            return (path, chunk) if isinstance(stream_mode, str) else (path, mode, chunk)

        values: dict[str, Any] = {}
        async with contextlib.aclosing(self._events(loop, input, nested)) as run:
            async for kind, chunk in run:
                if kind == "nested":
                    path, inner, payload = chunk
                    for mode, out in chunks_of(inner, payload, modes, {}):
                        yield shaped_nested(path, mode, out)
                    continue
                for mode, out in chunks_of(kind, chunk, modes, values):
                    yield shaped(mode, out)
                if kind == "values":
                    values = chunk

    async def ainvoke(
        self, input: Any, config: RunnableConfig | None = None, *,
        interrupt_before: Any = None, interrupt_after: Any = None,
        durability: str | None = None, checkpoint_during: bool | None = None,
    ) -> dict[str, Any]:
        """Run the graph to the end and return the final state values (a dict).

        ``input=None`` resumes the thread from its latest checkpoint, or from
        ``config["configurable"]["checkpoint_id"]`` (replay from a past checkpoint: new checkpoints
        branch off it, the old ones are kept). ``input=Command(resume=...)`` answers the
        interrupts the thread waits on. When a node calls ``interrupt()`` the run pauses and the
        result has ``"__interrupt__": [Interrupt, ...]`` besides the state, as in LangGraph.
        ``durability``: see :meth:`astream`.
        """
        values: dict[str, Any] = {}
        interrupts: tuple[Any, ...] = ()
        nested = nested_run(self.checkpointer)
        loop = self.loop(
            config, interrupt_before=interrupt_before, interrupt_after=interrupt_after,
            durability=durability_of(durability, checkpoint_during), nested=nested,
        )
        async for mode, chunk in self._events(loop, input, nested):
            if mode == "values":
                values = chunk
            elif mode == INTERRUPT:
                interrupts = chunk
        values = values or self.spec.state_values(loop.channels)
        return {**values, INTERRUPT: list(interrupts)} if interrupts else values

    def invoke(self, input: Any, config: RunnableConfig | None = None, **options: Any) -> dict[str, Any]:
        """Sync form of :meth:`ainvoke` (same options)."""
        return run_sync(self.ainvoke(input, config, **options))

    def stream(
        self, input: Any, config: RunnableConfig | None = None, *,
        stream_mode: StreamMode | list[StreamMode] = "updates", **options: Any,
    ) -> Iterator[Any]:
        """Sync form of :meth:`astream` (same options): yields each chunk as it comes."""
        return iterate_sync(self.astream(input, config, stream_mode=stream_mode, **options))

    def _require_saver(self) -> BaseCheckpointSaver:
        if not isinstance(self.checkpointer, BaseCheckpointSaver):
            raise ValueError("this graph has no checkpointer: compile(checkpointer=...) to keep state")
        return self.checkpointer

    def _snapshot(self, saved: CheckpointTuple, *, apply_pending: bool = False) -> StateSnapshot:
        return snapshot_of(self.spec, saved, apply_pending=apply_pending)

    def _graph_at(self, namespace: str) -> CompiledStateGraph | None:
        """The subgraph whose checkpoints are under ``namespace`` (``node:task_id`` levels
        joined by ``|``), bound to this graph's checkpointer; this graph for ``""``; None when a
        level names no subgraph node (a subgraph run from inside a node's function)."""
        graph: CompiledStateGraph = self
        for level in filter(None, namespace.split("|")):
            node = graph.spec.nodes.get(level.split(":", 1)[0])
            if node is None or node.subgraph is None:
                return None
            graph = node.subgraph
        return graph if graph is self else graph.with_checkpointer(self.checkpointer, env=self.env)

    async def _with_subgraphs(self, snapshot: StateSnapshot, *, expand: bool) -> StateSnapshot:
        """Each subgraph task's ``state``: the config of its namespace, or (``expand``, as
        LangGraph's ``subgraphs=True``) the subgraph's own snapshot there, its tasks' too."""
        namespace = config_checkpoint_ns(snapshot.config)
        thread = config_thread_id(snapshot.config)
        tasks = []
        for task in snapshot.tasks:
            node = self.spec.nodes.get(task.name)
            if node is None or node.subgraph is None:
                tasks.append(task)
                continue
            own = task.name if node.subgraph.checkpointer is True else f"{task.name}:{task.id}"
            child_ns = f"{namespace}|{own}" if namespace else own
            state: Any = {"configurable": {"thread_id": thread, "checkpoint_ns": child_ns}}
            child = node.subgraph.with_checkpointer(self.checkpointer, env=self.env)
            saved = await self._require_saver().aget_tuple(state) if expand else None
            if saved is not None:
                state = await child._with_subgraphs(child._snapshot(saved, apply_pending=True), expand=True)
            tasks.append(task._replace(state=state))
        return snapshot._replace(tasks=tuple(tasks))

    async def aget_state(self, config: RunnableConfig, *, subgraphs: bool = False) -> StateSnapshot:
        """The state at the checkpoint named in ``config``, or the thread's latest.

        A thread with no checkpoint gives an empty snapshot (``values == {}``). A subgraph task's
        ``state`` is the config of the subgraph's namespace (pass it here for the subgraph's
        state, or to :meth:`aget_state_history` for its history); with ``subgraphs=True`` it is
        the subgraph's snapshot, as in LangGraph.

        Raises ``ValueError`` when the graph has no checkpointer or ``config`` has no thread_id.
        """
        graph = self._graph_at(config_checkpoint_ns(config))
        saved = await self._require_saver().aget_tuple(config)
        if saved is None or graph is None:
            config_thread_id(config)
            return StateSnapshot({}, (), config, None, None, None, ())
        snapshot = graph._snapshot(saved, apply_pending=config_checkpoint_id(config) is None)
        return await graph._with_subgraphs(snapshot, expand=subgraphs)

    def get_state(self, config: RunnableConfig, *, subgraphs: bool = False) -> StateSnapshot:
        return run_sync(self.aget_state(config, subgraphs=subgraphs))

    async def aget_state_history(
        self,
        config: RunnableConfig,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[StateSnapshot]:
        """The thread's checkpoints as :class:`StateSnapshot`, newest first; ``filter`` keeps
        those whose metadata matches (``{"source": "loop"}``), ``limit`` caps how many.

        Same as LangGraph: a ``checkpoint_id`` in ``config`` gives that checkpoint alone (if it
        exists and matches ``filter``), not the history up to it.
        """
        graph = self._graph_at(config_checkpoint_ns(config))
        if graph is None:
            return
        if config_checkpoint_id(config) is not None:
            saved = await self._require_saver().aget_tuple(config)
            if saved is not None and (limit is None or limit > 0) and metadata_matches(saved.metadata, filter):
                yield await graph._with_subgraphs(graph._snapshot(saved), expand=False)
            return
        async for saved in self._require_saver().alist(config, filter=filter, before=before, limit=limit):
            yield await graph._with_subgraphs(graph._snapshot(saved), expand=False)

    async def aupdate_state(
        self, config: RunnableConfig, values: dict[str, Any] | Any | None, as_node: str | None = None
    ) -> RunnableConfig:
        """Write ``values`` into the thread as if node ``as_node`` had returned them.

        Same as LangGraph's ``update_state``: the values go through the state's reducers, the
        node's edges decide what runs next, and a new checkpoint (source ``update``) is saved on
        top of the checkpoint ``config`` names (or the latest one: on an older one, this forks the
        thread). ``as_node`` defaults to the node that ran the last step, when only one did, and to
        ``START`` on a run's input checkpoint (or an empty thread), as in LangGraph.
        Returns the new checkpoint's config; ``ainvoke(None, config)`` then runs on from it.

        Raises:
            ValueError: the graph has no checkpointer, or ``config`` has no thread_id.
            UnknownNodeError: ``as_node`` is not a node.
            InvalidUpdateError: ``as_node`` is ambiguous, or ``values`` has unknown keys, or a
                value does not fit its key's declared type (checked with pydantic, strict, on
                keys without a reducer; LangGraph does not check): nothing is written.
        """
        self._require_saver()
        return await self.loop(config).update(values, as_node)

    def update_state(
        self, config: RunnableConfig, values: dict[str, Any] | Any | None, as_node: str | None = None
    ) -> RunnableConfig:
        """Sync form of :meth:`aupdate_state`."""
        return run_sync(self.aupdate_state(config, values, as_node))

    def get_state_history(
        self,
        config: RunnableConfig,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[StateSnapshot]:
        """Sync form of :meth:`aget_state_history`."""
        return iterate_sync(self.aget_state_history(config, filter=filter, before=before, limit=limit))
