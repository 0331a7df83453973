"""Seed 001's "Updating State Manually": an operations agent asked to "Clean up unused databases"
proposes ``delete_database("production")``, and a person approves, rejects or edits the call.

Destructive tool calls pause the run with :func:`engine.types.interrupt`; the payload and the
answers follow LangGraph's Agent Inbox convention (``HumanInterrupt`` / ``HumanResponse``):

- payload ``{"action_request": {"action": tool, "args": {...}}, "config": {"allow_accept", ...},
  "description": str}``;
- answers ``{"type": "accept"}`` (run it), ``{"type": "response", "args": reason}`` (do not run
  it; the reason goes back to the model) and ``{"type": "edit", "args": {"action": tool,
  "args": {...}}}`` (run it with these arguments).

The tools node asks about every destructive call before it runs any tool, so a resumed node
(which runs again from its start) never repeats a side effect. :class:`Infrastructure` counts
what actually ran, so a double execution is visible.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from engine.graph import END, START, MessagesState, StateGraph
from engine.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from engine.types import interrupt

DESTRUCTIVE = frozenset({"delete_database"})
REJECTED = "Rejected by a person"


@dataclass
class Infrastructure:
    """Pretend databases. ``calls`` counts each tool that really ran (tests assert on it)."""

    databases: dict[str, str] = field(
        default_factory=lambda: {
            "production": "last used today",
            "staging_old": "last used 2024-01-03",
            "test_2019": "last used 2019-06-30",
        }
    )
    archived: list[str] = field(default_factory=list)
    calls: Counter = field(default_factory=Counter)

    def run(self, tool: str, args: dict[str, Any]) -> str:
        self.calls[tool] += 1
        name = str(args.get("name", ""))
        if tool == "list_databases":
            return "; ".join(f"{db} ({used})" for db, used in self.databases.items()) or "no databases"
        if name not in self.databases:
            return f"error: there is no database {name!r}"
        if tool == "delete_database":
            del self.databases[name]
            return f"deleted {name}"
        if tool == "archive_database":
            self.archived.append(name)
            return f"archived {name} (it can be restored)"
        return f"error: unknown tool {tool!r}"


def _call(name: str, args: dict[str, Any], n: int) -> dict[str, Any]:
    return {"name": name, "args": args, "id": f"call_{n}"}


class OpsModel:
    """A deterministic stand-in for a tool-calling model: it lists the databases, then proposes
    deleting the first one listed (the mistake a person must catch); told no, it archives the
    unused ones instead; after tool results it reports what happened."""

    def invoke(self, messages: list[BaseMessage]) -> AIMessage:
        last, n = messages[-1], len(messages)
        if isinstance(last, HumanMessage):
            return AIMessage("Let me see which databases exist.", tool_calls=[_call("list_databases", {}, n)])
        results = _last_results(messages)
        if any(r.name == "list_databases" for r in results):
            first = str(results[0].content).split(" (", 1)[0]
            return AIMessage(
                f"I will delete {first} to clean up.", tool_calls=[_call("delete_database", {"name": first}, n)]
            )
        if any(str(r.content).startswith(REJECTED) for r in results):
            unused = ["staging_old", "test_2019"]
            return AIMessage(
                "Understood, I will not delete anything. Archiving the unused databases instead, "
                "so they can be restored.",
                tool_calls=[_call("archive_database", {"name": db}, n + i) for i, db in enumerate(unused)],
            )
        return AIMessage("Done: " + "; ".join(str(r.content) for r in results) + ".")


def _last_results(messages: list[BaseMessage]) -> list[ToolMessage]:
    results: list[ToolMessage] = []
    for message in reversed(messages):
        if not isinstance(message, ToolMessage):
            break
        results.insert(0, message)
    return results


def approval_request(call: dict[str, Any]) -> dict[str, Any]:
    """The interrupt payload for a destructive tool call (Agent Inbox ``HumanInterrupt``)."""
    shown = ", ".join(f"{k}={v!r}" for k, v in call["args"].items())
    return {
        "action_request": {"action": call["name"], "args": dict(call["args"])},
        "config": {"allow_accept": True, "allow_edit": True, "allow_respond": True, "allow_ignore": False},
        "description": f"{call['name']}({shown}) cannot be undone. Approve it, reject it with a "
        "reason, or edit its arguments.",
    }


def _decide(call: dict[str, Any], answer: Any) -> tuple[dict[str, Any] | None, str | None]:
    """(the call to run, or None) and the rejection text, from a person's answer."""
    kind = answer.get("type") if isinstance(answer, dict) else None
    if kind == "accept":
        return call, None
    if kind == "edit" and isinstance(answer.get("args"), dict):
        args = answer["args"].get("args", answer["args"])
        return {**call, "args": dict(args) if isinstance(args, dict) else call["args"]}, None
    reason = answer.get("args") if isinstance(answer, dict) else answer
    return None, f"{REJECTED}: {reason or 'no reason given'}. The tool did not run."


def make_graph(infra: Infrastructure, model: OpsModel | None = None) -> StateGraph:
    """The agent/tools loop over ``infra``; the tools node asks before destructive calls."""
    model = model or OpsModel()

    def agent(state: MessagesState) -> dict:
        return {"messages": [model.invoke(state["messages"])]}

    def tools(state: MessagesState) -> dict:
        request = state["messages"][-1]
        decisions = [
            _decide(call, interrupt(approval_request(call))) if call["name"] in DESTRUCTIVE else (call, None)
            for call in request.tool_calls
        ]
        out: list[BaseMessage] = []
        edited = [run for (run, _), call in zip(decisions, request.tool_calls) if run is not None and run != call]
        if edited:  # the request as it was run, so the history shows the edited arguments
            by_id = {c["id"]: c for c in edited}
            calls = [by_id.get(c["id"], c) for c in request.tool_calls]
            out.append(AIMessage(request.content, tool_calls=calls, id=request.id))
        for (run, rejection), call in zip(decisions, request.tool_calls):
            text = rejection if run is None else infra.run(run["name"], run["args"])
            out.append(ToolMessage(text, tool_call_id=call["id"], name=call["name"]))
        return {"messages": out}

    def route(state: MessagesState) -> Literal["tools", "end"]:
        last = state["messages"][-1]
        return "tools" if isinstance(last, AIMessage) and last.tool_calls else "end"

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent).add_node("tools", tools)
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", route, {"tools": "tools", "end": END})
    return builder.add_edge("tools", "agent")


infrastructure = Infrastructure()
graph = make_graph(infrastructure)
QUESTION = {"messages": [("human", "Clean up unused databases")]}
