"""Where a step's time went: the attempts rows read back as spans, and the step's metadata."""

from __future__ import annotations

import time
from typing import TypedDict

from engine.checkpoint.base import PendingWrite
from engine.constants import ATTEMPTS, ATTEMPTS_IDX, START
from engine.graph import END, StateGraph
from engine.pregel.runtime import RunEnv
from engine.pregel.timing import step_timing
from engine.types import RetryPolicy
from tui.value_format import format_duration


def attempts_row(task: str, node: str, *attempts: dict) -> PendingWrite:
    return PendingWrite(task, node, ATTEMPTS, list(attempts), ATTEMPTS_IDX)


def at(ms: int) -> str:
    return f"2026-12-04T10:00:00.{ms:03d}000+00:00"


def test_tasks_are_spans_from_the_step_start_and_retries_are_counted() -> None:
    writes = [
        attempts_row("t1", "fast", {"run": "r", "started_at": at(0), "ms": 10.0}),
        attempts_row(
            "t2", "slow",
            {"run": "r", "started_at": at(5), "ms": 20.0, "error": {"type": "ConnectionError", "message": "x"}},
            {"run": "r", "started_at": at(100), "ms": 50.0},
        ),
        PendingWrite("t1", "fast", "n", 1, 0),
    ]
    timing = step_timing(writes)
    fast, slow = timing.tasks
    assert (fast.node, fast.offset_ms, fast.duration_ms, fast.attempts, fast.failed) == ("fast", 0.0, 10.0, 1, 0)
    assert (slow.offset_ms, slow.duration_ms, slow.attempts, slow.failed) == (5.0, 145.0, 2, 1)
    assert timing.duration_ms == 150.0


def test_a_task_reused_from_an_earlier_run_has_no_bar_and_earlier_attempts_are_counted() -> None:
    writes = [
        attempts_row("t1", "ok", {"run": "first", "started_at": at(0), "ms": 4.0}),
        attempts_row(
            "t2", "flaky",
            {"run": "first", "started_at": at(1), "ms": 2.0, "error": {"type": "E", "message": ""}},
            {"run": "second", "started_at": "2026-12-04T11:00:00+00:00", "ms": 3.0},
        ),
    ]
    ok, flaky = step_timing(writes).tasks
    assert ok.offset_ms is None and ok.duration_ms is None
    assert (flaky.offset_ms, flaky.duration_ms, flaky.attempts, flaky.earlier_attempts) == (0.0, 3.0, 1, 1)
    assert step_timing(writes).duration_ms == 3.0


def test_damaged_or_missing_timings_are_not_timed_and_never_raise() -> None:
    writes = [
        attempts_row("t1", "a", {"run": "r", "started_at": "not a time", "ms": 1.0}),
        attempts_row("t2", "b", {"run": "r", "started_at": at(0), "ms": float("nan")}),
        attempts_row("t3", "c", {"run": "r", "started_at": "2026-12-04T10:00:00", "ms": 2.0}),  # no zone
        PendingWrite("t4", "d", ATTEMPTS, "not a list", ATTEMPTS_IDX),
        PendingWrite("t5", "e", "n", 1, 0),  # LangGraph keeps no timings
    ]
    timing = step_timing(writes)
    assert [t.duration_ms for t in timing.tasks] == [None] * 5
    assert timing.duration_ms is None


class S(TypedDict, total=False):
    n: int


async def test_a_step_records_its_duration_and_retries_in_its_metadata(saver) -> None:
    ticks = iter(range(1000))
    env = RunEnv(monotonic=lambda: next(ticks) / 100, sleep=lambda s: _nothing(), random=lambda: 0.0)
    failed: list[int] = []

    def flaky(s: S) -> S:
        if not failed:
            failed.append(1)
            raise ConnectionError("once")
        return {"n": 2}

    b = StateGraph(S)
    b.add_node("flaky", flaky, retry_policy=RetryPolicy())
    graph = b.add_edge(START, "flaky").add_edge("flaky", END).compile(checkpointer=saver)
    graph.env = env
    await graph.ainvoke({"n": 1}, {"configurable": {"thread_id": "t"}})

    latest = await graph.aget_state({"configurable": {"thread_id": "t"}})
    assert latest.metadata["retries"] == 1
    assert latest.metadata["duration_ms"] > 0
    first = [s async for s in graph.aget_state_history({"configurable": {"thread_id": "t"}})][-2]
    assert "duration_ms" not in first.metadata  # START's input step runs nothing of the user's


async def _nothing() -> None:
    return None


def test_durations_read_as_a_person_says_them() -> None:
    assert [format_duration(v) for v in (None, 0.2, 12.4, 999.0, 2400.0, 185_000.0)] == [
        "", "<1 ms", "12 ms", "999 ms", "2.4 s", "3m 05s",
    ]


def test_a_real_run_times_its_tasks(saver) -> None:
    def slow(s: S) -> S:
        time.sleep(0.02)
        return {"n": 1}

    b = StateGraph(S)
    graph = b.add_node("slow", slow).add_edge(START, "slow").add_edge("slow", END).compile(checkpointer=saver)
    graph.invoke({"n": 0}, {"configurable": {"thread_id": "t"}})
    assert graph.get_state({"configurable": {"thread_id": "t"}}).metadata["duration_ms"] >= 20
