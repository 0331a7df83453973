"""Seed 000's hands-on exercise: web and document search in parallel from START, then merge.

``graph`` is the fixed version (reducers on every field both searches write); ``buggy_graph``
has no reducers and fails in its first parallel super-step with ``InvalidUpdateError`` (a
super-step engine rejects the second write rather than silently keeping the last one).
"""

from __future__ import annotations

from operator import add
from typing import Annotated, Any, TypedDict

from engine.graph import END, START, StateGraph


class BuggySearchState(TypedDict):
    query: str
    results: list[dict]
    total_score: float
    search_count: int
    summary: str


class FixedSearchState(TypedDict):
    query: str
    results: Annotated[list[dict], add]
    total_score: Annotated[float, lambda a, b: a + b]
    search_count: Annotated[int, lambda a, b: a + b]
    best_score: Annotated[float, lambda a, b: max(a, b)]
    summary: str


def web_search_node(state: Any) -> dict:
    return {
        "results": [{"source": "web", "title": f"Web result for {state['query']}", "score": 0.8}],
        "total_score": 0.8,
        "search_count": 1,
        **({"best_score": 0.8} if "best_score" in state else {}),
    }


def doc_search_node(state: Any) -> dict:
    return {
        "results": [{"source": "docs", "title": f"Doc result for {state['query']}", "score": 0.9}],
        "total_score": 0.9,
        "search_count": 1,
        **({"best_score": 0.9} if "best_score" in state else {}),
    }


def merge_node(state: Any) -> dict:
    return {
        "summary": f"{state['search_count']} searches, {len(state['results'])} results, "
        f"total score {state['total_score']:.1f}"
    }


def build_parallel_graph(state_class: type) -> StateGraph:
    builder = StateGraph(state_class)
    builder.add_node("web_search", web_search_node)
    builder.add_node("doc_search", doc_search_node)
    builder.add_node("merge", merge_node)
    builder.add_edge(START, "web_search")
    builder.add_edge(START, "doc_search")
    builder.add_edge("web_search", "merge")
    builder.add_edge("doc_search", "merge")
    builder.add_edge("merge", END)
    return builder


def initial_state(query: str) -> dict:
    return {"query": query, "results": [], "total_score": 0.0, "search_count": 0, "best_score": 0.0}


graph = build_parallel_graph(FixedSearchState)
buggy_graph = build_parallel_graph(BuggySearchState)
