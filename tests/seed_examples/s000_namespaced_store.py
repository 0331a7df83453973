# ruff: noqa: I001, F841  (the seed's code as written: its import order, its unused names)
# Seed 000 "Concurrent State Access", section "Isolation through namespaced Memory Store".
# Changes: `langgraph` -> `engine` in the imports. `"results": [...]` (an Ellipsis, the seed's
# placeholder) became `"results": ["paper.pdf"]`: retrace's store keeps JSON only and refuses
# an Ellipsis with TypeError (LangGraph's InMemoryStore keeps any object). The seed defines the
# two nodes only; a graph running them in order (research, then analysis) with the store, and
# prints of what it did, are added at the end.
from typing import TypedDict
from engine.store.memory import InMemoryStore
from engine.store.base import BaseStore

store = InMemoryStore()

def research_agent_node(state: dict, store: BaseStore) -> dict:
    """Research agent — only accesses its own namespace."""
    user_id = state["user_id"]
    
    # This agent's namespace
    namespace = (user_id, "research_agent")
    
    # Save findings
    store.put(namespace, "last_search", {"query": state["query"], "results": ["paper.pdf"]})
    
    # Cannot accidentally read analysis_agent's data
    # unless it explicitly uses (user_id, "analysis_agent")
    return {"status": "research_complete"}

def analysis_agent_node(state: dict, store: BaseStore) -> dict:
    """Analysis agent — reads from research, writes to its own namespace."""
    user_id = state["user_id"]
    
    # Read research results (explicit cross-agent access)
    research_data = store.search((user_id, "research_agent"))
    
    # Write to own namespace
    store.put(
        (user_id, "analysis_agent"),
        "conclusion",
        {"data": "analysis result"}
    )
    return {"status": "analysis_complete"}

# --- added: run the two nodes, in order, on the store ---
from engine.graph import StateGraph, START, END

class AgentsState(TypedDict):
    user_id: str
    query: str
    status: str

builder = StateGraph(AgentsState)
builder.add_node("research", research_agent_node)
builder.add_node("analysis", analysis_agent_node)
builder.add_edge(START, "research")
builder.add_edge("research", "analysis")
builder.add_edge("analysis", END)
graph = builder.compile(store=store)

print(graph.invoke({"user_id": "alice", "query": "reducers"}))
print(store.list_namespaces())
print(store.get(("alice", "research_agent"), "last_search").value)
print(store.get(("alice", "analysis_agent"), "conclusion").value)
