"""The sample graphs reproduce the seed scenarios through the engine."""

from __future__ import annotations

import pytest

from engine.checkpoint.memory import InMemorySaver
from engine.errors import InvalidUpdateError
from engine.messages import AIMessage, HumanMessage, ToolMessage
from sample_graphs import calculator_agent, parallel_search
from sample_graphs.scripted_model import ScriptedCalculatorModel


def test_calculator_agent_calls_the_tool_then_answers() -> None:
    graph = calculator_agent.graph.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "debug-1"}}
    result = graph.invoke({"messages": [("human", "Calculate 10 + 20")]}, config)
    human, call, tool, answer = result["messages"]
    assert isinstance(human, HumanMessage) and human.content == "Calculate 10 + 20"
    assert isinstance(call, AIMessage)
    assert call.tool_calls == [{"name": "add", "args": {"a": 10.0, "b": 20.0}, "id": "call_1"}]
    assert isinstance(tool, ToolMessage) and tool.content == "30" and tool.tool_call_id == "call_1"
    assert isinstance(answer, AIMessage) and answer.content == "10 + 20 = 30"
    history = list(graph.get_state_history(config))
    assert [s.metadata["step"] for s in history] == [3, 2, 1, 0, -1]
    assert [sorted(s.metadata["writes"]) for s in history[:3]] == [["agent"], ["tools"], ["agent"]]


def test_calculator_agent_remembers_the_thread() -> None:
    graph = calculator_agent.graph.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "two"}}
    graph.invoke({"messages": [("human", "What is 7 * 6?")]}, config)
    result = graph.invoke({"messages": [("human", "And 144 / 12?")]}, config)
    answers = [m.content for m in result["messages"] if isinstance(m, AIMessage) and m.content]
    assert answers == ["7 * 6 = 42", "144 / 12 = 12"]


@pytest.mark.parametrize(
    ("question", "tool"), [("Calculate 3 - 5", "subtract"), ("2 x 4", "multiply"), ("9 / 3", "divide")]
)
def test_scripted_model_picks_the_tool(question: str, tool: str) -> None:
    reply = ScriptedCalculatorModel().invoke([HumanMessage(question)])
    assert reply.tool_calls[0]["name"] == tool


def test_scripted_model_without_arithmetic_replies_in_text() -> None:
    reply = ScriptedCalculatorModel().invoke([HumanMessage("hello")])
    assert reply.tool_calls == [] and "Calculate" in reply.content


def test_fixed_parallel_search_totals() -> None:
    result = parallel_search.graph.compile().invoke(parallel_search.initial_state("concurrency"))
    assert result["search_count"] == 2
    assert result["total_score"] == pytest.approx(1.7)
    assert result["best_score"] == 0.9
    assert [r["source"] for r in result["results"]] == ["docs", "web"]
    assert result["summary"] == "2 searches, 2 results, total score 1.7"


def test_buggy_parallel_search_is_rejected() -> None:
    with pytest.raises(InvalidUpdateError) as info:
        parallel_search.buggy_graph.compile().invoke(parallel_search.initial_state("concurrency"))
    message = str(info.value)
    for key in ("results", "total_score", "search_count"):
        assert repr(key) in message
    assert "'doc_search'" in message and "'web_search'" in message and "Annotated" in message


def test_map_reduce_sends_a_task_per_topic_and_keeps_their_order() -> None:
    from engine.checkpoint.memory import InMemorySaver
    from sample_graphs import map_reduce

    graph = map_reduce.graph.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "m"}}
    out = graph.invoke(map_reduce.TOPICS, config)

    assert out["summaries"] == ["checkpoint storage: 2 words", "reducers: 1 word", "super-step semantics: 2 words"]
    assert out["report"].startswith("3 topics summarised")
    fan_out = next(s for s in graph.get_state_history(config) if s.next == ("summarize",) * 3)
    assert [t.path[0] for t in fan_out.tasks] == ["__pregel_push"] * 3
