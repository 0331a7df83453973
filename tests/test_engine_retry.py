"""``RetryPolicy``: a failing node runs again as LangGraph's policy says, and every attempt (its
start, duration and error) is recorded with the step for the debugger."""

from __future__ import annotations

from typing import TypedDict

import pytest

from engine.graph import END, START, StateGraph
from engine.pregel.pending import task_outcomes
from engine.pregel.runtime import RunEnv
from engine.types import RetryPolicy, default_retry_on, interrupt


class S(TypedDict, total=False):
    n: int
    note: str


def cfg(thread: str = "t") -> dict:
    return {"configurable": {"thread_id": thread}}


class FakeClock:
    """A monotonic clock that moves 2 ms per reading, and a sleep that only records."""

    def __init__(self) -> None:
        self.t = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        self.t += 0.002
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    def env(self, rand: float = 0.25) -> RunEnv:
        return RunEnv(monotonic=self.monotonic, sleep=self.sleep, random=lambda: rand)


def flaky_graph(fail_times: int, exc: type[Exception] = ConnectionError, **options) -> tuple[StateGraph, list[int]]:
    calls: list[int] = []

    def flaky(s: S) -> S:
        calls.append(1)
        if len(calls) <= fail_times:
            raise exc(f"failure {len(calls)}")
        return {"n": s["n"] + 1}

    b = StateGraph(S)
    b.add_node("flaky", flaky, **options)
    return b.add_edge(START, "flaky").add_edge("flaky", END), calls


async def attempts_of(graph, node: str) -> list[dict]:
    async for saved in graph.checkpointer.alist(cfg()):
        for outcome in task_outcomes(saved.pending_writes).values():
            if outcome.node == node:
                return list(outcome.attempts)
    raise AssertionError(f"no recorded task of {node!r}")


async def test_a_retried_node_records_every_attempt_with_its_error(saver) -> None:
    clock = FakeClock()
    builder, calls = flaky_graph(2, retry_policy=RetryPolicy(jitter=False))
    graph = builder.compile(checkpointer=saver)
    graph.env = clock.env()

    assert await graph.ainvoke({"n": 1}, cfg()) == {"n": 2}

    assert len(calls) == 3
    assert clock.slept == [0.5, 1.0]  # initial_interval, then times backoff_factor
    attempts = await attempts_of(graph, "flaky")
    assert [a.get("error") for a in attempts] == [
        {"type": "ConnectionError", "message": "failure 1"},
        {"type": "ConnectionError", "message": "failure 2"},
        None,
    ]
    assert [a["ms"] for a in attempts] == [2.0, 2.0, 2.0]
    assert all(isinstance(a["started_at"], str) for a in attempts)


async def test_the_waits_follow_the_policy_with_jitter_and_a_cap(saver) -> None:
    clock = FakeClock()
    policy = RetryPolicy(initial_interval=1.0, backoff_factor=3.0, max_interval=5.0, max_attempts=5)
    builder, _ = flaky_graph(4, retry_policy=policy)
    graph = builder.compile(checkpointer=saver)
    graph.env = clock.env(rand=0.25)

    await graph.ainvoke({"n": 1}, cfg())

    assert clock.slept == [1.25, 3.25, 5.25, 5.25]


async def test_after_the_last_attempt_the_step_fails_and_resuming_runs_it_afresh(saver) -> None:
    clock = FakeClock()
    builder, calls = flaky_graph(3, retry_policy=RetryPolicy(max_attempts=2, jitter=False))
    graph = builder.compile(checkpointer=saver)
    graph.env = clock.env()

    with pytest.raises(ConnectionError, match="failure 2"):
        await graph.ainvoke({"n": 1}, cfg())
    state = await graph.aget_state(cfg())
    assert state.next == ("flaky",)
    assert state.tasks[0].error["type"] == "ConnectionError"
    assert len(await attempts_of(graph, "flaky")) == 2

    assert await graph.ainvoke(None, cfg()) == {"n": 2}  # attempt 3 fails, 4 succeeds
    assert len(calls) == 4
    attempts = await attempts_of(graph, "flaky")
    assert [a.get("error", {}).get("message") for a in attempts] == ["failure 1", "failure 2", "failure 3", None]


@pytest.mark.parametrize("exc", [ValueError, KeyError, RuntimeError, OSError])
async def test_errors_that_mean_the_code_is_wrong_are_not_retried_by_default(saver, exc) -> None:
    builder, calls = flaky_graph(1, exc, retry_policy=RetryPolicy())
    graph = builder.compile(checkpointer=saver)
    graph.env = FakeClock().env()

    with pytest.raises(exc):
        await graph.ainvoke({"n": 1}, cfg())
    assert len(calls) == 1


def test_default_retry_on_follows_langgraph() -> None:
    class Response:
        def __init__(self, status: int) -> None:
            self.status_code = status

    class HTTPStatusError(Exception):
        def __init__(self, status: int) -> None:
            self.response = Response(status)

    assert default_retry_on(ConnectionError()) is True
    assert default_retry_on(TimeoutError()) is False  # an OSError
    assert default_retry_on(HTTPStatusError(503)) is True
    assert default_retry_on(HTTPStatusError(404)) is False
    assert default_retry_on(Exception("other")) is True


async def test_retry_on_a_class_or_a_function_and_the_first_matching_policy_applies(saver) -> None:
    clock = FakeClock()
    policies = [
        RetryPolicy(retry_on=KeyError, max_attempts=2, initial_interval=7, jitter=False),
        RetryPolicy(retry_on=lambda e: "failure" in str(e), max_attempts=4, initial_interval=1, jitter=False),
    ]
    builder, calls = flaky_graph(3, ValueError, retry_policy=policies)
    graph = builder.compile(checkpointer=saver)
    graph.env = clock.env()

    assert await graph.ainvoke({"n": 1}, cfg()) == {"n": 2}
    assert len(calls) == 4 and clock.slept == [1, 2, 4]


async def test_an_interrupt_is_never_retried(saver) -> None:
    calls: list[int] = []

    def ask(s: S) -> S:
        calls.append(1)
        return {"note": interrupt("ok?")}

    b = StateGraph(S)
    b.add_node("ask", ask, retry_policy=RetryPolicy(retry_on=lambda e: True))
    graph = b.add_edge(START, "ask").add_edge("ask", END).compile(checkpointer=saver)
    graph.env = FakeClock().env()

    out = await graph.ainvoke({"n": 1}, cfg())
    assert "__interrupt__" in out and len(calls) == 1
    attempts = await attempts_of(graph, "ask")
    assert attempts[0]["interrupted"] is True


async def test_a_node_without_a_policy_fails_at_once_and_its_attempt_is_timed(saver) -> None:
    builder, calls = flaky_graph(1)
    graph = builder.compile(checkpointer=saver)
    graph.env = FakeClock().env()

    with pytest.raises(ConnectionError):
        await graph.ainvoke({"n": 1}, cfg())
    assert len(calls) == 1
    [attempt] = await attempts_of(graph, "flaky")
    assert attempt["ms"] == 2.0 and attempt["error"]["type"] == "ConnectionError"


def test_retry_is_the_older_name_and_bad_policies_are_refused() -> None:
    builder, _ = flaky_graph(0, retry=RetryPolicy(max_attempts=2))
    assert builder.nodes["flaky"].retry_policy == (RetryPolicy(max_attempts=2),)
    with pytest.raises(TypeError, match="RetryPolicy objects"):
        flaky_graph(0, retry_policy=[{"max_attempts": 2}])
    with pytest.raises(ValueError, match="at least 1"):
        flaky_graph(0, retry_policy=RetryPolicy(max_attempts=0))

