# ruff: noqa: I001, F841  (the seed's code as written: its import order, its unused names)
# Seed 001 "State Management Across Agents", sections "State Schema (TypedDict)" (AgentState)
# and "Graph Construction".
# Changes: `langgraph` -> `engine` in the imports. The seed's `call_model`, `tool_node` and
# `should_continue` are not given: scripted stand-ins are added (no LLM; the "model" asks for
# one tool call, then answers). `END` is used but not imported by the seed: added to its
# import. A run of `app` and prints of the reducer results (the seed states them in comments:
# counter 5 + 3 = 8, documents ["doc1", "doc2"], current_user "Bob") are added at the end.
from typing import Annotated, TypedDict
from operator import add
from engine.graph.message import add_messages
from engine.messages import AIMessage, ToolMessage  # added, for the stand-ins

class AgentState(TypedDict):
    # Messages with reducer (append)
    messages: Annotated[list, add_messages]

    # Counter with reducer (add)
    counter: Annotated[int, add]

    # Documents with reducer (extend)
    documents: Annotated[list[str], add]

    # Simple value (last-write-wins)
    current_user: str

# --- added: scripted stand-ins for the seed's undefined functions ---
def call_model(state: AgentState) -> dict:
    if not any(isinstance(m, ToolMessage) for m in state["messages"]):
        call = {"name": "fetch_document", "args": {"name": "doc2"}, "id": "call_1"}
        return {"messages": [AIMessage("", tool_calls=[call])]}
    return {"messages": [AIMessage("Fetched doc2.")], "current_user": "Bob"}

def tool_node(state: AgentState) -> dict:
    call = state["messages"][-1].tool_calls[0]
    return {"messages": [ToolMessage("doc2", tool_call_id=call["id"])], "counter": 3, "documents": ["doc2"]}

def should_continue(state: AgentState) -> str:
    return "continue" if state["messages"][-1].tool_calls else "end"
# --- end of the stand-ins ---

from engine.graph import StateGraph, END  # END added

# Define graph
workflow = StateGraph(AgentState)

# Add nodes
workflow.add_node("agent", call_model)
workflow.add_node("tools", tool_node)

# Define edges
workflow.set_entry_point("agent")
workflow.add_conditional_edges(
    "agent",
    should_continue,
    {
        "continue": "tools",
        "end": END
    }
)
workflow.add_edge("tools", "agent")

# Compile (no persistence yet)
app = workflow.compile()

# --- added: run it, from the seed's example values ---
out = app.invoke({"messages": [("human", "Get doc2")], "counter": 5, "documents": ["doc1"], "current_user": "Alice"})
print(f"counter = {out['counter']}")
print(f"documents = {out['documents']}")
print(f"current_user = {out['current_user']}")
print(f"last message = {out['messages'][-1].content}")
