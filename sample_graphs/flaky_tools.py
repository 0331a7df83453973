"""Seed 001's "fault tolerance: recover from failures without restarting" (the pending writes of
a failed super-step): an agent whose tool calls go to a flaky external service.

The scripted model asks for two tools at once; ``route`` sends each call to its own ``tools``
task (``Send``), so both run in one super-step. ``weather`` is down on its first call (a
deterministic fake: :class:`FlakyService` raises ``ConnectionError`` once per instance),
``exchange_rate`` always answers.

- ``make_graph(service, retry=False)``: the step fails; the finished sibling's writes are kept
  as pending writes, and ``ainvoke(None, config)`` runs only the failed task again.
- ``make_graph(service, retry=True)``: the tools node has a :class:`RetryPolicy`; the run
  succeeds, with both attempts of the ``weather`` task recorded.

In the debugger: ``flaky-failed`` ends in a ``✖`` row for the ``tools`` step (the error, and
under the step's checkpoint what ``exchange_rate`` already wrote); ``flaky-resumed`` shows the
failed attempt beside the successful one of the resumed step; ``flaky-retried`` has one step
with two attempts of the same task (the failed one first).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TypedDict

from engine.graph import END, START, MessagesState, StateGraph
from engine.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from engine.types import RetryPolicy, Send

RETRY = RetryPolicy(max_attempts=3, initial_interval=0.01, jitter=False, retry_on=ConnectionError)
"""The policy of the ``tools`` node in ``make_graph(..., retry=True)``."""


@dataclass
class FlakyService:
    """Pretend external APIs. A tool in ``flaky`` fails with ``ConnectionError`` on its first
    call to this instance and answers after; ``calls`` counts every call per tool (tests assert
    on it: a resumed step must not call a tool that already answered)."""

    flaky: frozenset[str] = frozenset({"weather"})
    calls: Counter = field(default_factory=Counter)

    def call(self, tool: str, args: dict[str, Any]) -> str:
        self.calls[tool] += 1
        if tool in self.flaky and self.calls[tool] == 1:
            raise ConnectionError(f"{tool} service unavailable (connection reset); try again")
        if tool == "weather":
            return f"{args['city']}: 18°C, light rain"
        if tool == "exchange_rate":
            return f"1 {args['base']} = 1.08 {args['quote']}"
        return f"error: unknown tool {tool!r}"


class ToolCall(TypedDict):
    call: dict[str, Any]


class TripModel:
    """A deterministic stand-in for a tool-calling model: a question gets two tool calls at once,
    the tools' answers get a summary of them."""

    def invoke(self, messages: list[BaseMessage]) -> AIMessage:
        last = messages[-1]
        if isinstance(last, HumanMessage):
            n = len(messages)
            return AIMessage(
                "Checking the weather and the exchange rate.",
                tool_calls=[
                    {"name": "weather", "args": {"city": "Paris"}, "id": f"call_{n}_weather"},
                    {"name": "exchange_rate", "args": {"base": "EUR", "quote": "USD"}, "id": f"call_{n}_rate"},
                ],
            )
        results = [m for m in messages if isinstance(m, ToolMessage)]
        return AIMessage("For your trip: " + "; ".join(str(m.content) for m in results) + ".")


def make_graph(service: FlakyService, *, retry: bool = False, model: TripModel | None = None) -> StateGraph:
    """The agent -> tools (a task per tool call) -> agent loop over ``service``."""
    model = model or TripModel()

    def agent(state: MessagesState) -> dict:
        return {"messages": [model.invoke(state["messages"])]}

    def route(state: MessagesState) -> list[Send] | str:
        last = state["messages"][-1]
        calls = last.tool_calls if isinstance(last, AIMessage) else []
        return [Send("tools", ToolCall(call=c)) for c in calls] or END

    def tools(task: ToolCall) -> dict:
        call = task["call"]
        answer = service.call(call["name"], call["args"])
        return {"messages": [ToolMessage(answer, tool_call_id=call["id"], name=call["name"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", tools, retry_policy=RETRY if retry else None)
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", route, ["tools", END])
    return builder.add_edge("tools", "agent")


QUESTION = {"messages": [("human", "I fly to Paris tomorrow: weather, and how far do my dollars go?")]}

service = FlakyService(flaky=frozenset())
"""The service behind the graphs the debugger attaches: up again, nothing fails, so ``c`` on
``flaky-failed`` (or ``retrace run sample_graphs.flaky_tools:graph --thread flaky-failed``)
resumes it at once. The demo's threads each ran on a flaky service of their own."""
graph = make_graph(service)
retrying_graph = make_graph(service, retry=True)
