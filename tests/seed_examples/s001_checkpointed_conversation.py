# ruff: noqa: I001, F841  (the seed's code as written: its import order, its unused names)
# Seed 001 "State Management Across Agents", section "Using Checkpointed Graph".
# Changes: the seed's `app` (its agent, compiled with a SqliteSaver) is replaced by a one-node
# chat graph on MessagesState whose "model" is a scripted stand-in that remembers a name it was
# told in the thread (no LLM), compiled with InMemorySaver (`langgraph` -> `engine` in the
# imports). The seed's top-level `await`s run in `async def main()` under `asyncio.run`, and
# prints of the answers the seed's comments describe are added.
import asyncio
import re

from engine.checkpoint.memory import InMemorySaver
from engine.graph import END, START, MessagesState, StateGraph
from engine.messages import AIMessage, HumanMessage

def scripted_model(messages):  # stand-in for the LLM
    names = [m.group(1) for msg in messages if isinstance(msg, HumanMessage)
             for m in [re.search(r"I'm (\w+)", msg.content)] if m]
    if "name?" in messages[-1].content:
        return AIMessage(f"Your name is {names[-1]}" if names else "I don't know your name.")
    return AIMessage(f"Nice to meet you, {names[-1]}!" if names else "Hello!")

def agent(state: MessagesState) -> dict:
    return {"messages": [scripted_model(state["messages"])]}

builder = StateGraph(MessagesState)
builder.add_node("agent", agent)
builder.add_edge(START, "agent")
builder.add_edge("agent", END)
app = builder.compile(checkpointer=InMemorySaver())

async def main():
    # First conversation
    config = {"configurable": {"thread_id": "user-123"}}

    response1 = await app.ainvoke(
        {"messages": [("human", "Hi, I'm Alice")]},
        config=config
    )
    # Checkpoint saved automatically

    # Later conversation (different session)
    response2 = await app.ainvoke(
        {"messages": [("human", "What's my name?")]},
        config=config  # Same thread_id
    )
    # Agent remembers: "Your name is Alice"

    # New conversation (new user)
    config2 = {"configurable": {"thread_id": "user-456"}}
    response3 = await app.ainvoke(
        {"messages": [("human", "What's my name?")]},
        config2
    )
    # Agent doesn't know (different thread)

    for response in (response1, response2, response3):  # added
        print(f"{len(response['messages'])} messages, last: {response['messages'][-1].content}")

asyncio.run(main())
