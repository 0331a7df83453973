# ruff: noqa: I001, F841  (the seed's code as written: its import order, its unused names)
# Seed 000 "Concurrent State Access", section "Race conditions in practice", "Scenario 1:
# Counter increments".
# Changes: the seed's fragment has no imports and no graph. Added: the imports, and after each
# schema a graph running node_a and node_b in parallel from START (`run`, below), whose result
# is printed. The seed's comment says the broken version gives "count = 1 (last write wins)";
# it does not: the two writes to `count` in one super-step raise InvalidUpdateError (in
# LangGraph as in the engine), which is printed.
from typing import Annotated, TypedDict
from engine.errors import InvalidUpdateError
from engine.graph import StateGraph, START, END

def run(state_class, node_a, node_b):  # added
    builder = StateGraph(state_class)
    builder.add_node("node_a", node_a)
    builder.add_node("node_b", node_b)
    builder.add_edge(START, "node_a")
    builder.add_edge(START, "node_b")
    builder.add_edge("node_a", END)
    builder.add_edge("node_b", END)
    try:
        print(f"{state_class.__name__}: count = {builder.compile().invoke({'count': 0})['count']}")
    except InvalidUpdateError as exc:
        print(f"{state_class.__name__}: {type(exc).__name__}: {str(exc).splitlines()[0]}")

# BROKEN — race condition with parallel nodes
class BrokenState(TypedDict):
    count: int  # No reducer

def node_a(state: BrokenState) -> dict:
    return {"count": state["count"] + 1}  # Reads 0, writes 1

def node_b(state: BrokenState) -> dict:
    return {"count": state["count"] + 1}  # Also reads 0, writes 1
    # Expected: count = 2
    # Actual: count = 1 (last write wins)

run(BrokenState, node_a, node_b)  # added

# FIXED — use a reducer
class FixedState(TypedDict):
    count: Annotated[int, lambda a, b: a + b]

def node_a(state: FixedState) -> dict:
    return {"count": 1}  # Adds 1 via reducer

def node_b(state: FixedState) -> dict:
    return {"count": 1}  # Adds 1 via reducer
    # Result: count = 0 + 1 + 1 = 2 ✅

run(FixedState, node_a, node_b)  # added
