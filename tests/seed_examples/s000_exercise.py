# ruff: noqa: I001, F841  (the seed's code as written: its import order, its unused names)
# Seed 000 "Concurrent State Access", "Hands-on exercise", the solution.
# Changes: `langgraph` -> `engine` in the imports. Nothing else.
# The seed's output for the buggy version (1 result, a score of 0.9, a count of 1) is not what
# happens: `buggy.invoke` raises InvalidUpdateError naming all three keys (LangGraph too), so
# the script stops there. The test runs the part from "# Fixed version" on its own.
from typing import Annotated, TypedDict
from operator import add
from engine.graph import StateGraph, START, END

# BUGGY — no reducers on shared fields
class BuggySearchState(TypedDict):
    query: str
    results: list[dict]        # No reducer
    total_score: float         # No reducer
    search_count: int          # No reducer

# FIXED — proper reducers
class FixedSearchState(TypedDict):
    query: str
    results: Annotated[list[dict], add]
    total_score: Annotated[float, lambda a, b: a + b]
    search_count: Annotated[int, lambda a, b: a + b]

def web_search_node(state):
    return {
        "results": [{"source": "web", "title": "Web Result 1", "score": 0.8}],
        "total_score": 0.8,
        "search_count": 1
    }

def doc_search_node(state):
    return {
        "results": [{"source": "docs", "title": "Doc Result 1", "score": 0.9}],
        "total_score": 0.9,
        "search_count": 1
    }

def merge_node(state):
    """Final node that reports results."""
    return {}

def build_parallel_graph(state_class):
    builder = StateGraph(state_class)
    builder.add_node("web_search", web_search_node)
    builder.add_node("doc_search", doc_search_node)
    builder.add_node("merge", merge_node)
    builder.add_edge(START, "web_search")
    builder.add_edge(START, "doc_search")
    builder.add_edge("web_search", "merge")
    builder.add_edge("doc_search", "merge")
    builder.add_edge("merge", END)
    return builder.compile()

initial = {"query": "concurrency", "results": [], "total_score": 0.0, "search_count": 0}

# Buggy version
buggy = build_parallel_graph(BuggySearchState)
buggy_result = buggy.invoke(initial)
print("=== BUGGY ===")
print(f"  Results: {len(buggy_result['results'])} (expected 2)")
print(f"  Total score: {buggy_result['total_score']} (expected 1.7)")
print(f"  Search count: {buggy_result['search_count']} (expected 2)")

# Fixed version
fixed = build_parallel_graph(FixedSearchState)
fixed_result = fixed.invoke(initial)
print("\n=== FIXED ===")
print(f"  Results: {len(fixed_result['results'])} (expected 2)")
print(f"  Total score: {fixed_result['total_score']} (expected 1.7)")
print(f"  Search count: {fixed_result['search_count']} (expected 2)")
