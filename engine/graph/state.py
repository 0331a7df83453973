"""``StateGraph``: build a graph of nodes over a shared state, then compile it to run.

Same public shape as LangGraph's ``StateGraph``; :meth:`StateGraph.compile` validates the whole
graph and reports every problem at once. It refuses only what LangGraph refuses (unknown nodes,
reserved names, no entry point); what LangGraph runs but is likely a mistake (a node nothing
routes to, a loop with no way out) is a :class:`GraphWarning`.
"""

from __future__ import annotations

import inspect
import sys
import warnings
from collections.abc import Callable, Hashable, Sequence
from datetime import timedelta
from typing import Any, Literal, get_args, get_origin

from engine.cache import BaseCache
from engine.checkpoint.base import BaseCheckpointSaver
from engine.constants import END, RESERVED_CHARACTERS, START
from engine.errors import GraphValidationError
from engine.graph.checks import GraphChecks
from engine.graph.compiled import CompiledStateGraph
from engine.pregel.nodes import (
    Branch,
    NodeSpec,
    config_argument,
    injected_arguments,
    return_hint,
)
from engine.pregel.runtime import Breakpoints
from engine.pregel.schema import StateField, input_schema_of, state_fields
from engine.pregel.spec import GraphSpec
from engine.pregel.subgraph import subgraph_node
from engine.store.base import BaseStore
from engine.types import CachePolicy, RetryPolicy, TimeoutPolicy


class GraphWarning(UserWarning):
    """``compile()`` found something LangGraph accepts that is likely a mistake."""


def _literal_destinations(router: Callable[..., Any]) -> list[str] | None:
    """Destinations declared by a ``-> Literal["a", "b"]`` return annotation, if any."""
    hint = return_hint(router)
    if get_origin(hint) is Literal:
        return [str(arg) for arg in get_args(hint)]
    return None


class StateGraph(GraphChecks):
    """A graph whose nodes read and update one state of type ``state_schema``.

    ``state_schema`` is a TypedDict, a dataclass or a Pydantic model; a field annotated
    ``Annotated[T, reducer]`` folds writes with ``reducer(current, new)``, any other field keeps
    the last value written (and accepts one write per super-step).

    As in LangGraph: ``input_schema`` limits what a run's input may set (other keys are
    ignored), ``output_schema`` what ``invoke`` returns (the state, its stream and the
    checkpoints keep every key), ``context_schema`` is the type of ``invoke(..., context=...)``
    (a dict given is made into it when it is a dataclass or Pydantic model), which nodes
    receive as ``runtime.context``. Their keys, and those of every node's input schema, are
    the graph's channels. ``config_schema``, ``input`` and ``output`` are LangGraph's older
    names, accepted with a ``DeprecationWarning``.

    Raises:
        TypeError: ``state_schema`` is not a class with annotations.
        NotImplementedError: ``state_schema`` is a builtin type (``dict``, ``list``, ...), which
            LangGraph keeps as one root channel and retrace does not support yet.
    """

    def __init__(
        self, state_schema: Any, context_schema: Any = None, *, input_schema: Any = None,
        output_schema: Any = None, **options: Any,
    ) -> None:
        for old, new in (("config_schema", "context_schema"), ("input", "input_schema"), ("output", "output_schema")):
            if options.get(old) is not None:
                warnings.warn(f"StateGraph({old}=...) is deprecated: use {new}=...", DeprecationWarning, stacklevel=2)
        context_schema = context_schema or options.pop("config_schema", None)
        input_schema = input_schema or options.pop("input", None)
        output_schema = output_schema or options.pop("output", None)
        _refuse_unsupported("StateGraph()", options)
        if getattr(state_schema, "__module__", None) == "builtins":
            # LangGraph keeps such a state in one root channel; silently running it as a state
            # without keys would drop every write.
            raise NotImplementedError(
                f"StateGraph({getattr(state_schema, '__name__', state_schema)}): a state that is one "
                "plain value (LangGraph's root channel) is not supported yet; declare its keys with a "
                "TypedDict, a dataclass or a Pydantic model"
            )
        self.state_schema = state_schema
        self.context_schema = context_schema
        self.input_schema = input_schema or state_schema
        self.output_schema = output_schema or state_schema
        self.fields: dict[str, StateField] = state_fields(state_schema)
        for schema in (input_schema, output_schema):
            self._add_schema(schema)
        self.nodes: dict[str, NodeSpec] = {}
        self.edges: set[tuple[str, str]] = set()
        self.join_edges: set[tuple[tuple[str, ...], str]] = set()
        self.branches: list[Branch] = []
        self._problems: list[str] = []

    def _add_schema(self, schema: Any) -> None:
        """Add ``schema``'s keys that the state lacks as channels (a key the state has keeps
        the state's type and reducer)."""
        if schema is not None and schema is not self.state_schema:
            for name, found in state_fields(schema).items():
                self.fields.setdefault(name, found)

    def add_node(
        self, node: str | Callable[..., Any], action: Callable[..., Any] | None = None, **options: Any
    ) -> StateGraph:
        """Add ``action`` as node ``node``, or ``add_node(fn)`` to name it after the function.

        The function takes the state (and optionally ``config``), may be sync or async, and
        returns a dict of state keys to update, or ``None``. Problems (a duplicate or reserved
        name, a function that is not callable) are reported by :meth:`compile`.

        ``action`` may be a compiled graph: a subgraph (see :mod:`engine.pregel.subgraph`).
        ``input_schema`` (default: the annotation of the function's first parameter, when it is
        a TypedDict, dataclass or Pydantic model, as LangGraph infers it): the node is given
        only those keys, and those the state lacks become channels (LangGraph's private state
        between nodes). ``destinations`` (a tuple of node names, or a dict whose keys are
        they): where the node goes with ``Command(goto=...)``, for validation and the graph
        view, as LangGraph uses it; ``metadata`` is kept on the node. ``defer=True``: the node
        runs only when nothing else is left to run (once, however many edges led to it), as in
        LangGraph. ``trace_policy`` (LangGraph's tracing) is accepted and has no effect.
        ``error_handler``: a function run in the node's place when its last attempt fails (after
        its retry policy), given the state and, in a parameter annotated ``NodeError`` (or named
        ``error``), an :class:`~engine.errors.NodeError`; its update is applied and only its
        ``Command(goto=...)`` is followed, not the node's edges, as in LangGraph. The step
        records a warning that says the node failed.
        ``timeout`` (seconds, a ``timedelta`` or ``TimeoutPolicy(run_timeout=...)``): an
        attempt of the (async) node running longer is cancelled and fails with
        ``NodeTimeoutError``, which its retry policy may retry.
        ``retry_policy``: a :class:`~engine.types.RetryPolicy` or a list of them (the first
        whose ``retry_on`` matches a failure applies), as in LangGraph; ``retry`` is its older
        name. Each attempt is recorded with the step.

        Raises:
            NotImplementedError: for LangGraph options retrace does not have yet (``cache_policy``, ...).
            ValueError: ``timeout`` on a sync node (it cannot be cancelled; as LangGraph), or
                not a positive number of seconds.
        """
        node_schema = options.pop("input_schema", None)
        destinations = options.pop("destinations", None)
        defer = bool(options.pop("defer", False))
        timeout = options.pop("timeout", None)
        cache_policy = options.pop("cache_policy", None)
        error_handler = options.pop("error_handler", None)
        if cache_policy is not None and not isinstance(cache_policy, CachePolicy):
            raise TypeError(f"add_node(cache_policy=...) takes a CachePolicy, not {type(cache_policy).__name__}")
        options.pop("trace_policy", None)  # how LangGraph traces the node: no effect on the run
        metadata = options.pop("metadata", None)
        legacy = options.pop("retry", None)
        policies = options.pop("retry_policy", None) or legacy
        _refuse_unsupported("add_node()", options)
        if action is None:
            if not callable(node):
                raise TypeError(f"add_node({node!r}) needs a function as its second argument")
            action, node = node, getattr(node, "__name__", repr(node))
        name = str(node)
        timeout_s = _timeout_seconds(name, action, timeout)
        if name in self.nodes:
            self._problems.append(f"node {name!r} is added more than once; node names must be unique")
        elif name in (START, END):
            self._problems.append(f"node name {name!r} is reserved")
        elif not callable(action) and not isinstance(action, CompiledStateGraph):
            self._problems.append(f"node {name!r} is {action!r}, which is not a function")
        elif any(ch in name for ch in RESERVED_CHARACTERS):
            self._problems.append(
                f"node name {name!r} contains a reserved character ({' '.join(RESERVED_CHARACTERS)})"
            )
        else:
            options_of = {
                "destinations": None if destinations is None else tuple(destinations),
                "metadata": metadata, "defer": defer, "timeout_s": timeout_s, "cache_policy": cache_policy,
                "error_handler": error_handler, "error_arg": _error_argument(name, error_handler),
            }
            if isinstance(action, CompiledStateGraph):
                spec = NodeSpec(name, subgraph_node(action, self.fields), None, _policies(name, policies),
                                subgraph=action, **options_of)
            else:
                schema = node_schema or input_schema_of(action)
                schema = None if schema is self.state_schema else schema
                self._add_schema(schema)
                spec = NodeSpec(
                    name, action, config_argument(action), _policies(name, policies), injected_arguments(action),
                    input_schema=schema, input_keys=None if schema is None else tuple(state_fields(schema)),
                    **options_of,
                )
            self.nodes[name] = spec
        return self

    def add_sequence(self, nodes: Sequence[Callable[..., Any] | tuple[str, Callable[..., Any]]]) -> StateGraph:
        """Add ``nodes`` (functions, named after themselves, or ``(name, function)`` pairs) with an
        edge from each to the next, as LangGraph's ``add_sequence``; the first still needs an
        edge to it (``add_edge(START, ...)``).

        Raises:
            ValueError: ``nodes`` is empty, or names a node twice (or one the graph has).
        """
        if not nodes:
            raise ValueError("add_sequence() needs at least one node")
        previous: str | None = None
        for item in nodes:
            name, action = item if isinstance(item, tuple) else (getattr(item, "__name__", repr(item)), item)
            if name in self.nodes:
                raise ValueError(
                    f"add_sequence(): node {name!r} already exists; give two functions of one name "
                    "(a lambda, say) names of their own as (name, function) pairs"
                )
            self.add_node(name, action)
            if previous is not None:
                self.add_edge(previous, name)
            previous = name
        return self

    def add_edge(self, start_key: str | Sequence[str], end_key: str) -> StateGraph:
        """Run ``end_key`` after ``start_key``; with a list of starts, after all of them (a join)."""
        if isinstance(start_key, str):
            self.edges.add((start_key, end_key))
        else:
            starts = tuple(sorted(set(start_key)))
            if len(starts) == 1:
                self.edges.add((starts[0], end_key))
            else:
                self.join_edges.add((starts, end_key))
        return self

    def add_conditional_edges(
        self,
        source: str,
        path: Callable[..., Any],
        path_map: dict[Hashable, str] | Sequence[str] | None = None,
    ) -> StateGraph:
        """After ``source``, call ``path(state)`` and go to the node(s) it names.

        ``path`` returns a node name, ``END`` or a list of them; with ``path_map`` (a dict) its
        result is looked up there first; a list ``path_map`` names the possible destinations.
        Without either, a ``-> Literal[...]`` return annotation gives the destinations.
        """
        if path_map is None:
            literal = _literal_destinations(path)
            mapping = {d: d for d in literal} if literal is not None else None
        elif isinstance(path_map, dict):
            mapping = dict(path_map)
        else:
            mapping = {d: d for d in path_map}
        self.branches.append(Branch(source, path, mapping, config_argument(path), injected_arguments(path)))
        return self

    def set_entry_point(self, key: str) -> StateGraph:
        return self.add_edge(START, key)

    def set_conditional_entry_point(self, path: Callable[..., Any], path_map: Any = None) -> StateGraph:
        return self.add_conditional_edges(START, path, path_map)

    def set_finish_point(self, key: str) -> StateGraph:
        return self.add_edge(key, END)

    def compile(
        self,
        checkpointer: Any = None,
        *,
        name: str | None = None,
        interrupt_before: Sequence[str] | str | None = None,
        interrupt_after: Sequence[str] | str | None = None,
        store: Any = None,
        cache: Any = None,
        **options: Any,
    ) -> CompiledStateGraph:
        """Validate and return a runnable :class:`~engine.graph.compiled.CompiledStateGraph`.

        ``interrupt_before`` / ``interrupt_after``: static breakpoints, node names or ``"*"``
        (see :class:`~engine.pregel.runtime.Breakpoints`), as in LangGraph. ``store``: a
        :class:`~engine.store.base.BaseStore` that nodes declaring a ``store`` parameter (or one
        annotated ``BaseStore``) receive, and :func:`engine.config.get_store` returns.

        ``checkpointer``: a saver, or for a subgraph ``True`` (its state carries over between
        calls) / ``False`` (nothing saved), as in LangGraph. ``cache``: an
        :class:`~engine.cache.BaseCache` (``InMemoryCache()``) for the nodes added with a
        ``cache_policy``; without one, their policies are unused (as in LangGraph).

        Raises:
            GraphValidationError: listing every problem found by :meth:`validate`, and
                breakpoints on nodes the graph does not have.
            TypeError: ``checkpointer``, ``store`` or ``cache`` is not one (as LangGraph, which also
                refuses ``SqliteSaver.from_conn_string(path)`` not yet opened with ``with``).

        Warns:
            GraphWarning: one per finding of :meth:`warnings` (the graph still compiles).
            NotImplementedError: for LangGraph options retrace does not have yet (``cache``,
                ...): silently ignoring one would change what the graph does.
        """
        _refuse_unsupported("compile()", options)
        if cache is not None and not isinstance(cache, BaseCache):
            raise TypeError(f"compile(cache=...) takes a cache (engine.cache.memory.InMemoryCache), not {type(cache).__name__}")
        if not (checkpointer is None or isinstance(checkpointer, (bool, BaseCheckpointSaver))):
            hint = (
                " (a context manager: open it first, `with SqliteSaver.from_conn_string(path) as saver:`)"
                if hasattr(checkpointer, "__enter__") or hasattr(checkpointer, "__aenter__") else ""
            )
            raise TypeError(
                f"compile(checkpointer=...) takes a saver (InMemorySaver, SqliteSaver, AsyncSqliteSaver), "
                f"True or False (for a subgraph) or None, not {type(checkpointer).__name__}{hint}"
            )
        if store is not None and not isinstance(store, BaseStore):
            raise TypeError(
                f"compile(store=...) takes a store (engine.store.InMemoryStore, "
                f"engine.store.sqlite.AsyncSqliteStore, ...), not {type(store).__name__}"
            )
        breakpoints = Breakpoints.of(interrupt_before, interrupt_after)
        problems = self.validate()
        problems += [f"breakpoint on {n!r}, which is not a node" for n in breakpoints.unknown(self.nodes)]
        if problems:
            raise GraphValidationError(problems)
        for warning in self.warnings():
            warnings.warn(warning, GraphWarning, stacklevel=2)
        spec = GraphSpec.build(
            name=name or "LangGraph",
            state_schema=self.state_schema,
            fields=self.fields,
            input_keys=tuple(state_fields(self.input_schema)),
            output_keys=tuple(state_fields(self.output_schema)),
            context_schema=self.context_schema,
            nodes=self.nodes,
            edges=self.edges,
            join_edges=self.join_edges,
            branches=self.branches,
        )
        caller = sys._getframe(1).f_globals.get("__name__")
        return CompiledStateGraph(
            spec, checkpointer=checkpointer, module=caller, breakpoints=breakpoints, store=store, cache=cache
        )


def _policies(node: str, given: Any) -> tuple[RetryPolicy, ...]:
    if given is None:
        return ()
    policies = (given,) if isinstance(given, RetryPolicy) else tuple(given)
    for policy in policies:
        if not isinstance(policy, RetryPolicy):
            raise TypeError(f"node {node!r}: retry_policy takes RetryPolicy objects, not {type(policy).__name__}")
        if policy.max_attempts < 1:
            raise ValueError(f"node {node!r}: RetryPolicy.max_attempts must be at least 1, not {policy.max_attempts}")
    return policies


def _refuse_unsupported(where: str, options: dict[str, Any]) -> None:
    given = sorted(k for k, v in options.items() if v is not None and v is not False)
    if given:
        raise NotImplementedError(
            f"{where} got option(s) {given} that retrace does not support yet; remove them "
            "(retrace runs LangGraph's core API: nodes, edges, reducers, checkpointers)"
        )


def _timeout_seconds(node: Any, action: Any, given: Any) -> float | None:
    """``add_node(timeout=...)`` in seconds: a number, a ``timedelta`` or a
    :class:`~engine.types.TimeoutPolicy`'s ``run_timeout`` (its ``idle_timeout`` is refused)."""
    if given is None:
        return None
    if isinstance(given, TimeoutPolicy):
        if given.idle_timeout is not None:
            raise NotImplementedError(
                f"node {node!r}: TimeoutPolicy(idle_timeout=...) is not supported yet; use run_timeout"
            )
        given = given.run_timeout
        if given is None:
            return None
    seconds = given.total_seconds() if isinstance(given, timedelta) else given
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
        raise ValueError(f"node {node!r}: timeout must be a positive number of seconds or a timedelta, not {given!r}")
    fn = action if inspect.isroutine(action) else getattr(action, "__call__", action)
    if not inspect.iscoroutinefunction(fn) and not isinstance(action, CompiledStateGraph):
        raise ValueError(
            f"node {node!r}: a timeout needs an async node (async def): a sync node cannot be "
            "cancelled while it runs (as in LangGraph)"
        )
    return float(seconds)


def _error_argument(node: str, handler: Any) -> str:
    """The parameter of ``error_handler`` that takes the :class:`~engine.errors.NodeError`: the
    one annotated ``NodeError``, else one named ``error``.

    Raises:
        TypeError: ``handler`` is not callable, or has no such parameter.
    """
    if handler is None:
        return "error"
    if not callable(handler):
        raise TypeError(f"node {node!r}: error_handler must be a function, not {type(handler).__name__}")
    try:
        params = list(inspect.signature(handler).parameters.values())[1:]
    except (TypeError, ValueError):
        params = []
    for param in params:
        annotation = param.annotation
        named = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
        if named.rsplit(".", 1)[-1] == "NodeError":
            return param.name
    if any(p.name == "error" for p in params):
        return "error"
    raise TypeError(
        f"node {node!r}: error_handler needs a parameter for the failure after the state, annotated "
        "NodeError (from engine.errors import NodeError) or named error"
    )
