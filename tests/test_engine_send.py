"""``Send``: each becomes a task of the next super-step with its own input, applied in the order
sent, as LangGraph 1.2.22 does (checked side by side: values, history, next, task paths)."""

from __future__ import annotations

import operator
import time
from typing import Annotated, TypedDict

import pytest

from engine.errors import UnknownNodeError
from engine.graph import END, START, StateGraph
from engine.types import Command, Send


class S(TypedDict, total=False):
    topics: list
    summaries: Annotated[list, operator.add]


def cfg(thread: str = "t") -> dict:
    return {"configurable": {"thread_id": thread}}


def map_reduce(calls: dict[str, int], fail_on: str | None = None) -> StateGraph:
    def summarize(arg: dict) -> S:
        calls[arg["topic"]] = calls.get(arg["topic"], 0) + 1
        if arg["topic"] == fail_on and calls[arg["topic"]] == 1:
            raise RuntimeError(f"{fail_on} failed once")
        time.sleep(0.05 if arg["topic"] == "a" else 0)  # the first one finishes last
        return {"summaries": [f"sum:{arg['topic']}"]}

    b = StateGraph(S)
    b.add_node("plan", lambda s: {}).add_node("summarize", summarize)
    b.add_node("reduce", lambda s: {"summaries": [f"n={len(s['summaries'])}"]})
    b.add_edge(START, "plan")
    b.add_conditional_edges("plan", lambda s: [Send("summarize", {"topic": t}) for t in s["topics"]], ["summarize"])
    return b.add_edge("summarize", "reduce").add_edge("reduce", END)


def test_sends_fan_out_and_their_writes_are_applied_in_the_order_sent(saver) -> None:
    calls: dict[str, int] = {}
    graph = map_reduce(calls).compile(checkpointer=saver)

    out = graph.invoke({"topics": ["a", "b", "a"]}, cfg())

    assert out == {"topics": ["a", "b", "a"], "summaries": ["sum:a", "sum:b", "sum:a", "n=3"]}
    history = [(s.metadata["step"], s.next, [t.path for t in s.tasks]) for s in graph.get_state_history(cfg())]
    assert history[2] == (
        1, ("summarize", "summarize", "summarize"),
        [("__pregel_push", 0), ("__pregel_push", 1), ("__pregel_push", 2)],
    )
    step1 = next(s for s in graph.get_state_history(cfg()) if s.metadata["step"] == 1)
    assert len({t.id for t in step1.tasks}) == 3  # two sends to one node are two tasks
    assert [t.result for t in step1.tasks] == [{"summaries": ["sum:a"]}, {"summaries": ["sum:b"]}, {"summaries": ["sum:a"]}]
    assert step1.metadata["writes"] == {"plan": []}  # the step before: plan wrote no key


def test_a_failed_pushed_task_is_the_only_one_run_again(saver) -> None:
    calls: dict[str, int] = {}
    graph = map_reduce(calls, fail_on="b").compile(checkpointer=saver)
    with pytest.raises(RuntimeError, match="b failed once"):
        graph.invoke({"topics": ["a", "b", "c"]}, cfg())
    assert graph.get_state(cfg()).next == ("summarize",)  # a and c finished; b waits

    out = graph.invoke(None, cfg())

    assert out["summaries"] == ["sum:a", "sum:b", "sum:c", "n=3"]
    assert calls == {"a": 1, "b": 2, "c": 1}


def test_command_goto_can_send_and_breakpoints_stop_before_pushed_tasks(saver) -> None:
    calls: dict[str, int] = {}
    b = StateGraph(S)
    b.add_node("router", lambda s: Command(goto=[Send("summarize", {"topic": "x"}), Send("summarize", {"topic": "y"})]))
    b.add_node("summarize", lambda arg: calls.update({arg["topic"]: 1}) or {"summaries": [arg["topic"]]})
    b.add_edge(START, "router")
    with pytest.warns(UserWarning, match="not reachable"):
        graph = b.compile(checkpointer=saver, interrupt_before=["summarize"])

    assert graph.invoke({"topics": []}, cfg())["summaries"] == []
    assert graph.get_state(cfg()).next == ("summarize", "summarize") and calls == {}
    assert graph.invoke(None, cfg())["summaries"] == ["x", "y"]


def test_sends_are_kept_in_the_checkpoint_and_a_replay_runs_them_again(saver) -> None:
    calls: dict[str, int] = {}
    graph = map_reduce(calls).compile(checkpointer=saver)
    graph.invoke({"topics": ["a", "b"]}, cfg())
    before_fan_out = next(s for s in graph.get_state_history(cfg()) if s.metadata["step"] == 0)

    graph.invoke(None, before_fan_out.config)  # replay: a fork copy, then the sends again

    assert calls == {"a": 2, "b": 2}
    assert graph.get_state(cfg()).values["summaries"] == ["sum:a", "sum:b", "n=2"]


async def test_the_reader_shows_a_checkpoint_s_pending_sends(sqlite_saver) -> None:
    calls: dict[str, int] = {}
    graph = map_reduce(calls).compile(checkpointer=sqlite_saver, interrupt_before=["summarize"])
    await graph.ainvoke({"topics": ["a", "b"]}, cfg())

    detail = await sqlite_saver.reader.get_checkpoint("t")

    assert detail.pending_sends == [{"node": "summarize", "arg": {"topic": "a"}}, {"node": "summarize", "arg": {"topic": "b"}}]


def test_a_send_to_an_unknown_node_names_it(saver) -> None:
    b = StateGraph(S)
    b.add_node("plan", lambda s: {}).add_edge(START, "plan")
    b.add_conditional_edges("plan", lambda s: [Send("ghost", {})])
    with pytest.raises(UnknownNodeError, match="sends to 'ghost', which is not a node"):
        b.compile(checkpointer=saver).invoke({"topics": []}, cfg())


async def test_each_pushed_task_s_record_says_what_it_was_sent(sqlite_saver) -> None:
    from engine.pregel.pending import task_outcomes

    calls: dict[str, int] = {}
    graph = map_reduce(calls).compile(checkpointer=sqlite_saver)
    await graph.ainvoke({"topics": ["a", "b"]}, cfg())
    fan_out = [s async for s in graph.aget_state_history(cfg()) if s.metadata["step"] == 1][0]

    writes = await sqlite_saver.reader.get_pending_writes("t", fan_out.config["configurable"]["checkpoint_id"])

    outcomes = task_outcomes(writes).values()
    assert sorted((o.pushed, o.sent["topic"], o.writes[0]) for o in outcomes) == [
        (True, "a", ("summaries", ["sum:a"])), (True, "b", ("summaries", ["sum:b"])),
    ]
