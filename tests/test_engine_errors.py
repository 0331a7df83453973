"""Errors a run can end with: invalid updates, the recursion limit, and a failing node (whose
siblings' writes are kept so a resumed run does not redo them)."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

import pytest

from engine.checkpoint.memory import InMemorySaver
from engine.checkpoint.sqlite import AsyncSqliteSaver, CheckpointReader
from engine.constants import ATTEMPTS, ERROR_CHANNEL
from engine.errors import EmptyInputError, GraphRecursionError, InvalidUpdateError
from engine.graph import END, START, StateGraph
from sample_graphs import parallel_search


def cfg(thread_id: str, **extra) -> dict:
    return {"configurable": {"thread_id": thread_id}, **extra}


class LogState(TypedDict):
    n: int
    log: Annotated[list, operator.add]


# --- InvalidUpdateError ------------------------------------------------------------------------


async def test_buggy_parallel_search_names_channels_nodes_and_fix(sqlite_saver):
    graph = parallel_search.buggy_graph.compile(checkpointer=sqlite_saver)

    with pytest.raises(InvalidUpdateError) as caught:
        await graph.ainvoke(parallel_search.initial_state("q"), cfg("buggy"))

    message = str(caught.value)
    for channel in ("results", "total_score", "search_count"):
        assert repr(channel) in message
    assert "'web_search'" in message and "'doc_search'" in message
    assert "Annotated" in message and "reducer" in message
    assert "summary" not in message and "'query'" not in message  # only the conflicting keys
    thread = await sqlite_saver.reader.get_thread("buggy")
    assert thread.status == "error"
    assert thread.error["type"] == "InvalidUpdateError"
    assert thread.latest_step == 0  # the conflicting step saved no checkpoint


async def test_fixed_parallel_search_merges_both_searches(saver):
    graph = parallel_search.graph.compile(checkpointer=saver)

    result = await graph.ainvoke(parallel_search.initial_state("state management"), cfg("fixed"))

    assert result["search_count"] == 2
    assert result["total_score"] == pytest.approx(1.7)
    assert len(result["results"]) == 2
    assert {r["source"] for r in result["results"]} == {"web", "docs"}
    assert result["best_score"] == 0.9
    assert result["summary"] == "2 searches, 2 results, total score 1.7"


def single_node(fn) -> StateGraph:
    builder = StateGraph(LogState)
    builder.add_node("node", fn)
    builder.add_edge(START, "node")
    builder.add_edge("node", END)
    return builder


@pytest.mark.parametrize("returned", [5, "text", ["log"]])
def test_node_returning_a_non_dict_is_an_invalid_update(returned):
    graph = single_node(lambda s: returned).compile()

    with pytest.raises(InvalidUpdateError, match=r"node 'node' returned .*must return a dict"):
        graph.invoke({"n": 0, "log": []})


def test_a_key_a_node_returns_that_the_state_lacks_is_dropped_and_the_step_says_so():
    # LangGraph 1.2.22 drops it silently; retrace drops it too and records why on the step.
    graph = single_node(lambda s: {"n": 1, "typo": 2}).compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}

    assert graph.invoke({"n": 0, "log": []}, config) == {"n": 1, "log": []}

    step = graph.get_state(config)
    assert step.metadata["warnings"] == ["node 'node' returned key 'typo', not in the state: dropped"]
    assert step.metadata["writes"] == {"node": ["n"]}


def test_an_edit_with_a_key_the_state_lacks_is_refused():
    graph = single_node(lambda s: {"n": 1}).compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    graph.invoke({"n": 0, "log": []}, config)

    with pytest.raises(InvalidUpdateError) as caught:
        graph.update_state(config, {"typo": 2})

    message = str(caught.value)
    assert "'typo'" in message and "LogState" in message
    assert "'n'" in message and "'log'" in message  # the keys it could have used


def test_errors_keep_langgraph_s_hierarchy():
    from engine.errors import UnknownNodeError, UnknownRouteError

    assert issubclass(UnknownNodeError, InvalidUpdateError)  # an unknown as_node
    assert issubclass(UnknownRouteError, KeyError) and issubclass(UnknownRouteError, InvalidUpdateError)
    assert str(UnknownRouteError("the router returned 'k'")) == "the router returned 'k'"  # not quoted


# --- recursion limit ---------------------------------------------------------------------------


def counting_loop(limit_guard: int = 200) -> StateGraph:
    """``inc`` loops on itself forever; past ``limit_guard`` calls it raises instead of hanging."""

    def inc(state):
        if state["n"] >= limit_guard:
            raise RuntimeError("the recursion limit did not stop the loop")
        return {"n": state["n"] + 1}

    builder = StateGraph(LogState)
    builder.add_node("inc", inc)
    builder.add_edge(START, "inc")
    builder.add_conditional_edges("inc", lambda s: "inc", ["inc", END])
    return builder


async def test_recursion_limit_raises_and_marks_the_thread_as_error(sqlite_saver):
    graph = counting_loop().compile(checkpointer=sqlite_saver)

    with pytest.raises(GraphRecursionError, match="recursion_limit"):
        await graph.ainvoke({"n": 0, "log": []}, cfg("loop", recursion_limit=5))

    # five super-steps: the input's, then inc four times (the limit counts every step, as LangGraph)
    assert (await graph.aget_state(cfg("loop"))).values["n"] == 4
    thread = await sqlite_saver.reader.get_thread("loop")
    assert thread.status == "error"
    assert thread.error["type"] == "GraphRecursionError"
    (summary,) = await sqlite_saver.reader.list_threads()
    assert summary.status == "error"


def test_default_recursion_limit_is_25():
    with pytest.raises(GraphRecursionError, match="25"):
        counting_loop().compile().invoke({"n": 0, "log": []})


def test_recursion_limit_counts_every_super_step_like_langgraph():
    builder = StateGraph(LogState)
    for name in ("a", "b", "c"):
        builder.add_node(name, lambda s, name=name: {"log": [name]})
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("b", "c")
    builder.add_edge("c", END)
    graph = builder.compile()

    # three node steps plus the input's step: LangGraph's how-to fails this at 3 and passes at 4
    assert graph.invoke({"n": 0, "log": []}, {"recursion_limit": 4})["log"] == ["a", "b", "c"]
    with pytest.raises(GraphRecursionError):
        graph.invoke({"n": 0, "log": []}, {"recursion_limit": 3})


# --- a failing node in a parallel step ----------------------------------------------------------


class Boom(Exception):
    pass


def flaky_graph(calls: dict, broken: dict) -> StateGraph:
    """``ok``, ``quiet`` (writes nothing) and ``bad`` run in parallel; ``after`` joins ok + bad."""

    def ok(state):
        calls["ok"] += 1
        return {"log": ["ok"]}

    def quiet(state):
        calls["quiet"] += 1  # a side effect only: no writes, edge to END

    def bad(state):
        calls["bad"] += 1
        if broken["on"]:
            raise Boom("bad is broken")
        return {"log": ["bad"]}

    def after(state):
        calls["after"] += 1
        return {"log": ["after"]}

    builder = StateGraph(LogState)
    for name, fn in (("ok", ok), ("quiet", quiet), ("bad", bad), ("after", after)):
        builder.add_node(name, fn)
    builder.add_edge(START, "ok")
    builder.add_edge(START, "quiet")
    builder.add_edge(START, "bad")
    builder.add_edge("quiet", END)
    builder.add_edge(["ok", "bad"], "after")
    builder.add_edge("after", END)
    return builder


async def test_failure_keeps_sibling_writes_and_resume_does_not_rerun_them(tmp_path):
    calls = {"ok": 0, "quiet": 0, "bad": 0, "after": 0}
    broken = {"on": True}
    path = tmp_path / "runs.db"
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        graph = flaky_graph(calls, broken).compile(checkpointer=saver)

        with pytest.raises(Boom, match="bad is broken"):
            await graph.ainvoke({"n": 0, "log": []}, cfg("t"))

        snapshot = await graph.aget_state(cfg("t"))
        assert snapshot.metadata["step"] == 0
        # as LangGraph's get_state: what finished is applied, only the failed task is next
        assert snapshot.next == ("bad",)
        assert snapshot.values["log"] == ["ok"]
        errors = {t.name: t.error for t in snapshot.tasks}
        assert errors["bad"]["type"] == "Boom" and errors["ok"] is None
        assert {t.name: t.result for t in snapshot.tasks}["ok"] == {"log": ["ok"]}
        checkpoint_id = snapshot.config["configurable"]["checkpoint_id"]
        at_checkpoint = await graph.aget_state(snapshot.config)  # a named checkpoint: as saved
        assert at_checkpoint.next == ("bad", "ok", "quiet")
        assert at_checkpoint.values["log"] == []

        async with await CheckpointReader.open(path) as reader:
            writes = await reader.get_pending_writes("t", checkpoint_id)
            thread = await reader.get_thread("t")
        by_task = {}
        for w in writes:
            if w.channel != ATTEMPTS:  # the timing row: see test_engine_retry
                by_task.setdefault(w.task_name, []).append((w.channel, w.value))
        assert ("log", ["ok"]) in by_task["ok"]
        ((channel, error),) = by_task["bad"]
        assert channel == ERROR_CHANNEL
        assert {k: error[k] for k in ("type", "message", "node")} == {
            "type": "Boom", "message": "bad is broken", "node": "bad"
        }
        assert "raise Boom" in error["traceback"]  # where in the node it failed
        assert thread.status == "error"
        assert thread.error["type"] == "Boom"

        broken["on"] = False
        result = await graph.ainvoke(None, cfg("t"))

        assert result["log"] == ["bad", "ok", "after"]
        assert calls == {"ok": 1, "quiet": 1, "bad": 2, "after": 1}
        assert (await saver.reader.get_thread("t")).status == "done"
        # the failed attempt stays on record beside the retry's writes
        after = await saver.reader.get_pending_writes("t", checkpoint_id)
        bad_rows = sorted((w.idx, w.channel) for w in after if w.task_name == "bad")
        assert (-1, ERROR_CHANNEL) in bad_rows and (0, "log") in bad_rows
        attempts = next(w.value for w in after if w.task_name == "bad" and w.channel == ATTEMPTS)
        assert [a.get("error", {}).get("type") for a in attempts] == ["Boom", None]  # both runs
        assert (await saver.reader.get_thread("t")).error is None


async def test_failure_with_in_memory_saver_resumes_too():
    calls = {"ok": 0, "quiet": 0, "bad": 0, "after": 0}
    broken = {"on": True}
    saver = InMemorySaver()
    graph = flaky_graph(calls, broken).compile(checkpointer=saver)

    with pytest.raises(Boom):
        await graph.ainvoke({"n": 0, "log": []}, cfg("t"))
    assert saver.thread_status["t"] == "error"

    broken["on"] = False
    assert (await graph.ainvoke(None, cfg("t")))["log"] == ["bad", "ok", "after"]
    assert calls == {"ok": 1, "quiet": 1, "bad": 2, "after": 1}
    assert saver.thread_status["t"] == "done"


def test_failure_without_checkpointer_propagates_the_same_exception():
    graph = flaky_graph({"ok": 0, "quiet": 0, "bad": 0, "after": 0}, {"on": True}).compile()

    with pytest.raises(Boom):
        graph.invoke({"n": 0, "log": []})


async def test_new_input_after_a_failure_starts_over_instead_of_running_stale_tasks(saver):
    broken = {"on": True}

    def respond(state):
        if broken["on"]:
            raise Boom("model down")
        return {"log": [f"answer to {state['n']}"]}

    builder = StateGraph(LogState)
    builder.add_node("respond", respond)
    builder.add_edge(START, "respond")
    builder.add_edge("respond", END)
    graph = builder.compile(checkpointer=saver)
    with pytest.raises(Boom):
        await graph.ainvoke({"n": 1, "log": []}, cfg("t"))

    broken["on"] = False
    result = await graph.ainvoke({"n": 2}, cfg("t"))

    assert result["log"] == ["answer to 2"]  # the failed step for n=1 is not run again
    history = [s async for s in graph.aget_state_history(cfg("t"))]
    assert [(s.metadata["step"], list(s.metadata["writes"])) for s in history] == [
        (3, ["respond"]), (2, [START]), (1, []), (0, [START]), (-1, []),
    ]
    assert history[2].next == (START,)  # the new input's checkpoint plans no stale task


async def test_resume_with_nothing_to_resume_raises_empty_input_error(saver):
    graph = single_node(lambda s: None).compile(checkpointer=saver)

    with pytest.raises(EmptyInputError):
        await graph.ainvoke(None, cfg("never-ran"))
    with pytest.raises(ValueError, match="thread_id"):
        await graph.ainvoke({"n": 0, "log": []}, {})


def test_a_router_value_missing_from_its_path_map_can_be_caught_as_a_key_error():
    builder = StateGraph(LogState).add_node("a", lambda s: {"n": 1}).add_node("b", lambda s: {})
    builder.add_edge(START, "a").add_conditional_edges("a", lambda s: "k", {"j": "b"})

    with pytest.raises(KeyError, match="returned 'k', which is not one of its destinations"):
        builder.compile().invoke({"n": 0, "log": []})
