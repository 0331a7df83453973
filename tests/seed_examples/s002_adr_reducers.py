# ruff: noqa: I001, F841  (the seed's code as written: its import order, its unused names)
# Seed 002 "ADR: State Field Concurrency Safety Requirements": Rules 1, 2 and 4, the "Reducer
# Types Reference" and the "Derived Property Instead of Counter" example.
# Changes: the ADR's fields are dataclass fields (`@dataclass class MyState`), copied with
# their safety comments; its `merge_dicts` and `merge_lists` are not LangGraph built-ins (there
# are none by those names; `add_messages` is the only reducer it ships besides what `operator`
# gives), so they are defined here, as the ADR describes them; `merge_metrics` is the ADR's.
# The ADR has no graph: one is added, with three nodes (a, b, c) from START in one super-step,
# each writing the ADR's example values ({"a": "1"}, ["a"], ...), and a `current_iteration`
# variant showing the anti-pattern's InvalidUpdateError. Imports are added (`langgraph` ->
# `engine`).
from dataclasses import dataclass, field
from typing import Annotated, Any, Dict, List, Optional

from engine.errors import InvalidUpdateError
from engine.graph import END, START, StateGraph

def merge_dicts(a: Dict[str, Any], b: Dict[str, Any]) -> Dict[str, Any]:  # added, as described
    return {**a, **b}

def merge_lists(a: List[Any], b: List[Any]) -> List[Any]:  # added, as described
    return a + b

def merge_metrics(a: Dict[str, float], b: Dict[str, float]) -> Dict[str, float]:
    """Custom reducer: take max value for each metric."""
    result = a.copy()
    for key, value in b.items():
        result[key] = max(result.get(key, 0), value)
    return result

@dataclass
class MyState:
    # SAFE: configuration constant, never written
    max_retries: int = 3

    # SAFE: only router node writes (single-writer)
    route: Optional[str] = None

    # PARALLEL-SAFE: reducer merges concurrent writes
    outputs: Annotated[Dict[str, str], merge_dicts] = field(default_factory=dict)
    completed: Annotated[List[str], merge_lists] = field(default_factory=list)  # from the reference
    metrics: Annotated[Dict[str, float], merge_metrics] = field(default_factory=dict)  # from the reference
    execution_path: Annotated[List[str], merge_lists] = field(default_factory=list)  # from the migration guide

    @property
    def execution_depth(self) -> int:
        """Derived from execution_path, no concurrent write issues."""
        return len(self.execution_path)  # SAFE: computed, not stored

@dataclass
class CounterState:  # the anti-pattern
    current_iteration: int = 0  # No reducer, parallel nodes fail

def build(state_class, make_node):  # added: a, b, c from START, in one super-step
    builder = StateGraph(state_class)
    for name in ("a", "b", "c"):
        builder.add_node(name, make_node(name))
        builder.add_edge(START, name)
        builder.add_edge(name, END)
    return builder.compile()

def writer(name):
    score = {"a": 0.5, "b": 0.9, "c": 0.7}[name]
    return lambda state: {"outputs": {name: str(ord(name) - 96)}, "completed": [name],
                          "metrics": {"score": score}, "execution_path": [name]}

def incrementer(name):
    return lambda state: {"current_iteration": state.current_iteration + 1}

out = build(MyState, writer).invoke(MyState())
print(out["outputs"])
print(out["completed"])
print(out["metrics"])
print(MyState(**out).execution_depth)
try:
    build(CounterState, incrementer).invoke(CounterState())
except InvalidUpdateError as exc:
    print(f"InvalidUpdateError: {str(exc).splitlines()[0]}")
