# ruff: noqa: I001, F841  (the seed's code as written: its import order, its unused names)
# Seed 000 "Concurrent State Access", section "Subgraph state isolation".
# Changes: `langgraph` -> `engine` in the imports. The seed builds and compiles the two
# subgraphs but never runs them; two invokes and their prints are added at the end.
from typing import TypedDict, Annotated
from operator import add
from engine.graph import StateGraph, START, END

# Parent graph state
class OrchestratorState(TypedDict):
    query: str
    results: Annotated[list[dict], add]
    final_answer: str

# Subgraph 1: Research agent — its own state
class ResearchState(TypedDict):
    query: str
    sources: list[str]
    findings: str

def research_agent(state: ResearchState) -> dict:
    return {
        "sources": ["paper.pdf"],
        "findings": f"Research findings for: {state['query']}"
    }

# Subgraph 2: Analysis agent — its own state
class AnalysisState(TypedDict):
    query: str
    data: list[dict]
    conclusion: str

def analysis_agent(state: AnalysisState) -> dict:
    return {
        "conclusion": f"Analysis of {len(state['data'])} data points"
    }

# Build subgraphs
research_builder = StateGraph(ResearchState)
research_builder.add_node("research", research_agent)
research_builder.add_edge(START, "research")
research_builder.add_edge("research", END)
research_graph = research_builder.compile()

analysis_builder = StateGraph(AnalysisState)
analysis_builder.add_node("analyze", analysis_agent)
analysis_builder.add_edge(START, "analyze")
analysis_builder.add_edge("analyze", END)
analysis_graph = analysis_builder.compile()

print(research_graph.invoke({"query": "reducers"}))  # added
print(analysis_graph.invoke({"query": "reducers", "data": [{"x": 1}, {"x": 2}]}))  # added
