# ruff: noqa: I001, F841  (the seed's code as written: its import order, its unused names)
# Seed 001 "State Management Across Agents", sections "Checkpoint API" and "Time Travel
# Debugging".
# Changes: `langgraph` -> `engine` in the imports. The seed's `app` and `checkpointer` are not
# defined there: an agent/tools loop whose "model" is a scripted stand-in (asks for
# add(a=10, b=20), then answers with the tool's result; no LLM), compiled with an InMemorySaver,
# is added, and the seed's top-level `await`s run in `async def main()`.
# Two lines cannot run as written, in LangGraph either: neither a CheckpointTuple (what
# `checkpointer.alist` yields) nor a StateSnapshot has a `checkpoint_id` attribute; it is in
# their config, so `c.checkpoint_id` became `c.config["configurable"]["checkpoint_id"]` and
# `checkpoints[1].checkpoint_id` became `checkpoints[1].config["configurable"]["checkpoint_id"]`.
# Also, the seed's comments number the history oldest first ("Checkpoint 0: Input"), but
# `aget_state_history` yields the newest first: `checkpoints[1]` is the one before the final
# answer (after the calculator returned 30), and replaying it runs the agent's last step again.
# Prints of the step numbers and of the replay are added.
import asyncio

from engine.checkpoint.memory import InMemorySaver
from engine.graph import END, START, MessagesState, StateGraph
from engine.messages import AIMessage, ToolMessage

def call_model(state: MessagesState) -> dict:  # stand-in for the LLM
    last = state["messages"][-1]
    if isinstance(last, ToolMessage):
        return {"messages": [AIMessage(f"10 + 20 = {last.content}")]}
    return {"messages": [AIMessage("", tool_calls=[{"name": "add", "args": {"a": 10, "b": 20}, "id": "call_1"}])]}

def tool_node(state: MessagesState) -> dict:
    call = state["messages"][-1].tool_calls[0]
    return {"messages": [ToolMessage(str(call["args"]["a"] + call["args"]["b"]), tool_call_id=call["id"])]}

def should_continue(state: MessagesState) -> str:
    return "tools" if state["messages"][-1].tool_calls else END

workflow = StateGraph(MessagesState)
workflow.add_node("agent", call_model)
workflow.add_node("tools", tool_node)
workflow.add_edge(START, "agent")
workflow.add_conditional_edges("agent", should_continue, ["tools", END])
workflow.add_edge("tools", "agent")
checkpointer = InMemorySaver()
app = workflow.compile(checkpointer=checkpointer)

async def main():
    # Execute graph normally
    result = await app.ainvoke(
        {"messages": [("human", "Calculate 10 + 20")]},
        config={"configurable": {"thread_id": "debug-1"}}
    )
    config = {"configurable": {"thread_id": "debug-1"}}  # added (the Checkpoint API section's)

    # --- Checkpoint API ---
    # Get latest state
    state = await app.aget_state(config)

    print(state.values["messages"][-1].content)  # Current state dict (added: its last message only)
    print(state.next)    # Next nodes to execute
    print({k: state.metadata[k] for k in ("source", "step")})  # Checkpoint metadata (added: two keys)

    # Get state history
    history = app.aget_state_history(config)

    async for checkpoint in history:
        print(f"Checkpoint {checkpoint.metadata['step']}: {len(checkpoint.values.get('messages', []))} messages")  # changed: a count, not the values

    # List specific checkpoints
    checkpoints = checkpointer.alist(
        config,
        filter={"source": "loop"},
        limit=10
    )

    async for c in checkpoints:
        print(bool(c.config["configurable"]["checkpoint_id"]), c.metadata["source"], c.metadata["step"])  # changed: see the header

    # --- Time Travel Debugging ---
    # Later: User reports wrong answer, investigate

    # Get state history
    history = app.aget_state_history(
        {"configurable": {"thread_id": "debug-1"}}
    )

    checkpoints = [c async for c in history]
    print("history steps:", [c.metadata["step"] for c in checkpoints])  # added

    # Replay from checkpoint 1
    replay_config = {
        "configurable": {
            "thread_id": "debug-1",
            "checkpoint_id": checkpoints[1].config["configurable"]["checkpoint_id"]  # changed: see the header
        }
    }
    print("replaying from step", checkpoints[1].metadata["step"], "next", checkpoints[1].next)  # added

    # Re-execute from that point (with debugger attached)
    result = await app.ainvoke(None, config=replay_config)
    print("replay answer:", result["messages"][-1].content)  # added
    after = [(c.metadata["step"], c.metadata["source"]) async for c in app.aget_state_history(config)]  # added
    print("history after the replay:", after)  # added

asyncio.run(main())
