"""The sample graphs of the seeds' failure scenarios: seed 002's iteration counter, a flaky tool
recovered by resuming or by a retry policy, and parallel tasks behind a rate limiter."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from engine.checkpoint.sqlite import AsyncSqliteSaver
from engine.errors import InvalidUpdateError
from engine.messages import AIMessage, ToolMessage
from engine.pregel.pending import TaskOutcome, task_outcomes
from engine.pregel.runtime import RunEnv
from sample_graphs import flaky_tools, iteration_counter, rate_limited
from sample_graphs.demo import SAMPLE_GRAPHS, demo_graphs, write_demo_database


def cfg(thread: str = "t") -> dict:
    return {"configurable": {"thread_id": thread}}


class FakeClock:
    """Monotonic seconds that move only when someone sleeps (every sleep still yields)."""

    t = 0.0

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds
        await asyncio.sleep(0)


async def outcomes_of(graph, node: str, thread: str = "t") -> list[TaskOutcome]:
    """The recorded outcomes of ``node``'s tasks (the newest step that ran it)."""
    async for saved in graph.checkpointer.alist(cfg(thread)):
        found = [o for o in task_outcomes(saved.pending_writes).values() if o.node == node]
        if found:
            return found
    raise AssertionError(f"no recorded task of {node!r}")


# Seed 002: an iteration counter written by two parallel nodes -------------------------------


async def test_the_buggy_iteration_counter_is_rejected_naming_the_field_and_both_writers(saver) -> None:
    graph = iteration_counter.buggy_graph.compile(checkpointer=saver)

    with pytest.raises(InvalidUpdateError) as info:
        await graph.ainvoke(iteration_counter.TOPIC, cfg())

    message = str(info.value)
    assert "'current_iteration' was written by 2 tasks" in message
    assert "'critic'" in message and "'researcher'" in message and "Annotated" in message
    state = await graph.aget_state(cfg())
    assert state.values.get("current_iteration") is None  # neither write was kept
    assert sorted(state.next) == ["critic", "researcher"]  # the failed step, to run again


async def test_the_fixed_graph_derives_the_depth_from_its_execution_path(saver) -> None:
    graph = iteration_counter.graph.compile(checkpointer=saver)

    out = await graph.ainvoke(iteration_counter.TOPIC, cfg())

    one_round = ["planner", "critic", "researcher", "synthesize"]
    assert out["execution_path"] == one_round * iteration_counter.ROUNDS
    assert iteration_counter.iteration_depth(out) == iteration_counter.ROUNDS == 2
    assert "current_iteration" not in out
    assert [n.split(":")[0] for n in out["notes"][4:6]] == ["round 2 planner", "round 2 critic"]
    parallel = [s async for s in graph.aget_state_history(cfg()) if sorted(s.metadata["writes"] or {}) == ["critic", "researcher"]]
    assert len(parallel) == 2  # both rounds ran the two nodes in one super-step


def test_iteration_depth_of_an_empty_state_is_zero() -> None:
    assert iteration_counter.iteration_depth({}) == 0
    assert iteration_counter.iteration_depth({"execution_path": ["planner", "critic"]}) == 0


# A flaky tool: resume the failed step, or retry the node -------------------------------------


async def test_a_failed_tool_step_keeps_the_sibling_and_resuming_runs_only_the_failed_task(saver) -> None:
    service = flaky_tools.FlakyService()
    graph = flaky_tools.make_graph(service).compile(checkpointer=saver)

    with pytest.raises(ConnectionError, match="weather service unavailable"):
        await graph.ainvoke(flaky_tools.QUESTION, cfg())

    state = await graph.aget_state(cfg())
    assert state.next == ("tools",)  # only the failed task still has to run
    failed, finished = state.tasks
    assert failed.error["type"] == "ConnectionError" and failed.result is None
    assert finished.error is None
    assert finished.result["messages"][0].content == "1 EUR = 1.08 USD"
    assert service.calls == {"weather": 1, "exchange_rate": 1}

    out = await graph.ainvoke(None, cfg())

    assert service.calls == {"weather": 2, "exchange_rate": 1}  # the sibling was not run again
    tools = [m for m in out["messages"] if isinstance(m, ToolMessage)]
    assert [(m.name, m.content) for m in tools] == [
        ("weather", "Paris: 18°C, light rain"),
        ("exchange_rate", "1 EUR = 1.08 USD"),
    ]
    assert out["messages"][-1].content == "For your trip: Paris: 18°C, light rain; 1 EUR = 1.08 USD."
    weather = next(o for o in await outcomes_of(graph, "tools") if o.sent["call"]["name"] == "weather")
    assert weather.failed_then_finished  # the failure stays on record under the step
    assert [a.get("error", {}).get("type") for a in weather.attempts] == ["ConnectionError", None]


async def test_with_a_retry_policy_one_run_succeeds_and_both_attempts_are_recorded(saver) -> None:
    clock = FakeClock()
    service = flaky_tools.FlakyService()
    graph = flaky_tools.make_graph(service, retry=True).compile(checkpointer=saver)
    graph.env = RunEnv(sleep=clock.sleep)

    out = await graph.ainvoke(flaky_tools.QUESTION, cfg())

    assert isinstance(out["messages"][-1], AIMessage) and "18°C" in out["messages"][-1].content
    assert service.calls == {"weather": 2, "exchange_rate": 1}
    assert clock() == flaky_tools.RETRY.initial_interval  # one wait, before the one retry
    by_tool = {o.sent["call"]["name"]: o for o in await outcomes_of(graph, "tools")}
    weather = by_tool["weather"].attempts
    assert len(weather) == 2
    assert weather[0]["error"]["type"] == "ConnectionError" and "error" not in weather[1]
    assert weather[0]["run"] == weather[1]["run"]  # both in the one run, not a resume
    assert len(by_tool["exchange_rate"].attempts) == 1


def test_the_retry_policy_only_retries_connection_errors() -> None:
    assert flaky_tools.RETRY.retries(ConnectionError("reset"))
    assert not flaky_tools.RETRY.retries(ValueError("a bug"))
    assert flaky_tools.RETRY.max_attempts == 3 and not flaky_tools.RETRY.jitter


# Parallel tasks behind a rate limiter ---------------------------------------------------------


async def test_the_token_bucket_bursts_to_capacity_then_refills_at_its_rate() -> None:
    clock = FakeClock()
    bucket = rate_limited.TokenBucket(rate_per_s=20, capacity=2, clock=clock, sleep=clock.sleep)
    granted = []
    for _ in range(4):
        await bucket.acquire()
        granted.append(clock())
    assert granted == pytest.approx([0.0, 0.0, 0.05, 0.10])

    clock.t += 10  # idle for long: refills to capacity, no more
    await bucket.acquire()
    await bucket.acquire()
    assert bucket.tokens == pytest.approx(0.0) and clock() == pytest.approx(10.10)
    with pytest.raises(ValueError):
        rate_limited.TokenBucket(rate_per_s=0, capacity=1)


@pytest.mark.parametrize("latency", [0.0, 1.0])
async def test_parallel_fetches_never_exceed_the_capacity_and_are_reduced_in_send_order(saver, latency) -> None:
    clock = FakeClock()
    api = rate_limited.SharedAPI(
        rate_limited.TokenBucket(rate_per_s=20, capacity=2, clock=clock, sleep=clock.sleep), latency_s=latency
    )
    graph = rate_limited.make_graph(api).compile(checkpointer=saver)

    out = await graph.ainvoke(rate_limited.PAGES, cfg())

    # Two at once, never more; with slow calls the bucket alone would let all four in (it
    # refills faster than they finish): the connection slots hold it.
    assert api.max_in_flight == 2
    assert [r["page"] for r in out["results"]] == rate_limited.PAGES["pages"]
    assert out["report"] == "4 pages fetched, 94 items: /users, /orders, /invoices, /products"
    if latency == 0.0:  # a burst of two, then one every 50 ms as tokens refill
        assert [t for _, t in api.started] == pytest.approx([0.0, 0.0, 0.05, 0.10])
    fetches = await outcomes_of(graph, "fetch")
    assert sorted(o.sent["page"] for o in fetches) == sorted(rate_limited.PAGES["pages"])
    assert all(o.started_at and o.duration_ms is not None for o in fetches)  # the engine timed each


async def test_the_module_level_graph_runs_in_more_than_one_event_loop() -> None:
    graph = rate_limited.graph.compile()  # its lock and slots are made anew in each loop
    assert len((await graph.ainvoke(rate_limited.PAGES))["results"]) == 4
    assert await asyncio.to_thread(lambda: len(asyncio.run(graph.ainvoke(rate_limited.PAGES))["results"])) == 4


# The demo --------------------------------------------------------------------------------------


async def test_the_demo_writes_the_seed_scenarios_first_with_their_outcomes(tmp_path: Path) -> None:
    runs = await write_demo_database(tmp_path / "demo.db")

    expected = [
        ("research-team", "done"),
        ("preferences-conflict", "done"),
        ("rate-limited", "done"),
        ("flaky-failed", "error"),
        ("flaky-resumed", "done"),
        ("flaky-retried", "done"),
        ("iteration-fixed", "done"),
        ("iteration-buggy", "error"),
    ]
    assert [(r.thread_id, r.status) for r in runs[: len(expected)]] == expected
    assert runs[len(expected)].thread_id == "map-reduce"  # the older threads follow, as before
    errors = {r.thread_id: r.error for r in runs if r.error}
    assert errors["flaky-failed"].startswith("ConnectionError: weather service unavailable")
    assert errors["iteration-buggy"].startswith("InvalidUpdateError:") and "current_iteration" in errors["iteration-buggy"]

    async with AsyncSqliteSaver.from_conn_string(tmp_path / "demo.db") as saver:
        graphs = {g.graph_ref: g for g in demo_graphs()}
        flaky = graphs[SAMPLE_GRAPHS["flaky_tools"]].with_checkpointer(saver)
        failed = await flaky.aget_state(cfg("flaky-failed"))
        assert failed.next == ("tools",) and failed.tasks[0].error["type"] == "ConnectionError"
        resumed = await flaky.aget_state(cfg("flaky-resumed"))
        assert resumed.next == () and "18°C" in resumed.values["messages"][-1].content
        retried = graphs[SAMPLE_GRAPHS["flaky_tools (retry)"]].with_checkpointer(saver)
        weather = next(o for o in await outcomes_of(retried, "tools", "flaky-retried") if o.sent["call"]["name"] == "weather")
        assert len(weather.attempts) == 2 and weather.attempts[0]["error"]["type"] == "ConnectionError"
        fixed = graphs[SAMPLE_GRAPHS["iteration_counter"]].with_checkpointer(saver)
        assert iteration_counter.iteration_depth((await fixed.aget_state(cfg("iteration-fixed"))).values) == 2
        limited = graphs[SAMPLE_GRAPHS["rate_limited"]].with_checkpointer(saver)
        assert len((await limited.aget_state(cfg("rate-limited"))).values["results"]) == 4
