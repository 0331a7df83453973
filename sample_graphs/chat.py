"""Seed 000's thread isolation: one chat graph, Alice and Bob on their own thread ids."""

from __future__ import annotations

from engine.graph import END, START, MessagesState, StateGraph


class ChatState(MessagesState):
    user_name: str
    topic: str


def respond_node(state: ChatState) -> dict:
    return {
        "messages": [
            {
                "role": "assistant",
                "content": f"Hello {state['user_name']}! Let's discuss {state['topic']}.",
            }
        ]
    }


graph = StateGraph(ChatState)
graph.add_node("respond", respond_node)
graph.add_edge(START, "respond")
graph.add_edge("respond", END)

CONVERSATIONS = {
    "alice_session_1": {
        "messages": [{"role": "user", "content": "Hi"}],
        "user_name": "Alice",
        "topic": "Python",
    },
    "bob_session_1": {
        "messages": [{"role": "user", "content": "Hey"}],
        "user_name": "Bob",
        "topic": "Rust",
    },
}
