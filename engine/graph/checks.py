"""What :meth:`StateGraph.compile` checks (a mixin of :class:`~engine.graph.state.StateGraph`):
the problems LangGraph refuses too, and the warnings for what it runs but is likely a mistake."""

from __future__ import annotations

from typing import Any

from engine.constants import END, RESERVED_CHARACTERS, START
from engine.pregel.nodes import node_destinations


class GraphChecks:
    """``validate()``, ``warnings()`` and ``successors()`` over a builder's ``nodes``, ``fields``,
    ``edges``, ``join_edges``, ``branches`` and the ``_problems`` found while it was built."""

    nodes: dict[str, Any]
    fields: dict[str, Any]
    edges: set[tuple[str, str]]
    join_edges: set[tuple[tuple[str, ...], str]]
    branches: list[Any]
    _problems: list[str]

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
            for dest in node_destinations(node, list(self.nodes)) or []:
                if dest != END and dest not in known:
                    problems.append(f"node {node.name!r} is declared to go to unknown node {dest!r}")
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
            if (dests := node_destinations(node, list(self.nodes))) is not None:
                succ.setdefault(node.name, set()).update(dests)
        return succ


def _reach(start: str, successors: dict[str, set[str]]) -> set[str]:
    seen, stack = {start}, [start]
    while stack:
        for nxt in successors.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen
