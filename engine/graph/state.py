"""``StateGraph``: build a graph of nodes over a shared state, then compile it to run.

Same public shape as LangGraph's ``StateGraph``; :meth:`StateGraph.compile` validates the whole
graph and reports every problem at once. It refuses only what LangGraph refuses (unknown nodes,
reserved names, no entry point); what LangGraph runs but is likely a mistake (a node nothing
routes to, a loop with no way out) is a :class:`GraphWarning`.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Literal, get_args, get_origin

from engine.checkpoint.base import BaseCheckpointSaver
from engine.constants import END, RESERVED_CHARACTERS, START
from engine.errors import GraphValidationError
from engine.graph.compiled import CompiledStateGraph
from engine.pregel.nodes import (
    Branch,
    NodeSpec,
    command_destinations,
    config_argument,
    injected_arguments,
    return_hint,
)
from engine.pregel.runtime import Breakpoints
from engine.pregel.schema import StateField, state_fields
from engine.pregel.spec import GraphSpec
from engine.pregel.subgraph import subgraph_node
from engine.store.base import BaseStore
from engine.types import RetryPolicy


class GraphWarning(UserWarning):
    """``compile()`` found something LangGraph accepts that is likely a mistake."""


def _literal_destinations(router: Callable[..., Any]) -> list[str] | None:
    """Destinations declared by a ``-> Literal["a", "b"]`` return annotation, if any."""
    hint = return_hint(router)
    if get_origin(hint) is Literal:
        return [str(arg) for arg in get_args(hint)]
    return None


class StateGraph:
    """A graph whose nodes read and update one state of type ``state_schema``.

    ``state_schema`` is a TypedDict, a dataclass or a Pydantic model; a field annotated
    ``Annotated[T, reducer]`` folds writes with ``reducer(current, new)``, any other field keeps
    the last value written (and accepts one write per super-step).

    Raises:
        TypeError: ``state_schema`` is not a class with annotations.
        NotImplementedError: ``state_schema`` is a builtin type (``dict``, ``list``, ...), which
            LangGraph keeps as one root channel and retrace does not support yet.
    """

    def __init__(self, state_schema: Any, config_schema: Any = None, **options: Any) -> None:
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
        self.config_schema = config_schema
        self.fields: dict[str, StateField] = state_fields(state_schema)
        self.nodes: dict[str, NodeSpec] = {}
        self.edges: set[tuple[str, str]] = set()
        self.join_edges: set[tuple[tuple[str, ...], str]] = set()
        self.branches: list[Branch] = []
        self._problems: list[str] = []

    def add_node(
        self, node: str | Callable[..., Any], action: Callable[..., Any] | None = None, **options: Any
    ) -> StateGraph:
        """Add ``action`` as node ``node``, or ``add_node(fn)`` to name it after the function.

        The function takes the state (and optionally ``config``), may be sync or async, and
        returns a dict of state keys to update, or ``None``. Problems (a duplicate or reserved
        name, a function that is not callable) are reported by :meth:`compile`.

        ``action`` may be a compiled graph: a subgraph (see :mod:`engine.pregel.subgraph`).
        ``retry_policy``: a :class:`~engine.types.RetryPolicy` or a list of them (the first
        whose ``retry_on`` matches a failure applies), as in LangGraph; ``retry`` is its older
        name. Each attempt is recorded with the step.

        Raises:
            NotImplementedError: for LangGraph options retrace does not have yet (``cache_policy``, ...).
        """
        legacy = options.pop("retry", None)
        policies = options.pop("retry_policy", None) or legacy
        _refuse_unsupported("add_node()", options)
        if action is None:
            if not callable(node):
                raise TypeError(f"add_node({node!r}) needs a function as its second argument")
            action, node = node, getattr(node, "__name__", repr(node))
        name = str(node)
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
        elif isinstance(action, CompiledStateGraph):
            self.nodes[name] = NodeSpec(
                name, subgraph_node(action, tuple(self.fields)), None, _policies(name, policies), subgraph=action
            )
        else:
            self.nodes[name] = NodeSpec(
                name, action, config_argument(action), _policies(name, policies), injected_arguments(action)
            )
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

    def validate(self) -> list[str]:
        """Every problem with the graph as built, one sentence each (empty when valid)."""
        problems = list(self._problems)
        known = set(self.nodes)
        for key in self.fields:
            if key in (START, END) or any(ch in key for ch in RESERVED_CHARACTERS):
                problems.append(f"state key {key!r} is a reserved name or has a reserved character")
        for start, end in sorted(self.edges):
            if start == END:
                problems.append(f"edge {start!r} -> {end!r} starts at END; nothing runs after END")
            elif start != START and start not in known:
                problems.append(f"edge {start!r} -> {end!r} starts at unknown node {start!r}")
            if end == START:
                problems.append(f"edge {start!r} -> {end!r} ends at START; START cannot be a destination")
            elif end != END and end not in known:
                problems.append(f"edge {start!r} -> {end!r} ends at unknown node {end!r}")
        for starts, end in sorted(self.join_edges):
            for start in starts:
                if start not in known:
                    problems.append(f"join edge {list(starts)} -> {end!r} starts at unknown node {start!r}")
            if end != END and end not in known:
                problems.append(f"join edge {list(starts)} -> {end!r} ends at unknown node {end!r}")
        for branch in self.branches:
            if branch.source != START and branch.source not in known:
                problems.append(f"conditional edge starts at unknown node {branch.source!r}")
            for dest in branch.destinations() or []:
                if dest != END and dest not in known:
                    problems.append(
                        f"conditional edge from {branch.source!r} can route to unknown node {dest!r}"
                    )
        if not any(s == START for s, _ in self.edges) and not any(b.source == START for b in self.branches):
            problems.append("the graph has no entry point: add builder.add_edge(START, '<first node>')")
        for node in self.nodes.values():
            for dest in command_destinations(node.fn, list(self.nodes)) or []:
                if dest != END and dest not in known:
                    problems.append(f"node {node.name!r} is annotated to go to unknown node {dest!r}")
        return problems

    def warnings(self) -> list[str]:
        """What LangGraph accepts but is likely a mistake, one sentence each: a node nothing
        routes to, a loop with no way out. A node with no edge out is not one: the run ends
        there, as in LangGraph."""
        found = []
        successors = self.successors()
        reachable = _reach(START, successors)
        for name in self.nodes:
            if name not in reachable:
                found.append(
                    f"node {name!r} is not reachable from START: no edge leads to it (if a node "
                    "goes there with Command(goto=...), annotate it -> Command[Literal[...]])"
                )
        ends = {n for n in reachable if n != END and not successors.get(n)} | {END}
        stuck = sorted(n for n in reachable if n in self.nodes and not ends & _reach(n, successors))
        if stuck:
            found.append(
                f"node(s) {stuck} loop with no way out: every path from them comes back, so a run "
                "stops only at the recursion limit; add a conditional edge to END"
            )
        return found

    def successors(self) -> dict[str, set[str]]:
        """Where each node can go next; a branch with unknown destinations can go anywhere."""
        succ: dict[str, set[str]] = {}
        for start, end in self.edges:
            succ.setdefault(start, set()).add(end)
        for starts, end in self.join_edges:
            for start in starts:
                succ.setdefault(start, set()).add(end)
        for branch in self.branches:
            dests = branch.destinations()
            succ.setdefault(branch.source, set()).update(
                dests if dests is not None else [*self.nodes, END]
            )
        for node in self.nodes.values():
            if (dests := command_destinations(node.fn, list(self.nodes))) is not None:
                succ.setdefault(node.name, set()).update(dests)
        return succ

    def compile(
        self,
        checkpointer: Any = None,
        *,
        name: str | None = None,
        interrupt_before: Sequence[str] | str | None = None,
        interrupt_after: Sequence[str] | str | None = None,
        store: Any = None,
        **options: Any,
    ) -> CompiledStateGraph:
        """Validate and return a runnable :class:`~engine.graph.compiled.CompiledStateGraph`.

        ``interrupt_before`` / ``interrupt_after``: static breakpoints, node names or ``"*"``
        (see :class:`~engine.pregel.runtime.Breakpoints`), as in LangGraph. ``store``: a
        :class:`~engine.store.base.BaseStore` that nodes declaring a ``store`` parameter (or one
        annotated ``BaseStore``) receive, and :func:`engine.config.get_store` returns.

        ``checkpointer``: a saver, or for a subgraph ``True`` (its state carries over between
        calls) / ``False`` (nothing saved), as in LangGraph.

        Raises:
            GraphValidationError: listing every problem found by :meth:`validate`, and
                breakpoints on nodes the graph does not have.
            TypeError: ``checkpointer`` or ``store`` is not one (as LangGraph, which also
                refuses ``SqliteSaver.from_conn_string(path)`` not yet opened with ``with``).

        Warns:
            GraphWarning: one per finding of :meth:`warnings` (the graph still compiles).
            NotImplementedError: for LangGraph options retrace does not have yet (``cache``,
                ...): silently ignoring one would change what the graph does.
        """
        _refuse_unsupported("compile()", options)
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
            nodes=self.nodes,
            edges=self.edges,
            join_edges=self.join_edges,
            branches=self.branches,
        )
        caller = sys._getframe(1).f_globals.get("__name__")
        return CompiledStateGraph(
            spec, checkpointer=checkpointer, module=caller, breakpoints=breakpoints, store=store
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


def _reach(start: str, successors: dict[str, set[str]]) -> set[str]:
    seen, stack = {start}, [start]
    while stack:
        for nxt in successors.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen
