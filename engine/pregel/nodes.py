"""What a graph is made of, as plain frozen data: nodes, conditional edges, and how they are called.

Shared by the builder (:mod:`engine.graph.state`) and the compiled description the run loop
reads (:mod:`engine.pregel.spec`), so neither imports the other.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin

from engine.constants import END
from engine.types import CachePolicy, Command, RetryPolicy, Runtime


@dataclass(frozen=True)
class RunContext:
    """What a node or router may ask for besides the state, and where it runs.

    Attributes:
        config: the run's config; ``writer``: sends ``stream_mode="custom"`` chunks;
        store: the graph's store (None if it has none).
        saver, thread_id, namespace, checkpoint_id, parents: the checkpointer, the thread, the
            checkpoint namespace of the running graph (``""`` at the root) and the checkpoint
            its step started from, and its ancestors' ``{namespace: checkpoint_id}``; a
            subgraph run inside the task saves under the namespace ``node:task_id`` below.
        task_id, node, answers: the running task, and the resume answers it was given for
            the interrupts it recorded (``{interrupt_id: value}``), which a subgraph it runs
            takes up.
        events: the running graph's :class:`~engine.pregel.stream.EventStream` (a subgraph
            forwards its events there for ``subgraphs=True``).
        durability: the run's durability mode (a subgraph runs with the same).
        context: the run's ``context`` (``invoke(..., context=...)``), which nodes get as
            ``runtime.context``; a subgraph run inside gets the same.
        subgraphs: the running task's list of the namespaces its subgraph runs saved under (a
            subgraph appends its own when it starts), for the step's metadata.
    """

    config: Any
    writer: Callable[[Any], None]
    store: Any = None
    saver: Any = None
    thread_id: str | None = None
    namespace: str = ""
    checkpoint_id: str = ""
    parents: Mapping[str, str] = field(default_factory=dict)
    task_id: str = ""
    node: str = ""
    answers: Mapping[str, Any] = field(default_factory=dict)
    events: Any = None
    durability: str = "sync"
    subgraphs: list[str] | None = None
    context: Any = None

    def child_namespace(self, persistent: bool = False) -> str:
        """The namespace of a subgraph run by the running task: ``node:task_id``, below this
        graph's (levels joined by ``|``), as LangGraph names them; ``node`` alone for a
        subgraph compiled with ``checkpointer=True`` (its state carries over between calls)."""
        own = self.node if persistent else f"{self.node}:{self.task_id}"
        return f"{self.namespace}|{own}" if self.namespace else own


@dataclass(frozen=True)
class NodeSpec:
    """A node: its name, its function, how the function takes ``config`` (see
    :func:`config_argument`), the other run values it asks for (:func:`injected_arguments`),
    and its retry policies (the first that matches an exception applies; none: a failure is
    final)."""

    name: str
    fn: Callable[..., Any]
    config_arg: str | None
    retry_policy: tuple[RetryPolicy, ...] = ()
    injected: tuple[str, ...] = ()
    subgraph: Any = None
    """The compiled graph this node runs, when a compiled graph was added as the node."""
    input_schema: Any = None
    """The schema the node's state is built from, when it is not the graph's state schema
    (``add_node(..., input_schema=...)`` or the annotation of its first parameter)."""
    input_keys: tuple[str, ...] | None = None
    """The keys of ``input_schema`` (None: the whole state)."""
    destinations: tuple[str, ...] | None = None
    """Where the node can go with ``Command(goto=...)``, as ``add_node(destinations=...)``
    declares it (None: from its ``-> Command[Literal[...]]`` annotation, if any)."""
    metadata: Mapping[str, Any] | None = None
    """``add_node(metadata=...)``: kept for the caller, unused by the engine (as in LangGraph)."""
    defer: bool = False
    """``add_node(defer=True)``: the node runs only when no other task is left to run."""
    timeout_s: float | None = None
    """``add_node(timeout=...)``: how long one attempt of the (async) node may run, in seconds."""
    error_handler: Callable[..., Any] | None = None
    """``add_node(error_handler=...)``: run in the node's place when its last attempt fails."""
    error_arg: str = "error"
    """The handler's parameter that takes the :class:`~engine.errors.NodeError`."""
    cache_policy: CachePolicy | None = None
    """``add_node(cache_policy=...)``: reuse its writes for an input seen before (with a cache)."""


@dataclass(frozen=True)
class Branch:
    """A conditional edge: ``router(state)`` names where to go, through ``path_map`` if given."""

    source: str
    router: Callable[..., Any]
    path_map: dict[Hashable, str] | None
    config_arg: str | None
    injected: tuple[str, ...] = ()

    def destinations(self) -> list[str] | None:
        """Every node the branch can route to, or ``None`` when that cannot be known."""
        return sorted(set(self.path_map.values())) if self.path_map is not None else None


def _annotation_name(param: inspect.Parameter) -> str:
    annotation = param.annotation
    if isinstance(annotation, str):
        return annotation.rsplit(".", 1)[-1]
    return getattr(annotation, "__name__", "") or ""


def _store_slot(param: inspect.Parameter) -> bool:
    """A positional parameter that takes the store: named ``store`` or annotated ``BaseStore``."""
    return param.name == "store" or _annotation_name(param) in ("BaseStore", "Optional[BaseStore]")


def config_argument(fn: Callable[..., Any]) -> str | None:
    """How ``fn`` takes the run's config: ``"keyword"`` (a parameter named ``config``),
    ``"positional"`` (a second required positional parameter that is not the writer or the
    store, see :func:`injected_arguments`) or ``None`` (it does not)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.name == "config" and p.kind is not p.POSITIONAL_ONLY for p in params):
        return "keyword"
    # A second positional parameter with a default (``lambda s, name=name: ...``, the usual way
    # to bind a loop variable) is not a config slot: only a required one counts.
    positional = [
        p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    second = positional[1] if len(positional) >= 2 else None
    taken = second is not None and (second.name in ("writer", "runtime") or _store_slot(second))
    return "positional" if second is not None and not taken else None


def injected_arguments(fn: Callable[..., Any]) -> tuple[str, ...]:
    """The run values besides ``config`` that ``fn`` asks for, as LangGraph passes them: a
    parameter named ``writer`` (the ``StreamWriter``), ``runtime`` (a
    :class:`~engine.runtime.Runtime`) or ``store`` (the graph's store; also a parameter
    annotated ``BaseStore``, whatever its name), given by keyword."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return ()
    names = []
    for p in params[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            continue
        if p.name in ("writer", "runtime"):
            names.append(p.name)
        elif _store_slot(p):
            names.append(f"store={p.name}")
    return tuple(names)


def call_arguments(
    config_arg: str | None, injected: tuple[str, ...], state: Any, context: RunContext
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The positional and keyword arguments of a node or router call."""
    kwargs: dict[str, Any] = {}
    for item in injected:
        if item == "writer":
            kwargs["writer"] = context.writer
        elif item == "runtime":
            kwargs["runtime"] = Runtime(context=context.context, store=context.store, stream_writer=context.writer)
        elif item.startswith("store="):
            kwargs[item.removeprefix("store=")] = context.store
    if config_arg == "keyword":
        return (state,), {"config": context.config, **kwargs}
    if config_arg == "positional":
        return (state, context.config), kwargs
    return (state,), kwargs


def return_hint(fn: Callable[..., Any]) -> Any:
    """``fn``'s return annotation, resolved (None when it has none or it cannot be resolved)."""
    try:
        return typing.get_type_hints(fn).get("return")
    except Exception:
        return None


def node_destinations(node: NodeSpec, nodes: Sequence[str]) -> list[str] | None:
    """Where ``node`` can go with ``goto``: its declared ``destinations``, else what its return
    annotation says (:func:`command_destinations`)."""
    if node.destinations is not None:
        return list(node.destinations)
    return command_destinations(node.fn, nodes)


def command_destinations(fn: Callable[..., Any], nodes: Sequence[str]) -> list[str] | None:
    """Where a node annotated ``-> Command[Literal["a", "b"]]`` can go with ``goto`` (a bare
    ``-> Command`` can go to any of ``nodes``); None when the node does not declare Command."""
    hint = return_hint(fn)
    if hint is Command:
        return [*nodes, END]
    if get_origin(hint) is Command:
        args = get_args(hint)
        if args and get_origin(args[0]) is Literal:
            return [str(a) for a in get_args(args[0])]
        return [*nodes, END]
    return None
