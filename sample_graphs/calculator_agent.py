"""Seed 001's agent/tools loop on ``MessagesState``: "Calculate 10 + 20" -> tool call -> 30."""

from __future__ import annotations

from typing import Literal

from engine.graph import END, START, MessagesState, StateGraph
from engine.messages import AIMessage, ToolMessage
from sample_graphs.scripted_model import ScriptedCalculatorModel

model = ScriptedCalculatorModel()


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


CALCULATOR_TOOLS = {
    "add": lambda a, b: a + b,
    "subtract": lambda a, b: a - b,
    "multiply": lambda a, b: a * b,
    "divide": lambda a, b: a / b,
}


def call_model(state: MessagesState) -> dict:
    return {"messages": [model.invoke(state["messages"])]}


def tool_node(state: MessagesState) -> dict:
    last = state["messages"][-1]
    results = []
    for call in last.tool_calls:
        try:
            value = str(_number(CALCULATOR_TOOLS[call["name"]](**call["args"])))
        except ZeroDivisionError:
            value = "error: division by zero"
        results.append(ToolMessage(value, tool_call_id=call["id"], name=call["name"]))
    return {"messages": results}


def should_continue(state: MessagesState) -> Literal["continue", "end"]:
    last = state["messages"][-1]
    return "continue" if isinstance(last, AIMessage) and last.tool_calls else "end"


graph = StateGraph(MessagesState)
graph.add_node("agent", call_model)
graph.add_node("tools", tool_node)
graph.add_edge(START, "agent")
graph.add_conditional_edges("agent", should_continue, {"continue": "tools", "end": END})
graph.add_edge("tools", "agent")
