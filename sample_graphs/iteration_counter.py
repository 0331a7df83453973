"""Seed 002's production failure: an iteration counter written by two parallel nodes.

Each round ``planner`` fans out to ``researcher`` and ``critic`` (one super-step, in parallel),
then ``synthesize`` joins them. In ``buggy_graph`` both parallel nodes bump
``current_iteration: int``, a plain field with no reducer, so the round's parallel step fails
with ``InvalidUpdateError`` naming the field and both writers (LangGraph: "Can receive only one
value per step"). ``graph`` is the ADR's fix: no stored counter; every node appends its name to
``execution_path`` (an ``operator.add`` reducer, so parallel appends merge) and the depth is
derived from it (:func:`iteration_depth`); it runs :data:`ROUNDS` rounds, then ends.

In the debugger: ``iteration-buggy`` fails at step 1 (``✖`` row: the error, both writers;
the step's Writes show the two raw values for ``current_iteration``); in ``iteration-fixed``
each step's diff shows ``execution_path`` growing by the nodes that ran in it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

from engine.graph import END, START, StateGraph

ROUNDS = 2
"""Rounds of planner -> (researcher, critic) -> synthesize the fixed graph runs."""


class BuggyState(TypedDict, total=False):
    topic: str  # SAFE: the input, never written by a node
    current_iteration: int  # UNSAFE: researcher and critic both write it in one super-step
    notes: Annotated[list[str], operator.add]  # PARALLEL-SAFE: appends merge


class FixedState(TypedDict, total=False):
    topic: str  # SAFE: the input, never written by a node
    execution_path: Annotated[list[str], operator.add]  # PARALLEL-SAFE: each node appends its name
    notes: Annotated[list[str], operator.add]  # PARALLEL-SAFE: appends merge


def iteration_depth(state: Any) -> int:
    """Rounds finished so far: how often the join node ``synthesize`` is in ``execution_path``.

    Derived, never stored, so no two nodes ever write it (the ADR's "execution depth"; the
    path's length, ``len(state["execution_path"])``, counts every node that ran).
    """
    return list(state.get("execution_path") or []).count("synthesize")


PARALLEL = ("researcher", "critic")
"""The nodes that run in the same super-step of every round."""


def _progress(state: Any, node: str, fixed: bool) -> dict:
    """What a node writes to track how far the run got. The original code: each parallel node
    counts the round it worked on. The fix: each node appends its name to the path."""
    if fixed:
        return {"execution_path": [node]}
    return {"current_iteration": state.get("current_iteration", 0) + 1} if node in PARALLEL else {}


def _rounds_done(state: Any, fixed: bool) -> int:
    return iteration_depth(state) if fixed else state.get("current_iteration", 0)


def build_graph(state_class: type, *, fixed: bool) -> StateGraph:
    """The planner -> (researcher, critic) -> synthesize loop over ``state_class``."""

    def node(name: str, text: str) -> Callable[[Any], dict]:
        def run(state: Any) -> dict:
            note = f"round {_rounds_done(state, fixed) + 1} {name}: {text} {state['topic']}"
            return {"notes": [note], **_progress(state, name, fixed)}

        run.__name__ = name
        return run

    def again(state: Any) -> str:
        return "planner" if _rounds_done(state, fixed) < ROUNDS else END

    builder = StateGraph(state_class)
    builder.add_node("planner", node("planner", "plan the next questions about"))
    builder.add_node("researcher", node("researcher", "collect sources on"))
    builder.add_node("critic", node("critic", "list weak points of the draft on"))
    builder.add_node("synthesize", node("synthesize", "merge research and critique on"))
    builder.add_edge(START, "planner")
    builder.add_edge("planner", "researcher").add_edge("planner", "critic")
    builder.add_edge(["researcher", "critic"], "synthesize")
    builder.add_conditional_edges("synthesize", again, ["planner", END])
    return builder


TOPIC = {"topic": "checkpoint storage"}

graph = build_graph(FixedState, fixed=True)
buggy_graph = build_graph(BuggyState, fixed=False)
