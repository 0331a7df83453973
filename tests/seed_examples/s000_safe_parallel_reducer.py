# ruff: noqa: I001, F841  (the seed's code as written: its import order, its unused names)
# Seed 000 "Concurrent State Access", section "Solving with a custom reducer".
# Changes: `langgraph` -> `engine` in the imports. The seed gives only the schema
# (`max_reducer`, `SafeParallelState`); to run it, the graph of the section before it
# ("Reducers as concurrent update handlers": web_search and doc_search from START, copied
# unchanged) is built on SafeParallelState, and its two prints are kept.
from typing import Annotated, TypedDict
from operator import add
from engine.graph import StateGraph, START, END

def max_reducer(existing: float, new: float) -> float:
    """Always keep the higher score."""
    return max(existing, new)

class SafeParallelState(TypedDict):
    query: str
    results: Annotated[list[dict], add]
    best_score: Annotated[float, max_reducer]  # Now safe under concurrency

# --- added: the previous section's graph, on SafeParallelState ---
def web_search(state: SafeParallelState) -> dict:
    """Search the web."""
    return {
        "results": [{"source": "web", "content": "Web result", "score": 0.8}],
        "best_score": 0.8
    }

def doc_search(state: SafeParallelState) -> dict:
    """Search internal documents."""
    return {
        "results": [{"source": "docs", "content": "Doc result", "score": 0.9}],
        "best_score": 0.9
    }

builder = StateGraph(SafeParallelState)
builder.add_node("web_search", web_search)
builder.add_node("doc_search", doc_search)
builder.add_edge(START, "web_search")
builder.add_edge(START, "doc_search")
builder.add_edge("web_search", END)
builder.add_edge("doc_search", END)

graph = builder.compile()

result = graph.invoke({"query": "state management", "results": [], "best_score": 0.0})
print(f"Results count: {len(result['results'])}")
print(f"Best score: {result['best_score']}")
