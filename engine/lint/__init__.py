"""The concurrency-safety lint (seed 002's ADR, rules numbered as there): which state fields can
be written by two tasks of one super-step without a reducer, found from the graph's topology
before a run fails on them.

``lint(graph)`` returns :class:`Finding` s, errors first::

    from engine.lint import lint
    assert not [f for f in lint(graph) if f.severity == "error"]

Nothing of the graph is run: its topology comes from the compiled graph, what its nodes write
from their source (:mod:`engine.lint.writes`) and, when given, from recorded runs
(:class:`Observed`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

from engine.errors import GraphValidationError
from engine.graph.compiled import CompiledStateGraph
from engine.graph.state import StateGraph
from engine.lint.rules import Finding, Observed, findings_of

__all__ = ["RULES", "Finding", "Observed", "lint"]

RULES = {
    "R1": "a channel without a reducer that two tasks of one super-step can both write",
    "R2": "a scalar field written by tasks that may run together, or a concept (an iteration "
          "counter, a current step) that parallel execution makes meaningless",
    "R3": "a state field without a '# SAFE:' or '# PARALLEL-SAFE:' comment (off by default)",
    "R4": "structure: an unreachable node, a loop with no way out, a returned key the state lacks",
}
"""Rule id -> what it finds."""

DEFAULT_RULES = ("R1", "R2", "R4")


def lint(graph: Any, observed: Observed | None = None, *, rules: Iterable[str] = DEFAULT_RULES) -> list[Finding]:
    """The findings of ``rules`` on ``graph`` (a ``StateGraph`` builder or a compiled graph),
    errors first, then by rule and channel.

    A builder that does not compile gives its problems as R4 errors.

    Raises:
        ValueError: ``rules`` names a rule that does not exist.
        TypeError: ``graph`` is neither a builder nor a compiled graph.
    """
    wanted = tuple(rules)
    if unknown := [r for r in wanted if r not in RULES]:
        raise ValueError(f"unknown rule(s) {unknown}; the rules are {', '.join(RULES)}")
    if isinstance(graph, StateGraph):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                graph = graph.compile()
        except GraphValidationError as exc:
            return [Finding("R4", "error", None, (), problem, "fix the graph: it does not compile")
                    for problem in exc.problems]
    if not isinstance(graph, CompiledStateGraph):
        raise TypeError(f"lint() takes a StateGraph or a compiled graph, not {type(graph).__name__}")
    found = findings_of(graph.spec, observed or Observed(), wanted)
    return sorted(found, key=lambda f: (f.severity != "error", f.rule, f.channel or "", f.nodes))
