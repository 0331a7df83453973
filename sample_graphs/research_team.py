"""Seed 000's "state isolation in multi-agent systems": a research agent and an analysis agent,
each a subgraph with a state schema of its own, that share data only through the keys their
schemas have in common with the orchestrator's and through a namespaced memory store.

The orchestrator (:class:`TeamState`) runs ``research`` then ``analysis`` then ``answer``:

- ``research`` is the compiled :func:`research_agent` graph (:class:`ResearchState`):
  ``search`` picks the sources for the query (kept in ``sources``, a key only the research
  agent has, so it never reaches the orchestrator) and saves them under the agent's own store
  namespace ``(user_id, "research_agent")`` as ``last_search``; ``summarize`` writes
  ``findings`` (shared with the orchestrator) and ``found_sources``.
- ``analysis`` is the compiled :func:`analysis_agent` graph (:class:`AnalysisState`):
  ``gather`` reads the research agent's namespace (an explicit cross-agent read, the only one)
  into ``data`` (its own key); ``analyze`` writes ``conclusion`` and saves ``conclusion`` and
  ``metrics`` under ``(user_id, "analysis_agent")``.
- ``answer`` joins the findings and the conclusion into ``final_answer``.

Each subgraph's checkpoints are saved under its own checkpoint namespace
(``research:<task id>``, ``analysis:<task id>``), so the debugger opens either one (``o``)
and browses its steps. Sources are picked by rule from :data:`LIBRARY` (no network, the same
on every run).
"""

from __future__ import annotations

from typing import TypedDict

from engine.graph import END, START, StateGraph
from engine.store import BaseStore, InMemoryStore

RESEARCH_NS = "research_agent"
ANALYSIS_NS = "analysis_agent"

LIBRARY = {
    "checkpointing": ["pregel-paper.pdf", "sqlite-wal.md"],
    "concurrency": ["lost-updates.md", "reducers.md", "bsp-model.pdf"],
    "state": ["reducers.md", "typed-state.md"],
}
"""Topic word -> the sources the scripted research agent finds for a query holding it."""


class TeamState(TypedDict, total=False):
    user_id: str  # SAFE: the input
    query: str  # SAFE: the input
    findings: str  # SAFE: only the research agent writes it
    conclusion: str  # SAFE: only the analysis agent writes it
    final_answer: str  # SAFE: only answer writes it


class ResearchState(TypedDict, total=False):
    user_id: str
    query: str
    sources: list[str]  # the research agent's own: not in TeamState, so it stays here
    findings: str


class AnalysisState(TypedDict, total=False):
    user_id: str
    query: str
    findings: str
    data: list[dict]  # the analysis agent's own
    conclusion: str


def sources_for(query: str) -> list[str]:
    """The :data:`LIBRARY` sources of every topic word in ``query``, first seen first."""
    words = query.lower().split()
    found = [s for topic, sources in LIBRARY.items() if topic in words for s in sources]
    return list(dict.fromkeys(found)) or ["general-survey.pdf"]


def research_agent() -> StateGraph:
    """search -> summarize, in the research agent's state and store namespace."""

    def search(state: ResearchState, store: BaseStore) -> dict:
        sources = sources_for(state["query"])
        store.put((state["user_id"], RESEARCH_NS), "last_search", {"query": state["query"], "results": sources})
        return {"sources": sources}

    def summarize(state: ResearchState, store: BaseStore) -> dict:
        store.put((state["user_id"], RESEARCH_NS), "found_sources", {"count": len(state["sources"])})
        return {"findings": f"{len(state['sources'])} sources on {state['query']!r}: {', '.join(state['sources'])}"}

    builder = StateGraph(ResearchState)
    builder.add_node("search", search).add_node("summarize", summarize)
    return builder.add_edge(START, "search").add_edge("search", "summarize").add_edge("summarize", END)


def analysis_agent() -> StateGraph:
    """gather -> analyze: reads the research agent's namespace, writes its own."""

    def gather(state: AnalysisState, store: BaseStore) -> dict:
        items = store.search((state["user_id"], RESEARCH_NS))
        return {"data": [{"key": item.key, "value": item.value} for item in items]}

    def analyze(state: AnalysisState, store: BaseStore) -> dict:
        sources = next((d["value"]["results"] for d in state["data"] if d["key"] == "last_search"), [])
        conclusion = f"Analysis of {len(state['data'])} research items: {len(sources)} sources agree"
        ns = (state["user_id"], ANALYSIS_NS)
        store.put(ns, "conclusion", {"text": conclusion})
        store.put(ns, "metrics", {"items_read": len(state["data"]), "sources": len(sources)})
        return {"conclusion": conclusion}

    builder = StateGraph(AnalysisState)
    builder.add_node("gather", gather).add_node("analyze", analyze)
    return builder.add_edge(START, "gather").add_edge("gather", "analyze").add_edge("analyze", END)


def make_graph() -> StateGraph:
    """research (subgraph) -> analysis (subgraph) -> answer."""

    def answer(state: TeamState) -> dict:
        return {"final_answer": f"{state['findings']}. {state['conclusion']}."}

    builder = StateGraph(TeamState)
    builder.add_node("research", research_agent().compile())
    builder.add_node("analysis", analysis_agent().compile())
    builder.add_node("answer", answer)
    builder.add_edge(START, "research").add_edge("research", "analysis")
    return builder.add_edge("analysis", "answer").add_edge("answer", END)


QUESTION = {"user_id": "alice", "query": "How do reducers prevent lost updates under concurrency"}
"""The demo's input."""

builder = make_graph()
graph = builder.compile(store=InMemoryStore())
"""What the debugger attaches (an in-memory store of its own, as in :mod:`sample_graphs.preferences`)."""
