"""Which tasks may run in the same super-step, worked out from a graph's topology.

The super-steps a run can take are explored from ``START``, as the run loop takes them: every
task of a step triggers its static edges; a router picks one of its destinations, or several at
once when it can return a list or ``Send``s (its return annotation, or its source, says so); a
``Command(goto=...)`` node may go to any of its declared destinations; a join edge fires once
all its sources have run (in any steps); a deferred node waits until nothing else runs; a
``Send`` target may run as several tasks at once. Each pair found comes with the path that makes
it possible. Exploring stops after :data:`MAX_STATES` distinct steps (then ``complete`` is False).
"""

from __future__ import annotations

import ast
import itertools
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, get_args, get_origin

from engine.constants import END, START
from engine.lint.writes import _function_node
from engine.pregel.nodes import Branch, node_destinations, return_hint
from engine.pregel.spec import GraphSpec

__all__ = ["MAX_STATES", "Concurrency", "concurrency", "router_picks"]

MAX_STATES = 5000


@dataclass
class Concurrency:
    """``pairs``: ``(a, b)`` with ``a <= b`` -> why they may run in one super-step (``a == b``:
    several tasks of one node may); ``complete``: every reachable step was explored."""

    pairs: dict[tuple[str, str], str] = field(default_factory=dict)
    complete: bool = True

    def together(self, a: str, b: str) -> str | None:
        return self.pairs.get((min(a, b), max(a, b)))


@dataclass(frozen=True)
class _Step:
    tasks: frozenset[str]
    multi: frozenset[str]
    joins: frozenset[tuple[int, frozenset[str]]]
    deferred: frozenset[str]


def router_picks(branch: Branch) -> tuple[bool, bool]:
    """``(several, sends)``: whether the router can pick several destinations at once, and
    whether it sends (``Send``), from its return annotation, else its source."""
    hint = return_hint(branch.router)
    if hint is not None:
        text = repr(hint)
        several = _is_sequence(hint) or "Send" in text
        return several, "Send" in text
    node = _function_node(branch.router)
    if node is None:
        return False, False
    returns = [n.value for n in ast.walk(node) if isinstance(n, ast.Return) and n.value is not None]
    if isinstance(node, ast.Lambda):
        returns = [node.body]
    several = any(isinstance(r, ast.List | ast.Tuple | ast.ListComp | ast.GeneratorExp | ast.BoolOp) for r in returns)
    sends = any(isinstance(c, ast.Call) and getattr(c.func, "id", getattr(c.func, "attr", "")) == "Send"
                for r in returns for c in ast.walk(r))
    return several or sends, sends


def _is_sequence(hint: Any) -> bool:
    origin = get_origin(hint)
    if origin in (list, tuple, set, frozenset) or hint in (list, tuple):
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_is_sequence(a) for a in get_args(hint))
    return getattr(origin, "__name__", "") in ("Sequence", "Iterable", "list")


def concurrency(spec: GraphSpec, observed: Iterable[tuple[str, str, str]] = ()) -> Concurrency:
    """The pairs of nodes (and nodes with themselves) that may run in one super-step of
    ``spec``; ``observed``: ``(a, b, where)`` pairs seen together in recorded runs, added as
    they are."""
    result = Concurrency()
    nodes = list(spec.nodes)
    joins = list(spec.join_edges)
    start = _Step(frozenset({START}), frozenset(), frozenset(), frozenset())  # the input step
    seen = {start: "START"}
    queue = [start]
    while queue:
        step = queue.pop(0)
        for nxt, reasons in _next_steps(spec, nodes, joins, step):
            if nxt in seen:
                continue
            if len(seen) >= MAX_STATES:
                result.complete = False
                queue = []
                break
            shown = ", ".join(sorted(nxt.tasks))
            seen[nxt] = f"{seen[step]} → {{{shown}}}" if len(nxt.tasks) > 1 else f"{seen[step]} → {shown}"
            queue.append(nxt)
            _explain(result, nxt, reasons, seen[nxt])
    for a, b, where in observed:
        result.pairs.setdefault((min(a, b), max(a, b)), where)
    return result


def _explain(result: Concurrency, step: _Step, reasons: dict[str, str], path: str) -> None:
    for a, b in itertools.combinations(sorted(step.tasks), 2):
        why_a, why_b = reasons.get(a, "triggered"), reasons.get(b, "triggered")
        if why_a == why_b and why_a.startswith("an edge from "):
            why = f"both are triggered by {why_a.removeprefix('an edge from ')}"
        else:
            why = f"{a}: {why_a}; {b}: {why_b}"
        result.pairs.setdefault((a, b), f"{why} ({path})")
    for name in step.multi:
        sender = reasons.get(name, "Sends").removeprefix("Sends from ")
        result.pairs.setdefault((name, name), f"Sends from {sender} fan out to {name}, several tasks at once ({path})")


def _next_steps(
    spec: GraphSpec, nodes: list[str], joins: list[tuple[tuple[str, ...], str]], step: _Step
) -> list[tuple[_Step, dict[str, str]]]:
    """Every step that may follow ``step``, each with why each of its tasks runs."""
    per_task = [_emissions(spec, nodes, task) for task in sorted(step.tasks)]
    found = []
    for combo in itertools.islice(itertools.product(*per_task), 2000):
        targets: dict[str, str] = {}
        sends: dict[str, int] = {}
        for emitted, sent in combo:
            for target, why in emitted.items():
                targets.setdefault(target, why)
            for target, why in sent.items():
                sends[target] = sends.get(target, 0) + 2  # a list of Sends may hold several
                targets.setdefault(target, why)
        partial = dict(step.joins)
        ran = set(step.tasks)
        for index, (starts, end) in enumerate(joins):
            have = set(partial.get(index, frozenset())) | (ran & set(starts))
            if have >= set(starts):
                targets.setdefault(end, f"the join of {' + '.join(starts)}")
                partial.pop(index, None)
            elif have:
                partial[index] = frozenset(have)
        targets.pop(END, None)
        deferred = set(step.deferred) | {t for t in targets if spec.nodes[t].defer}
        pulled = {t for t in targets if not spec.nodes[t].defer}
        if pulled:
            tasks, waiting = frozenset(pulled), frozenset(deferred)
        else:
            tasks, waiting = frozenset(deferred), frozenset()
            targets.update({d: "deferred: runs when nothing else is left" for d in deferred})
        if not tasks:
            continue
        multi = frozenset(t for t, n in sends.items() if n > 1 and t in tasks)
        joined = frozenset((i, s) for i, s in partial.items())
        found.append((_Step(tasks, multi, joined, waiting), targets))
    return found


def _emissions(spec: GraphSpec, nodes: list[str], task: str) -> list[tuple[dict[str, str], dict[str, str]]]:
    """The ways ``task`` can trigger the next step: ``({target: why}, {send target: why})``."""
    shown = "START" if task == START else task
    fixed = {end: f"an edge from {shown}" for start, end in spec.edges if start == task}
    choices: list[list[tuple[dict[str, str], dict[str, str]]]] = [[(fixed, {})]]
    for branch in spec.branches.get(task, ()):
        dests = branch.destinations() or [*nodes, END]
        several, sends = router_picks(branch)
        options = [({d: f"picked by the router of {shown}"}, {}) for d in dests]
        if sends:
            options.append(({}, {d: f"Sends from {shown}" for d in dests if d != END}))
        elif several:
            options.append(({d: f"picked with others by the router of {shown}" for d in dests}, {}))
        choices.append(options)
    node = spec.nodes.get(task)
    gotos = node_destinations(node, nodes) if node is not None else None
    if gotos:
        options = [({}, {})] + [({d: f"a goto from {shown}"}, {}) for d in gotos]
        if len(gotos) > 1:
            options.append(({d: f"a goto from {shown}" for d in gotos}, {}))
        choices.append(options)
    merged = []
    for combo in itertools.product(*choices):
        targets: dict[str, str] = {}
        sent: dict[str, str] = {}
        for emitted, sends in combo:
            targets.update({k: v for k, v in emitted.items() if k not in targets})
            sent.update(sends)
        merged.append((targets, sent))
    return merged
