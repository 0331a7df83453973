# ruff: noqa: I001, F841  (the seed's code as written: its import order, its unused names)
# Seed 000 "Concurrent State Access", section "Thread isolation".
# Changes: `langgraph` -> `engine` in the imports. Nothing else.
from engine.graph import StateGraph, MessagesState, START, END
from engine.checkpoint.memory import InMemorySaver

class ChatState(MessagesState):
    user_name: str
    topic: str

def respond_node(state: ChatState) -> dict:
    return {
        "messages": [{
            "role": "assistant",
            "content": f"Hello {state['user_name']}! Let's discuss {state['topic']}."
        }]
    }

builder = StateGraph(ChatState)
builder.add_node("respond", respond_node)
builder.add_edge(START, "respond")
builder.add_edge("respond", END)

graph = builder.compile(checkpointer=InMemorySaver())

# User A — their own thread
config_a = {"configurable": {"thread_id": "alice_session_1"}}
result_a = graph.invoke(
    {"messages": [{"role": "user", "content": "Hi"}], "user_name": "Alice", "topic": "Python"},
    config_a
)

# User B — completely isolated
config_b = {"configurable": {"thread_id": "bob_session_1"}}
result_b = graph.invoke(
    {"messages": [{"role": "user", "content": "Hey"}], "user_name": "Bob", "topic": "Rust"},
    config_b
)

# Verify isolation
state_a = graph.get_state(config_a)
state_b = graph.get_state(config_b)
print(f"Alice sees: {state_a.values['user_name']}, {state_a.values['topic']}")
print(f"Bob sees:   {state_b.values['user_name']}, {state_b.values['topic']}")
