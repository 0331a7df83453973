# ruff: noqa: I001, F841  (the seed's code as written: its import order, its unused names)
# Seed 000 "Concurrent State Access", section "Reducers as concurrent update handlers".
# Changes: `langgraph` -> `engine` in the imports. Nothing else.
# The seed says this prints "Best score: 0.9  # or 0.8 — depends on which node finishes last!".
# It does not: two writes to `best_score` (no reducer) in one super-step make the invoke raise
# InvalidUpdateError, in LangGraph as in the engine, and nothing is printed.
from typing import Annotated, TypedDict
from operator import add
from engine.graph import StateGraph, START, END

class ParallelState(TypedDict):
    query: str
    results: Annotated[list[dict], add]      # Reducer — accumulates
    best_score: float                          # No reducer — last write wins

def web_search(state: ParallelState) -> dict:
    """Search the web."""
    return {
        "results": [{"source": "web", "content": "Web result", "score": 0.8}],
        "best_score": 0.8
    }

def doc_search(state: ParallelState) -> dict:
    """Search internal documents."""
    return {
        "results": [{"source": "docs", "content": "Doc result", "score": 0.9}],
        "best_score": 0.9
    }

builder = StateGraph(ParallelState)
builder.add_node("web_search", web_search)
builder.add_node("doc_search", doc_search)

# Both run in parallel
builder.add_edge(START, "web_search")
builder.add_edge(START, "doc_search")
builder.add_edge("web_search", END)
builder.add_edge("doc_search", END)

graph = builder.compile()

result = graph.invoke({"query": "state management", "results": [], "best_score": 0.0})
print(f"Results count: {len(result['results'])}")
print(f"Best score: {result['best_score']}")
