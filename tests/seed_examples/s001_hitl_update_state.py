# ruff: noqa: I001, F841  (the seed's code as written: its import order, its unused names)
# Seed 001 "State Management Across Agents", section "Updating State Manually".
# Changes: `langgraph` -> `engine` in the imports. The seed's `app` is not defined there: an
# agent/tools loop whose "model" is a scripted stand-in (asks to delete the production
# database; told no by a system message, archives the unused databases instead; no LLM) is
# added. For `state.next` to be ['tools'] after the first `ainvoke`, as the seed says, the run
# must stop before the tools node, which the seed does not show: `interrupt_before=["tools"]`
# is added to `compile`. The top-level `await`s run in `async def main()`; prints added.
# What really happens after the update: `aupdate_state` applies the system message as if the
# node that ran last (`agent`) had returned it, and what runs next comes from agent's edges on
# the updated state. The last message is now the system message, with no tool calls, so the
# router ends the run: next is (), the `ainvoke(None)` runs nothing, and the agent never sees the
# rejection (in LangGraph as in the engine). `as_node` cannot help here either (any node's edges
# route from the same last message); the run goes on to the agent only from an update made as
# `tools`, the node that leads to it: see `as_tools` below (added).
import asyncio

from engine.checkpoint.memory import InMemorySaver
from engine.graph import END, START, MessagesState, StateGraph
from engine.messages import AIMessage, SystemMessage, ToolMessage

def agent(state: MessagesState) -> dict:  # stand-in for the LLM
    told_no = any(isinstance(m, SystemMessage) and "rejected" in m.content for m in state["messages"])
    if isinstance(state["messages"][-1], ToolMessage):
        return {"messages": [AIMessage(f"Done: {state['messages'][-1].content}")]}
    name, args = ("archive_unused", {}) if told_no else ("delete_database", {"name": "production"})
    return {"messages": [AIMessage("", tool_calls=[{"name": name, "args": args, "id": f"call_{len(state['messages'])}"}])]}

def tools(state: MessagesState) -> dict:
    call = state["messages"][-1].tool_calls[0]
    return {"messages": [ToolMessage(f"{call['name']} ran", tool_call_id=call["id"])]}

def route(state: MessagesState) -> str:
    last = state["messages"][-1]
    return "tools" if isinstance(last, AIMessage) and last.tool_calls else END

builder = StateGraph(MessagesState)
builder.add_node("agent", agent)
builder.add_node("tools", tools)
builder.add_edge(START, "agent")
builder.add_conditional_edges("agent", route, ["tools", END])
builder.add_edge("tools", "agent")
app = builder.compile(checkpointer=InMemorySaver(), interrupt_before=["tools"])  # interrupt_before added

def shown(messages):  # added
    return [(type(m).__name__, m.content or m.tool_calls[0]["name"]) for m in messages]

async def main():
    # Agent proposes action: Delete production database
    result = await app.ainvoke(
        {"messages": [("human", "Clean up unused databases")]},
        config={"configurable": {"thread_id": "hitl-1"}}
    )

    # Get current state
    state = await app.aget_state(
        {"configurable": {"thread_id": "hitl-1"}}
    )

    print(state.next)  # ['tools'] - about to call delete tool

    # Human reviews and REJECTS
    await app.aupdate_state(
        {"configurable": {"thread_id": "hitl-1"}},
        {
            "messages": [("system", "Action rejected by human. Do not delete production database.")]
        }
    )
    print((await app.aget_state({"configurable": {"thread_id": "hitl-1"}})).next)  # added

    # Continue execution with modified state
    result = await app.ainvoke(
        None,
        config={"configurable": {"thread_id": "hitl-1"}}
    )
    # Agent sees rejection, chooses different action
    print(shown(result["messages"]))  # added

async def as_tools():  # added: the same rejection, as the tools node's answer to the call
    config = {"configurable": {"thread_id": "hitl-2"}}
    await app.ainvoke({"messages": [("human", "Clean up unused databases")]}, config)
    call = (await app.aget_state(config)).values["messages"][-1].tool_calls[0]
    await app.aupdate_state(config, {"messages": [
        ToolMessage("Action rejected by human. Do not delete production database.", tool_call_id=call["id"]),
        SystemMessage("Action rejected by human. Do not delete production database."),
    ]}, as_node="tools")
    print((await app.aget_state(config)).next)
    result = await app.ainvoke(None, config)
    print((await app.aget_state(config)).next, shown(result["messages"]))

asyncio.run(main())
asyncio.run(as_tools())
