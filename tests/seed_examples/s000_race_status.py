# ruff: noqa: I001, F841  (the seed's code as written: its import order, its unused names)
# Seed 000 "Concurrent State Access", section "Race conditions in practice", "Scenario 2:
# Status tracking".
# Changes: the seed's fragment has no imports and no graph. Added: the imports; for the broken
# schema, the two nodes its comment describes (web_search sets "web_done", doc_search sets
# "doc_done"); after each schema a graph running web_search and doc_search in parallel from
# START (`run`), whose result is printed. The seed says of the broken version "only one
# survives"; in fact neither does: the step raises InvalidUpdateError (LangGraph too).
from typing import Annotated, TypedDict
from engine.errors import InvalidUpdateError
from engine.graph import StateGraph, START, END

def run(state_class, web_search, doc_search, initial):  # added
    builder = StateGraph(state_class)
    builder.add_node("web_search", web_search)
    builder.add_node("doc_search", doc_search)
    builder.add_edge(START, "web_search")
    builder.add_edge(START, "doc_search")
    builder.add_edge("web_search", END)
    builder.add_edge("doc_search", END)
    try:
        print(f"{state_class.__name__}: {builder.compile().invoke(initial)}")
    except InvalidUpdateError as exc:
        print(f"{state_class.__name__}: {type(exc).__name__}: {str(exc).splitlines()[0]}")

# BROKEN — both nodes try to set status
class BrokenStatus(TypedDict):
    status: str  # Last writer wins

# If web_search sets "web_done" and doc_search sets "doc_done",
# only one survives
def web_search(state: BrokenStatus) -> dict:  # added, as the comment above says
    return {"status": "web_done"}

def doc_search(state: BrokenStatus) -> dict:  # added, as the comment above says
    return {"status": "doc_done"}

run(BrokenStatus, web_search, doc_search, {"status": "pending"})  # added

# FIXED — track per-node status
class FixedStatus(TypedDict):
    node_statuses: Annotated[dict, lambda old, new: {**old, **new}]

def web_search(state: FixedStatus) -> dict:
    return {"node_statuses": {"web_search": "done"}}

def doc_search(state: FixedStatus) -> dict:
    return {"node_statuses": {"doc_search": "done"}}
    # Result: {"web_search": "done", "doc_search": "done"} ✅

run(FixedStatus, web_search, doc_search, {"node_statuses": {}})  # added
