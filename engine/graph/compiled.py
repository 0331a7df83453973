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
)
from engine.constants import INTERRUPT
from engine.errors import GraphInterrupt
from engine.graph.state_access import StateAccess
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
from engine.runtime import coerce_context
from engine.sync import iterate_sync, run_sync

if TYPE_CHECKING:
    pass

StreamMode = str


class CompiledStateGraph(StateAccess):
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
        cache: where nodes with a ``cache_policy`` keep their writes (``compile(cache=...)``), or None.
        graph_ref: ``"module:attr"`` naming this graph, recorded in each checkpoint's metadata
            (``"graph"``) so the debugger can offer to attach it; worked out on first run from
            the module that called ``compile()``, or set by whoever loaded it. Only a name:
            nothing ever imports it from a database.
    """

    def __init__(
        self, spec: GraphSpec, *, checkpointer: BaseCheckpointSaver | bool | None, env: RunEnv = DEFAULT_ENV,
        module: str | None = None, graph_ref: str | None = None, breakpoints: Breakpoints = Breakpoints(),
        store: Any = None, cache: Any = None,
    ) -> None:
        self.spec = spec
        self.store = store
        self.cache = cache
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
            graph_ref=self._ref(), breakpoints=self.breakpoints, store=self.store, cache=self.cache,
        )

    async def aclear_cache(self, nodes: list[str] | None = None) -> None:
        """Drop the cached writes of ``nodes`` (None: every node), as LangGraph's ``clear_cache``."""
        if self.cache is not None:
            await self.cache.aclear([(self.spec.name, n) for n in (nodes or list(self.spec.nodes))])

    def clear_cache(self, nodes: list[str] | None = None) -> None:
        """Sync form of :meth:`aclear_cache`."""
        run_sync(self.aclear_cache(nodes))

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
        durability: str | None = None, nested: NestedRun | None = None, context: Any = None,
    ) -> SuperStepLoop:
        """A run loop for ``config`` (the debugger drives it with a step ``hook``); breakpoints
        given here replace the compiled ones, as LangGraph's per-call ``interrupt_*`` do.
        ``nested``: this graph runs as a subgraph (see :mod:`engine.pregel.subgraph`); its
        saver, config, store, durability and context are the parent run's. ``context``: the
        run's context (a dict is made into the graph's ``context_schema``, see
        :func:`engine.runtime.coerce_context`)."""
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
                parents=nested.parents, context=nested.context, cache=self.cache,
            )
        if self.checkpointer is True:
            raise RuntimeError(
                "checkpointer=True is for subgraphs (they keep their state in the parent's "
                "checkpointer); compile the root graph with a saver, e.g. InMemorySaver()"
            )
        return SuperStepLoop(
            self.spec, self.checkpointer or None, config, env=self.env, hook=hook, graph_ref=self._ref(),
            breakpoints=breakpoints, stream=stream, store=self.store, durability=durability or DEFAULT_DURABILITY,
            context=coerce_context(self.spec.context_schema, context), cache=self.cache,
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
        durability: str | None = None, checkpoint_during: bool | None = None, context: Any = None,
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
        ``context``: what nodes get as ``runtime.context`` (see :mod:`engine.runtime`); not
        saved, so give it again to resume, as in LangGraph.

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
            durability=durability_of(durability, checkpoint_during), nested=nested, context=context,
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
        durability: str | None = None, checkpoint_during: bool | None = None, context: Any = None,
    ) -> dict[str, Any]:
        """Run the graph to the end and return the final state values (a dict).

        ``input=None`` resumes the thread from its latest checkpoint, or from
        ``config["configurable"]["checkpoint_id"]`` (replay from a past checkpoint: new checkpoints
        branch off it, the old ones are kept). ``input=Command(resume=...)`` answers the
        interrupts the thread waits on. When a node calls ``interrupt()`` the run pauses and the
        result has ``"__interrupt__": [Interrupt, ...]`` besides the state, as in LangGraph.
        ``durability``, ``context``: see :meth:`astream`. The result has the output schema's
        keys (``StateGraph(output_schema=...)``; default the state's).
        """
        values: dict[str, Any] = {}
        interrupts: tuple[Any, ...] = ()
        nested = nested_run(self.checkpointer)
        loop = self.loop(
            config, interrupt_before=interrupt_before, interrupt_after=interrupt_after,
            durability=durability_of(durability, checkpoint_during), nested=nested, context=context,
        )
        async for mode, chunk in self._events(loop, input, nested):
            if mode == "values":
                values = chunk
            elif mode == INTERRUPT:
                interrupts = chunk
        values = self.spec.output(values or self.spec.state_values(loop.channels))
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
