"""``add_node`` options from LangGraph 1.2.22: ``defer``, ``timeout`` (and ``TimeoutPolicy``),
``trace_policy``; each expected value below was printed by LangGraph running the same graph."""

from __future__ import annotations

import asyncio
import operator
from datetime import timedelta
from typing import Annotated, TypedDict

import pytest

from engine.checkpoint.memory import InMemorySaver
from engine.errors import NodeError, NodeTimeoutError
from engine.graph import START, StateGraph
from engine.types import RetryPolicy, TimeoutPolicy


class S(TypedDict, total=False):
    log: Annotated[list, operator.add]


def logs(name: str):
    def node(state: S) -> dict:
        return {"log": [name]}
    return node


def deferred_graph() -> StateGraph:
    """a and b start; d has edges from a (step 1) and b2 (step 2), and waits for the end."""
    builder = StateGraph(S)
    for name in ["a", "b", "b2", "c", "d"]:
        builder.add_node(name, logs(name), defer=name == "d")
    builder.add_edge(START, "a").add_edge(START, "b").add_edge("b", "b2").add_edge("a", "c")
    return builder.add_edge("a", "d").add_edge("b2", "d")


def test_a_deferred_node_runs_once_when_nothing_else_is_left() -> None:
    graph = deferred_graph().compile()
    assert graph.invoke({"log": []}) == {"log": ["a", "b", "b2", "c", "d"]}
    assert list(graph.stream({"log": []})) == [
        {"a": {"log": ["a"]}}, {"b": {"log": ["b"]}}, {"b2": {"log": ["b2"]}}, {"c": {"log": ["c"]}},
        {"d": {"log": ["d"]}},
    ]


def test_without_defer_the_same_node_runs_as_soon_as_each_edge_fires() -> None:
    builder = StateGraph(S)
    for name in ["a", "b", "b2", "c", "d"]:
        builder.add_node(name, logs(name))
    builder.add_edge(START, "a").add_edge(START, "b").add_edge("b", "b2").add_edge("a", "c")
    graph = builder.add_edge("a", "d").add_edge("b2", "d").compile()
    assert graph.invoke({"log": []}) == {"log": ["a", "b", "b2", "c", "d", "d"]}


def test_a_waiting_deferred_node_is_kept_in_the_checkpoints_and_shown_last() -> None:
    graph = deferred_graph().compile(checkpointer=InMemorySaver(), interrupt_before=["c"])
    config = {"configurable": {"thread_id": "t"}}
    graph.invoke({"log": []}, config)
    assert graph.get_state(config).next == ("b2", "c")  # d waits: other tasks are there
    assert graph.invoke(None, config) == {"log": ["a", "b", "b2", "c", "d"]}  # resumed from the saved trigger


async def test_an_attempt_longer_than_its_timeout_fails_with_node_timeout_error() -> None:
    never = asyncio.Event()

    async def slow(state: S) -> dict:
        await never.wait()
        return {"log": ["never"]}

    graph = StateGraph(S).add_node("slow", slow, timeout=0.05).add_edge(START, "slow").compile()
    with pytest.raises(NodeTimeoutError, match=r"Node 'slow' exceeded its run timeout of 0\.050s"):
        await graph.ainvoke({"log": []})


async def test_a_timed_out_attempt_is_retried_by_the_retry_policy() -> None:
    calls: list[int] = []
    never = asyncio.Event()

    async def flaky(state: S) -> dict:
        calls.append(1)
        if len(calls) == 1:
            await never.wait()
        return {"log": ["second"]}

    for timeout in (timedelta(milliseconds=50), TimeoutPolicy(run_timeout=0.05)):
        calls.clear()
        builder = StateGraph(S).add_node("f", flaky, timeout=timeout, retry_policy=RetryPolicy(initial_interval=0.01))
        assert await builder.add_edge(START, "f").compile().ainvoke({"log": []}) == {"log": ["second"]}
        assert len(calls) == 2  # NodeTimeoutError is retried by LangGraph's default retry_on


def test_timeouts_are_refused_where_they_cannot_work() -> None:
    with pytest.raises(ValueError, match="a timeout needs an async node"):
        StateGraph(S).add_node("s", logs("s"), timeout=1)
    with pytest.raises(ValueError, match="positive number of seconds"):
        StateGraph(S).add_node("s", logs("s"), timeout=-1)
    with pytest.raises(NotImplementedError, match="idle_timeout"):
        StateGraph(S).add_node("s", logs("s"), timeout=TimeoutPolicy(idle_timeout=5))


def test_trace_policy_is_accepted_and_changes_nothing() -> None:
    builder = StateGraph(S).add_node("a", logs("a"), trace_policy=object()).add_edge(START, "a")
    assert builder.compile().invoke({"log": []}) == {"log": ["a"]}


class Trace(TypedDict, total=False):
    trace: Annotated[list, operator.add]


def handled_graph(handler, **node_options) -> StateGraph:
    def work(state: Trace) -> dict:
        raise RuntimeError("boom")

    builder = StateGraph(Trace).add_node("start", lambda s: {"trace": ["start"]})
    builder.add_node("work", work, error_handler=handler, **node_options).add_node("after", lambda s: {"trace": ["after"]})
    return builder.add_edge(START, "start").add_edge("start", "work").add_edge("work", "after")


def test_an_error_handler_runs_in_the_failed_nodes_place_and_the_run_ends_there() -> None:
    seen: list = []

    def handler(state: Trace, error: NodeError) -> dict:
        seen.append((dict(state), error.node, repr(error.error)))
        return {"trace": [f"handled:{error.node}"]}

    graph = handled_graph(handler).compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    assert graph.invoke({"trace": []}, config) == {"trace": ["start", "handled:work"]}  # "after" never runs
    assert seen == [({"trace": ["start"]}, "work", "RuntimeError('boom')")]
    latest = graph.get_state(config)
    assert latest.next == () and latest.metadata["writes"] == {"work": ["trace"]}
    assert latest.metadata["warnings"] == ["node 'work' failed (RuntimeError: boom); its error_handler ran instead"]
    assert list(graph.stream({"trace": []}, {"configurable": {"thread_id": "u"}})) == [
        {"start": {"trace": ["start"]}}, {"__error_handler__work": {"trace": ["handled:work"]}}]


def test_an_error_handler_routes_with_command_goto_after_the_retries() -> None:
    from engine.types import Command

    attempts: list = []

    def handler(state: Trace, failure: NodeError) -> Command:
        attempts.append(failure.node)
        return Command(goto="after", update={"trace": ["handled"]})

    graph = handled_graph(handler, retry_policy=RetryPolicy(max_attempts=2, initial_interval=0.0, retry_on=RuntimeError))
    assert graph.compile().invoke({"trace": []}) == {"trace": ["start", "handled", "after"]}
    assert attempts == ["work"]  # once, after both attempts failed


def test_an_error_handler_needs_somewhere_to_take_the_failure() -> None:
    with pytest.raises(TypeError, match="annotated NodeError"):
        handled_graph(lambda state: {})
    with pytest.raises(TypeError, match="must be a function"):
        handled_graph("handler")
