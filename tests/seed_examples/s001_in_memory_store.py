# ruff: noqa: I001, F841  (the seed's code as written: its import order, its unused names)
# Seed 001 "State Management Across Agents", sections "Store Interface" (the import) and
# "In-Memory Store".
# Changes: `langgraph` -> `engine` in the imports. The seed's `from langgraph.store import
# BaseStore` fails in LangGraph (`langgraph.store` exports nothing; BaseStore is in
# `langgraph.store.base`); the engine's `engine.store` exports it, so it is kept. The seed's
# `workflow`, `checkpointer` and `llm` are not defined there: a one-node graph on a state with
# `messages` and `current_user`, an InMemorySaver, and a scripted stand-in for the LLM (it
# answers in the user's preferred language and, told "I prefer French", learns that
# preference; no network) are added. The seed's `prefs` is an Item or None; the stand-in reads
# its `.value`. Two threads of one user are run at the end and the store printed.
import asyncio
from typing import Annotated, TypedDict

from engine.checkpoint.memory import InMemorySaver
from engine.graph import START, END, StateGraph
from engine.graph.message import add_messages
from engine.messages import AIMessage
from engine.store import BaseStore  # the seed's import (it only type-annotates there)

class AgentState(TypedDict):  # added
    messages: Annotated[list, add_messages]
    current_user: str

class ScriptedLLM:  # added: stand-in for the seed's `llm`
    async def generate(self, messages, preferences=None):
        language = (preferences.value if preferences else {}).get("language", "English")
        response = AIMessage(f"(in {language}) Noted: {messages[-1].content}")
        learned = "French" if "I prefer French" in messages[-1].content else None
        response.learned_preference = {"language": learned} if learned else None
        return response

llm = ScriptedLLM()
workflow = StateGraph(AgentState)
checkpointer = InMemorySaver()

from engine.store.memory import InMemoryStore

store = InMemoryStore()

# Access store in nodes
async def agent_node(state: AgentState, *, store):
    user_id = state["current_user"]

    # Get user preferences (cross-thread)
    prefs = await store.aget(
        namespace=("users", user_id),
        key="preferences"
    )

    # Use in generation
    response = await llm.generate(
        state["messages"],
        preferences=prefs
    )

    # Update preferences
    if response.learned_preference:
        await store.aput(
            namespace=("users", user_id),
            key="preferences",
            value=response.learned_preference
        )

    return {"messages": [response]}

workflow.add_node("agent", agent_node)  # added: the node and its edges
workflow.add_edge(START, "agent")
workflow.add_edge("agent", END)

# Compile with store
app = workflow.compile(
    checkpointer=checkpointer,
    store=store
)

async def main():  # added
    first = await app.ainvoke({"messages": [("human", "I prefer French")], "current_user": "u1"},
                              {"configurable": {"thread_id": "monday"}})
    second = await app.ainvoke({"messages": [("human", "Book a table")], "current_user": "u1"},
                               {"configurable": {"thread_id": "tuesday"}})
    print(first["messages"][-1].content)
    print(second["messages"][-1].content)
    item = await store.aget(("users", "u1"), "preferences")
    print(item.value, item.key, item.namespace)
    print(issubclass(InMemoryStore, BaseStore))

asyncio.run(main())
