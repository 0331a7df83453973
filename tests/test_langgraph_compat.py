"""Seed code written for LangGraph runs with `langgraph` replaced by `engine` in its imports.

Each snippet is the seed's code as written, only the import lines changed.
"""

from __future__ import annotations

import contextlib
import io
import textwrap

import pytest

SEED_000_THREAD_ISOLATION = '''
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

config_a = {"configurable": {"thread_id": "alice_session_1"}}
result_a = graph.invoke(
    {"messages": [{"role": "user", "content": "Hi"}], "user_name": "Alice", "topic": "Python"},
    config_a
)

config_b = {"configurable": {"thread_id": "bob_session_1"}}
result_b = graph.invoke(
    {"messages": [{"role": "user", "content": "Hey"}], "user_name": "Bob", "topic": "Rust"},
    config_b
)

state_a = graph.get_state(config_a)
state_b = graph.get_state(config_b)
print(f"Alice sees: {state_a.values['user_name']}, {state_a.values['topic']}")
print(f"Bob sees:   {state_b.values['user_name']}, {state_b.values['topic']}")
'''

SEED_000_FIXED_SEARCH = '''
from typing import Annotated, TypedDict
from operator import add
from engine.graph import StateGraph, START, END

class FixedSearchState(TypedDict):
    query: str
    results: Annotated[list[dict], add]
    total_score: Annotated[float, lambda a, b: a + b]
    search_count: Annotated[int, lambda a, b: a + b]

def web_search_node(state):
    return {
        "results": [{"source": "web", "title": "Web Result 1", "score": 0.8}],
        "total_score": 0.8,
        "search_count": 1
    }

def doc_search_node(state):
    return {
        "results": [{"source": "docs", "title": "Doc Result 1", "score": 0.9}],
        "total_score": 0.9,
        "search_count": 1
    }

def merge_node(state):
    """Final node that reports results."""
    return {}

def build_parallel_graph(state_class):
    builder = StateGraph(state_class)
    builder.add_node("web_search", web_search_node)
    builder.add_node("doc_search", doc_search_node)
    builder.add_node("merge", merge_node)
    builder.add_edge(START, "web_search")
    builder.add_edge(START, "doc_search")
    builder.add_edge("web_search", "merge")
    builder.add_edge("doc_search", "merge")
    builder.add_edge("merge", END)
    return builder.compile()

initial = {"query": "concurrency", "results": [], "total_score": 0.0, "search_count": 0}

fixed = build_parallel_graph(FixedSearchState)
fixed_result = fixed.invoke(initial)
print(f"  Results: {len(fixed_result['results'])} (expected 2)")
print(f"  Total score: {fixed_result['total_score']:.1f} (expected 1.7)")
print(f"  Search count: {fixed_result['search_count']} (expected 2)")
'''

SEED_001_AGENT_LOOP = '''
from typing import Annotated, TypedDict
from operator import add
from engine.graph import StateGraph, END
from engine.graph.message import add_messages

class AgentState(TypedDict):
    messages: Annotated[list, add_messages]
    counter: Annotated[int, add]
    documents: Annotated[list[str], add]
    current_user: str

def call_model(state):
    if len(state["messages"]) < 3:
        return {"messages": [("ai", "calling a tool")], "counter": 1}
    return {"messages": [("ai", "done")], "counter": 1}

def tool_node(state):
    return {"messages": [{"role": "tool", "content": "ok", "tool_call_id": "1"}], "documents": ["doc1"]}

def should_continue(state):
    return "end" if state["messages"][-1].content == "done" else "continue"

workflow = StateGraph(AgentState)
workflow.add_node("agent", call_model)
workflow.add_node("tools", tool_node)
workflow.set_entry_point("agent")
workflow.add_conditional_edges(
    "agent",
    should_continue,
    {
        "continue": "tools",
        "end": END
    }
)
workflow.add_edge("tools", "agent")
app = workflow.compile()
result = app.invoke({"messages": [("human", "Hi")], "current_user": "Alice"})
print(result["counter"], result["documents"], result["messages"][-1].content, result["current_user"])
'''


def run_snippet(code: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(textwrap.dedent(code), "<seed>", "exec", dont_inherit=True), {"__name__": "seed"})
    return out.getvalue()


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (SEED_000_THREAD_ISOLATION, "Alice sees: Alice, Python\nBob sees:   Bob, Rust\n"),
        (
            SEED_000_FIXED_SEARCH,
            "  Results: 2 (expected 2)\n  Total score: 1.7 (expected 1.7)\n  Search count: 2 (expected 2)\n",
        ),
        (SEED_001_AGENT_LOOP, "2 ['doc1'] done Alice\n"),
    ],
    ids=["seed000-thread-isolation", "seed000-fixed-search", "seed001-agent-loop"],
)
def test_seed_code_runs_unchanged_but_for_imports(code: str, expected: str) -> None:
    assert "langgraph" not in code
    assert run_snippet(code) == expected


def test_a_checkpoint_reads_like_langgraphs_typeddict() -> None:
    from typing import TypedDict

    from engine.checkpoint.memory import InMemorySaver
    from engine.graph import START, StateGraph

    class X(TypedDict):
        x: int

    builder = StateGraph(X)
    builder.add_node("n", lambda state: {"x": 1}).add_edge(START, "n")
    saver = InMemorySaver()
    builder.compile(checkpointer=saver).invoke({"x": 0}, {"configurable": {"thread_id": "t"}})
    saved = saver.get_tuple({"configurable": {"thread_id": "t"}})
    assert saved.checkpoint["id"] == saved.config["configurable"]["checkpoint_id"]
    assert saved.checkpoint["channel_values"]["x"] == 1
    assert saved.checkpoint.get("pending_sends") == []
    assert saved.checkpoint.get("updated_channels", "absent") == "absent"
    with pytest.raises(KeyError):
        saved.checkpoint["serde"]


def test_a_plain_builtin_state_is_refused_rather_than_run_without_keys() -> None:
    from engine.graph import StateGraph

    for schema in (dict, list, int):
        with pytest.raises(NotImplementedError, match="root channel"):
            StateGraph(schema)
