"""Node caching (``cache_policy`` + ``compile(cache=...)``), as LangGraph 1.2.22 does it: each
expected value below was printed by LangGraph running the same graph."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

import pytest

from engine.cache.memory import InMemoryCache
from engine.checkpoint.memory import InMemorySaver
from engine.graph import START, StateGraph
from engine.types import CachePolicy, Send


class S(TypedDict, total=False):
    x: int
    result: int
    out: Annotated[list, operator.add]


class Clock:
    t = 1000.0

    def __call__(self) -> float:
        return self.t


def doubling(calls: list, policy: CachePolicy | None = CachePolicy(), **compile_options):
    def expensive(state: S) -> dict:
        calls.append(state["x"])
        if state["x"] < 0:
            raise ValueError("negative")
        return {"result": state["x"] * 2}

    builder = StateGraph(S).add_node("expensive", expensive, cache_policy=policy).add_edge(START, "expensive")
    return builder.compile(**compile_options)


def test_an_input_seen_before_reuses_the_writes_and_says_cached() -> None:
    calls: list = []
    graph = doubling(calls, cache=InMemoryCache())
    assert graph.invoke({"x": 5}) == {"x": 5, "result": 10, "out": []} and calls == [5]
    assert list(graph.stream({"x": 5})) == [{"expensive": {"result": 10}, "__metadata__": {"cached": True}}]
    assert list(graph.stream({"x": 6})) == [{"expensive": {"result": 12}}]
    assert calls == [5, 6]


def test_clear_cache_runs_the_node_again() -> None:
    calls: list = []
    graph = doubling(calls, cache=InMemoryCache())
    graph.invoke({"x": 5})
    graph.clear_cache(["other"])
    graph.invoke({"x": 5})
    assert calls == [5]  # another node's entries only
    graph.clear_cache()
    graph.invoke({"x": 5})
    assert calls == [5, 5]


def test_key_func_decides_what_counts_as_the_same_input() -> None:
    calls: list = []
    graph = doubling(calls, CachePolicy(key_func=lambda s: str(s["x"] % 2)), cache=InMemoryCache())
    assert graph.invoke({"x": 1})["result"] == 2 and graph.invoke({"x": 3})["result"] == 2
    assert calls == [1]


def test_entries_expire_after_ttl_seconds() -> None:
    calls: list = []
    clock = Clock()
    graph = doubling(calls, CachePolicy(ttl=120), cache=InMemoryCache(clock=clock))
    graph.invoke({"x": 1})
    clock.t += 119
    graph.invoke({"x": 1})
    clock.t += 2
    graph.invoke({"x": 1})
    assert calls == [1, 1]


def test_without_a_cache_the_policy_is_unused_and_failures_are_never_cached() -> None:
    calls: list = []
    graph = doubling(calls)
    graph.invoke({"x": 1})
    graph.invoke({"x": 1})
    assert calls == [1, 1]
    failing = doubling(calls := [], cache=InMemoryCache())
    for _ in range(2):
        with pytest.raises(ValueError):
            failing.invoke({"x": -1})
    assert calls == [-1, -1]


def test_a_cached_step_is_checkpointed_like_a_run_one() -> None:
    calls: list = []
    graph = doubling(calls, cache=InMemoryCache(), checkpointer=InMemorySaver())
    graph.invoke({"x": 1}, {"configurable": {"thread_id": "a"}})
    graph.invoke({"x": 1}, {"configurable": {"thread_id": "b"}})
    assert calls == [1]
    history = list(graph.get_state_history({"configurable": {"thread_id": "b"}}))
    assert history[0].values == {"x": 1, "result": 2, "out": []} and history[0].metadata["writes"] == {"expensive": ["result"]}


def test_pushed_tasks_are_cached_by_their_argument() -> None:
    calls: list = []

    def work(arg: dict) -> dict:
        calls.append(arg["item"])
        return {"out": [arg["item"].upper()]}

    builder = StateGraph(S).add_node("work", work, cache_policy=CachePolicy())
    builder.add_conditional_edges(START, lambda s: [Send("work", {"item": i}) for i in ("a", "b", "a")], ["work"])
    graph = builder.compile(cache=InMemoryCache())
    assert graph.invoke({"x": 0})["out"] == ["A", "B", "A"]
    assert graph.invoke({"x": 0})["out"] == ["A", "B", "A"]
    assert sorted(calls) == ["a", "a", "b"]  # the first run's two "a" tasks ran at once: no hit yet


def test_what_is_not_a_cache_or_a_policy_is_refused() -> None:
    with pytest.raises(TypeError, match="compile\\(cache=...\\) takes a cache"):
        doubling([], cache={})
    with pytest.raises(TypeError, match="takes a CachePolicy"):
        StateGraph(S).add_node("a", lambda s: {}, cache_policy={"ttl": 1})
