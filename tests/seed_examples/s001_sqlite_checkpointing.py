# ruff: noqa: I001, F841  (the seed's code as written: its import order, its unused names)
# Seed 001 "State Management Across Agents", section "Basic Checkpointing (SQLite)".
# Changes: `langgraph` -> `engine` in the imports; the seed's `workflow` (from "Graph
# Construction") is replaced by a one-node graph, added before the seed's lines.
# As written, the seed's code does not work: `SqliteSaver.from_conn_string` returns a context
# manager, not a saver. LangGraph's `compile` refuses it (TypeError: Invalid checkpointer
# provided); the saver is used as `with SqliteSaver.from_conn_string(path) as checkpointer:`.
from typing import TypedDict
from engine.graph import StateGraph, START, END

class State(TypedDict):  # added
    count: int

workflow = StateGraph(State)  # added
workflow.add_node("increment", lambda state: {"count": state["count"] + 1})
workflow.add_edge(START, "increment")
workflow.add_edge("increment", END)

from engine.checkpoint.sqlite import SqliteSaver

# In-memory checkpointer (dev/test)
memory = SqliteSaver.from_conn_string(":memory:")

# File-based checkpointer (persistent)
checkpointer = SqliteSaver.from_conn_string("./checkpoints.db")

# Compile with checkpointer
app = workflow.compile(checkpointer=checkpointer)
print(app.invoke({"count": 0}, {"configurable": {"thread_id": "t"}}))  # added
