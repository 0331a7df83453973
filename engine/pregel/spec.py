"""``GraphSpec``: the frozen description of a compiled graph that the run loop works from.

``StateGraph.compile()`` makes one: the state's fields, the nodes with their call signature, the
trigger channel of every node, the edges as trigger writes, and the conditional edges. The loop
and the debugger depend on this, never on the public ``CompiledStateGraph`` facade, so the facade
can import the loop without a cycle.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from engine.channels import (
    BaseChannel,
    DeferredTrigger,
    EphemeralValue,
    NamedBarrierValue,
)
from engine.config import CURRENT_RUN
from engine.constants import BRANCH_PREFIX, END, JOIN_PREFIX, START, TASKS
from engine.errors import (
    InvalidUpdateError,
    NodeError,
    UnknownNodeError,
    UnknownRouteError,
)
from engine.pregel.algo import Task
from engine.pregel.nodes import Branch, NodeSpec, RunContext, call_arguments
from engine.pregel.schema import StateField, build_state, state_fields, state_to_dict
from engine.types import CURRENT_TASK, Command, Send, TaskResume


def join_channel(starts: tuple[str, ...], end: str) -> str:
    """The barrier channel of ``add_edge([a, b], end)``: ``join:a+b:end``."""
    return f"{JOIN_PREFIX}{'+'.join(starts)}:{end}"


async def call(fn: Any, arguments: tuple[tuple[Any, ...], dict[str, Any]]) -> Any:
    """Call a node or router. A sync one runs in a worker thread, as LangGraph's async API runs
    it in an executor: a slow sync node never blocks the event loop (nor a debugger on it)."""
    args, kwargs = arguments
    if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None)):
        return await fn(*args, **kwargs)
    result = await asyncio.to_thread(fn, *args, **kwargs)
    return await result if inspect.isawaitable(result) else result


def _answers(task: Task) -> dict[str, Any]:
    """``{interrupt_id: answer}`` for the interrupts ``task`` last paused on and was answered
    (what a subgraph it runs takes up when it goes on): the newest answers, one an interrupt."""
    ids = [str(i.get("id")) for i in task.interrupts if isinstance(i, dict)]
    if not ids or not task.resume:
        return {}
    recent = task.resume[-len(ids):] if len(task.resume) >= len(ids) else task.resume
    return dict(zip(ids, recent, strict=False))


@dataclass(frozen=True)
class GraphSpec:
    """A validated graph as data.

    Attributes:
        name: the graph's name (``compile(name=...)``, default ``"LangGraph"`` as in LangGraph).
        state_schema: the state class (TypedDict, dataclass or Pydantic model).
        fields: state key -> :class:`StateField` (type and reducer): the state schema's keys,
            then those only the input, output or a node's input schema has.
        input_keys / output_keys: the keys a run's input may set / ``invoke`` returns.
        schema_keys: the state schema's own keys (what nodes and routers see by default).
        context_schema: the type of a run's ``context`` (None: any).
        nodes: node name -> :class:`NodeSpec`.
        triggers: node name (and ``START``) -> the channels whose new versions make it run.
        fixed_edges: node -> ``[(channel, value), ...]`` written when it finishes (its static
            edges; a join edge writes the node's name to the join's barrier channel).
        branches: node -> its conditional edges.
        join_edges: ``((start, ...), end)`` pairs of ``add_edge([a, b], end)``.
        edges: the static edges ``(start, end)`` as added, ``START`` and ``END`` included, sorted;
            only for showing the graph. A join edge to ``END`` is here as one edge from each
            start (nothing waits at ``END``, so the run loop drops it).
    """

    name: str
    state_schema: Any
    fields: Mapping[str, StateField]
    input_keys: tuple[str, ...]
    output_keys: tuple[str, ...]
    schema_keys: tuple[str, ...]
    context_schema: Any
    nodes: Mapping[str, NodeSpec]
    triggers: Mapping[str, tuple[str, ...]]
    fixed_edges: Mapping[str, tuple[tuple[str, Any], ...]]
    branches: Mapping[str, tuple[Branch, ...]]
    join_edges: tuple[tuple[tuple[str, ...], str], ...]
    edges: tuple[tuple[str, str], ...]

    @classmethod
    def build(
        cls,
        *,
        name: str,
        state_schema: Any,
        fields: Mapping[str, StateField],
        nodes: Mapping[str, NodeSpec],
        edges: set[tuple[str, str]],
        input_keys: tuple[str, ...] | None = None,
        output_keys: tuple[str, ...] | None = None,
        context_schema: Any = None,
        join_edges: set[tuple[tuple[str, ...], str]],
        branches: list[Branch],
    ) -> GraphSpec:
        """Work out triggers and edge writes from a builder's parts (already validated)."""
        triggers: dict[str, tuple[str, ...]] = {START: (START,)}
        fixed: dict[str, list[tuple[str, Any]]] = {}
        for node in nodes:
            triggers[node] = (f"{BRANCH_PREFIX}{node}",)
        for start, end in sorted(edges):
            if end != END:
                fixed.setdefault(start, []).append((f"{BRANCH_PREFIX}{end}", None))
        joins = tuple(sorted((starts, end) for starts, end in join_edges if end != END))
        for starts, end in joins:
            channel = join_channel(starts, end)
            triggers[end] += (channel,)
            for start in starts:
                fixed.setdefault(start, []).append((channel, start))
        by_source: dict[str, list[Branch]] = {}
        for branch in branches:
            by_source.setdefault(branch.source, []).append(branch)
        return cls(
            name=name,
            state_schema=state_schema,
            fields=MappingProxyType(dict(fields)),
            input_keys=tuple(fields) if input_keys is None else input_keys,
            output_keys=tuple(fields) if output_keys is None else output_keys,
            schema_keys=tuple(state_fields(state_schema)),
            context_schema=context_schema,
            nodes=MappingProxyType(dict(nodes)),
            triggers=MappingProxyType(triggers),
            fixed_edges=MappingProxyType({k: tuple(v) for k, v in fixed.items()}),
            branches=MappingProxyType({k: tuple(v) for k, v in by_source.items()}),
            join_edges=joins,
            edges=tuple(sorted({*edges, *((s, END) for starts, e in join_edges if e == END for s in starts)})),
        )

    @property
    def deferred(self) -> frozenset[str]:
        """The nodes added with ``defer=True``."""
        return frozenset(name for name, node in self.nodes.items() if node.defer)

    @property
    def state_keys(self) -> tuple[str, ...]:
        return tuple(self.fields)

    def new_channels(self) -> dict[str, BaseChannel]:
        """Fresh channels: the state's, ``START``'s, one trigger per node, one barrier per join."""
        channels: dict[str, BaseChannel] = {k: f.new_channel() for k, f in self.fields.items()}
        channels[START] = EphemeralValue()
        for name, node in self.nodes.items():
            channels[f"{BRANCH_PREFIX}{name}"] = DeferredTrigger() if node.defer else EphemeralValue()
        for starts, end in self.join_edges:
            channels[join_channel(starts, end)] = NamedBarrierValue(starts)
        return channels

    def restored_channels(self, values: Mapping[str, Any]) -> dict[str, BaseChannel]:
        """Fresh channels holding a checkpoint's ``values`` (names the graph lacks are ignored)."""
        channels = self.new_channels()
        for name, value in values.items():
            if name in channels:
                channels[name].restore(value)
        return channels

    def state_values(self, channels: Mapping[str, BaseChannel]) -> dict[str, Any]:
        """The state keys that have a value, as a dict."""
        return {k: channels[k].value for k in self.fields if channels[k].is_available()}

    def node_state(self, node: NodeSpec, channels: Mapping[str, BaseChannel]) -> Any:
        """The state ``node`` is given: the state schema's keys, or its own input schema's."""
        values = self.state_values(channels)
        if node.input_keys is None:
            return self.schema_state(values)
        return build_state(node.input_schema, {k: v for k, v in values.items() if k in node.input_keys})

    def schema_state(self, values: Mapping[str, Any]) -> Any:
        """The state schema's keys of ``values`` as the state schema (what a node without an
        input schema of its own and a router are given: not the keys only other schemas have,
        as in LangGraph)."""
        return build_state(self.state_schema, {k: v for k, v in values.items() if k in self.schema_keys})

    def output(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """What ``invoke`` returns of the state ``values``: the output schema's keys."""
        return {k: v for k, v in values.items() if k in self.output_keys}

    def task_update(self, task: Task) -> dict[str, Any] | None:
        """What ``task`` wrote to state keys (``None`` if nothing): a ``stream_mode="updates"`` chunk."""
        update = {c: v for c, v in task.writes if c in self.fields}
        return update or None

    def keys_written(self, task: Task) -> list[str]:
        return sorted({c for c, _ in task.writes if c in self.fields})

    def update_writes(self, name: str, result: Any, *, dropped: list[str] | None = None) -> list[tuple[str, Any]]:
        """A node's return value as writes. Keys the state does not have are dropped and named
        in ``dropped`` when it is given (a node's return, as LangGraph drops them), else refused
        (an edit, a resume's update).

        Raises:
            InvalidUpdateError: ``result`` is not a dict (or dataclass / model), or (without
                ``dropped``) has keys the state does not have.
        """
        if result is None:
            return []
        if isinstance(result, list | tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in result):
            result = dict(result)  # Command(update=[(key, value), ...]), as LangGraph takes it
        try:
            update = state_to_dict(result)
        except TypeError:
            raise InvalidUpdateError(
                f"node {name!r} returned {type(result).__name__}; a node must return a dict of "
                "state keys to update, or None"
            ) from None
        unknown = [k for k in update if k not in self.fields]
        if unknown and dropped is not None:
            dropped += map(str, unknown)
            return [(k, v) for k, v in update.items() if k in self.fields]
        if unknown:
            raise InvalidUpdateError(
                f"node {name!r} returned key(s) {unknown} that are not in the state schema "
                f"{getattr(self.state_schema, '__name__', '')} (keys: {list(self.fields)})"
            )
        return list(update.items())

    async def run_task(
        self, task: Task, channels: Mapping[str, BaseChannel], context: RunContext, *, handling: Exception | None = None,
    ) -> list[tuple[str, Any]]:
        """Run one task and return its writes: state updates, then the edges it takes (a
        returned :class:`~engine.types.Command`'s ``goto`` first, then the static edges).

        ``handling``: the exception the node's last attempt raised; its ``error_handler`` runs
        instead, given the state and a :class:`~engine.errors.NodeError`, and only a returned
        ``Command``'s ``goto`` is followed, not the node's edges (as in LangGraph).

        Raises:
            GraphInterrupt: the node called ``interrupt()`` with no answer for it yet.
            UnknownNodeError: a ``goto`` or a router named a node the graph does not have.
        """
        goto: list[tuple[str, Any]] = []
        if task.name == START:
            update = state_to_dict(channels[START].value)
            writes = [(k, v) for k, v in update.items() if k in self.input_keys]
            return writes + await self.edge_writes(task.name, writes, channels, context)
        node = self.nodes[task.name]
        # A pushed task gets its Send's argument as its input, as in LangGraph.
        state = task.send["arg"] if task.send is not None else self.node_state(node, channels)
        # The node's routers run in its context too: an interrupt() there pauses the node's
        # task, which runs again (node and routers) on resume, as in LangGraph.
        token = CURRENT_TASK.set(TaskResume(task.id, task.resume, open_answer=task.open_answer))
        run_token = CURRENT_RUN.set(dataclasses.replace(
            context, task_id=task.id, node=task.name, answers=_answers(task), subgraphs=task.subgraphs,
        ))
        try:
            if handling is None:
                result = await call(node.fn, call_arguments(node.config_arg, node.injected, state, context))
            else:
                result = await call(node.error_handler, ((state,), {node.error_arg: NodeError(task.name, handling)}))
            if isinstance(result, Command):
                goto = [w for item in result.goto_nodes() for w in self._route(item, f"node {task.name!r} returned Command(goto={{!r}})")]
                result = result.update
            dropped: list[str] = []
            writes = self.update_writes(task.name, result, dropped=dropped)
            task.warnings = [f"node {task.name!r} returned key {k!r}, not in the state: dropped" for k in dropped]
            if handling is not None:
                task.warnings.insert(0, f"node {task.name!r} failed ({type(handling).__name__}: {str(handling)[:200]}); "
                                        "its error_handler ran instead")
                return writes + goto
            return writes + goto + await self.edge_writes(task.name, writes, channels, context)
        finally:
            CURRENT_RUN.reset(run_token)
            CURRENT_TASK.reset(token)

    async def edge_writes(
        self,
        node: str,
        writes: list[tuple[str, Any]],
        channels: Mapping[str, BaseChannel],
        context: RunContext,
    ) -> list[tuple[str, Any]]:
        """The trigger writes of ``node``'s edges; its routers see the state with ``writes`` applied.

        Raises:
            UnknownNodeError: a router returned something that is not a destination.
        """
        edges = list(self.fixed_edges.get(node, ()))
        branches = self.branches.get(node, ())
        if branches:
            fresh = {k: copy.copy(channels[k]) for k in self.fields}
            for key, value in writes:
                if key in fresh:
                    fresh[key].update([value])
            state = self.schema_state(self.state_values(fresh))
            for branch in branches:
                result = await call(branch.router, call_arguments(branch.config_arg, branch.injected, state, context))
                edges += self._destinations(branch, result)
        return edges

    def _destinations(self, branch: Branch, result: Any) -> list[tuple[str, Any]]:
        """A router's result as writes: a trigger per node, a ``TASKS`` write per ``Send``."""
        results = list(result) if isinstance(result, list | tuple) else [result]
        writes = []
        for item in results:
            if branch.path_map is not None and not isinstance(item, Send):
                if item not in branch.path_map:
                    raise UnknownRouteError(
                        f"the router of {branch.source!r} returned {item!r}, which is not one of "
                        f"its destinations {sorted(map(str, branch.path_map))}"
                    )
                item = branch.path_map[item]
            writes += self._route(item, f"the router of {branch.source!r} returned {{!r}}")
        return writes

    def _route(self, item: Any, said: str) -> list[tuple[str, Any]]:
        """One destination (a node name, ``END`` or a ``Send``) as writes; ``said`` words the
        error, ``{!r}`` standing for the destination.

        Raises:
            UnknownNodeError: it names no node of the graph.
        """
        if isinstance(item, Send):
            if item.node not in self.nodes:
                raise UnknownNodeError(f"{said.format(item)}: it sends to {item.node!r}, which is not a node (nodes: {sorted(self.nodes)})")
            return [(TASKS, {"node": item.node, "arg": item.arg})]
        if item == END:
            return []
        if not isinstance(item, str) or item not in self.nodes:
            raise UnknownNodeError(f"{said.format(item)}, which is not a node (nodes: {sorted(self.nodes)}, or END)")
        return [(f"{BRANCH_PREFIX}{item}", None)]
