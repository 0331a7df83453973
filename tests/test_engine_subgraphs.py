"""Subgraphs: a compiled graph added as a node (or run from a node's function) saves its
checkpoints under ``node:task_id`` on the parent's thread, linked by ``metadata["parents"]``, as
LangGraph 1.2.22 does (every expected value below was checked side by side with it)."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

import pytest

from engine.graph import END, START, StateGraph
from engine.types import Command, interrupt


class P(TypedDict, total=False):
    topic: str
    log: Annotated[list, operator.add]


class C(TypedDict, total=False):
    topic: str
    log: Annotated[list, operator.add]
    notes: str


def cfg(thread: str = "t", ns: str | None = None) -> dict:
    configurable = {"thread_id": thread}
    if ns is not None:
        configurable["checkpoint_ns"] = ns
    return {"configurable": configurable}


def child(calls: list[str], fail_once: set[str] | None = None):
    def s1(s: C) -> C:
        calls.append("s1")
        return {"notes": "n:" + s["topic"], "log": ["s1"]}

    def s2(s: C) -> C:
        calls.append("s2")
        if fail_once is not None and "s2" not in fail_once:
            fail_once.add("s2")
            raise RuntimeError("s2 failed once")
        answer = interrupt("ok?") if s["topic"] == "ask" else "auto"
        return {"log": [f"s2:{s['notes']}:{answer}"]}

    b = StateGraph(C)
    b.add_node("s1", s1).add_node("s2", s2)
    return b.add_edge(START, "s1").add_edge("s1", "s2").add_edge("s2", END).compile()


def parent(sub, saver):
    b = StateGraph(P)
    b.add_node("prep", lambda s: {"log": ["prep"]}).add_node("sub", sub)
    b.add_node("after", lambda s: {"log": ["after"]})
    b.add_edge(START, "prep").add_edge("prep", "sub").add_edge("sub", "after").add_edge("after", END)
    return b.compile(checkpointer=saver)


def test_the_subgraph_shares_keys_with_the_parent_and_keeps_its_own(saver) -> None:
    calls: list[str] = []
    g = parent(child(calls), saver)

    out = g.invoke({"topic": "x"}, cfg())

    # As LangGraph: the subgraph returns its whole final value of a shared key, which the
    # parent's reducer appends to what it had ("prep" twice); "notes" stays in the subgraph.
    assert out == {"topic": "x", "log": ["prep", "prep", "s1", "s2:n:x:auto", "after"]}
    history = [(s.metadata["step"], s.next) for s in g.get_state_history(cfg())]
    assert history == [(3, ()), (2, ("after",)), (1, ("sub",)), (0, ("prep",)), (-1, ("__start__",))]


def test_subgraph_checkpoints_are_under_its_namespace_linked_to_the_parent(saver) -> None:
    g = parent(child([]), saver)
    g.invoke({"topic": "x"}, cfg())
    parents = list(g.get_state_history(cfg()))
    step1 = next(s for s in parents if s.metadata["step"] == 1)
    task = step1.tasks[0]

    ns = f"sub:{task.id}"
    assert task.state == cfg("t", ns)  # the config to read the subgraph's checkpoints with
    inner = list(saver.list(cfg("t", ns)))
    assert [(c.metadata["step"], c.metadata["source"]) for c in inner] == [(2, "loop"), (1, "loop"), (0, "loop"), (-1, "input")]
    assert {c.metadata["parents"][""] for c in inner} == {step1.config["configurable"]["checkpoint_id"]}
    assert all(c.config["configurable"]["checkpoint_ns"] == ns for c in inner)
    assert all(s.metadata["parents"] == {} for s in parents)
    assert inner[0].checkpoint.channel_values["notes"] == "n:x"
    # The step that ran the subgraph names its namespace (for the debugger); no other step does.
    assert {s.metadata["step"]: s.metadata.get("subgraphs") for s in parents} == {
        3: None, 2: [ns], 1: None, 0: None, -1: None}


def test_an_interrupt_inside_pauses_the_parent_and_resumes_without_rerunning_finished_steps(saver) -> None:
    calls: list[str] = []
    g = parent(child(calls), saver)

    paused = g.invoke({"topic": "ask"}, cfg())

    assert [i.value for i in paused["__interrupt__"]] == ["ok?"]
    assert calls == ["s1", "s2"]
    state = g.get_state(cfg(), subgraphs=True)
    assert state.next == ("sub",)
    inner = state.tasks[0].state
    assert inner.values == {"topic": "ask", "log": ["prep", "s1"], "notes": "n:ask"}
    assert inner.next == ("s2",)
    assert [i.value for i in inner.tasks[0].interrupts] == ["ok?"]

    plain = g.get_state(cfg())
    assert plain.tasks[0].state == cfg("t", f"sub:{plain.tasks[0].id}")
    assert [(s.metadata["step"], s.next) for s in g.get_state_history(plain.tasks[0].state)] == [
        (1, ("s2",)), (0, ("s1",)), (-1, ("__start__",)),
    ]

    out = g.invoke(Command(resume="yes"), cfg())

    assert out["log"] == ["prep", "prep", "s1", "s2:n:ask:yes", "after"]
    assert calls == ["s1", "s2", "s2"]  # s1 ran once: the subgraph went on from its checkpoint


def test_a_failure_inside_resumes_only_the_failed_inner_task(saver) -> None:
    calls: list[str] = []
    g = parent(child(calls, fail_once=set()), saver)

    with pytest.raises(RuntimeError, match="s2 failed once"):
        g.invoke({"topic": "x"}, cfg())

    assert g.get_state(cfg()).next == ("sub",)
    assert calls == ["s1", "s2"]

    out = g.invoke(None, cfg())

    assert out["log"] == ["prep", "prep", "s1", "s2:n:x:auto", "after"]
    assert calls == ["s1", "s2", "s2"]


def test_stream_with_subgraphs_tags_each_chunk_with_its_namespace(saver) -> None:
    g = parent(child([]), saver)

    chunks = [(tuple(n.split(":")[0] for n in ns), update) for ns, update in g.stream({"topic": "x"}, cfg(), subgraphs=True)]

    assert chunks == [
        ((), {"prep": {"log": ["prep"]}}),
        (("sub",), {"s1": {"notes": "n:x", "log": ["s1"]}}),
        (("sub",), {"s2": {"log": ["s2:n:x:auto"]}}),
        ((), {"sub": {"topic": "x", "log": ["prep", "s1", "s2:n:x:auto"]}}),
        ((), {"after": {"log": ["after"]}}),
    ]


def test_values_stream_with_subgraphs_includes_the_subgraph_states(saver) -> None:
    g = parent(child([]), saver)

    chunks = [
        (tuple(n.split(":")[0] for n in ns), mode, values)
        for ns, mode, values in g.stream({"topic": "x"}, cfg(), subgraphs=True, stream_mode=["values"])
    ]

    assert chunks == [
        ((), "values", {"topic": "x", "log": []}),
        ((), "values", {"topic": "x", "log": ["prep"]}),
        (("sub",), "values", {"topic": "x", "log": ["prep"]}),
        (("sub",), "values", {"topic": "x", "log": ["prep", "s1"], "notes": "n:x"}),
        (("sub",), "values", {"topic": "x", "log": ["prep", "s1", "s2:n:x:auto"], "notes": "n:x"}),
        ((), "values", {"topic": "x", "log": ["prep", "prep", "s1", "s2:n:x:auto"]}),
        ((), "values", {"topic": "x", "log": ["prep", "prep", "s1", "s2:n:x:auto", "after"]}),
    ]


def test_without_subgraphs_the_stream_shows_the_parent_only(saver) -> None:
    g = parent(child([]), saver)

    names = [next(iter(update)) for update in g.stream({"topic": "x"}, cfg())]

    assert names == ["prep", "sub", "after"]


def test_a_subgraph_called_from_a_node_function_saves_under_that_task(saver) -> None:
    calls: list[str] = []
    sub = child(calls)

    async def call(s: P) -> P:
        out = await sub.ainvoke({"topic": s["topic"]})
        return {"log": [f"inner:{out['notes']}"]}

    b = StateGraph(P)
    b.add_node("call", call).add_edge(START, "call").add_edge("call", END)
    g = b.compile(checkpointer=saver)

    out = g.invoke({"topic": "x"}, cfg())

    assert out == {"topic": "x", "log": ["inner:n:x"]}
    step0 = next(s for s in g.get_state_history(cfg()) if s.metadata["step"] == 0)
    inner = list(saver.list(cfg("t", f"call:{step0.tasks[0].id}")))
    assert [c.metadata["step"] for c in inner] == [2, 1, 0, -1]
    assert inner[0].metadata["parents"] == {"": step0.config["configurable"]["checkpoint_id"]}


def test_nested_subgraphs_join_namespaces_with_a_bar(saver) -> None:
    inner = child([])
    mid_builder = StateGraph(C)
    mid_builder.add_node("inner", inner).add_edge(START, "inner").add_edge("inner", END)
    g = parent(mid_builder.compile(), saver)

    g.invoke({"topic": "x"}, cfg())
    state = g.get_state(cfg(), subgraphs=True)  # the run is over: no task, nothing to expand
    assert state.tasks == ()

    step1 = next(s for s in g.get_state_history(cfg()) if s.metadata["step"] == 1)
    mid_ns = f"sub:{step1.tasks[0].id}"
    mid_step0 = next(s for s in g.get_state_history(cfg("t", mid_ns)) if s.metadata["step"] == 0)
    inner_ns = f"{mid_ns}|inner:{mid_step0.tasks[0].id}"
    assert mid_step0.tasks[0].state == cfg("t", inner_ns)
    inner_cps = list(saver.list(cfg("t", inner_ns)))
    assert inner_cps[0].metadata["parents"] == {
        "": step1.config["configurable"]["checkpoint_id"],
        mid_ns: mid_step0.config["configurable"]["checkpoint_id"],
    }
    assert inner_cps[0].checkpoint.channel_values["notes"] == "n:x"
    mid_step1 = next(s for s in g.get_state_history(cfg("t", mid_ns)) if s.metadata["step"] == 1)
    assert mid_step1.metadata["subgraphs"] == [inner_ns]


def counting_child(checkpointer):
    b = StateGraph(P)
    b.add_node("inner", lambda s: {"log": [f"inner:{s['topic']}"]})
    return b.add_edge(START, "inner").compile(checkpointer=checkpointer)


def one_node_parent(sub, saver):
    b = StateGraph(P)
    return b.add_node("sub", sub).add_edge(START, "sub").compile(checkpointer=saver)


async def test_checkpointer_true_keeps_the_subgraph_state_between_calls_under_the_node_name(saver) -> None:
    graph = one_node_parent(counting_child(True), saver)
    assert await graph.ainvoke({"topic": "a", "log": []}, cfg()) == {"topic": "a", "log": ["inner:a"]}
    # The subgraph's own log carried over: [inner:a] + the parent's [inner:a] + inner:b.
    assert await graph.ainvoke({"topic": "b", "log": []}, cfg()) == {
        "topic": "b", "log": ["inner:a", "inner:a", "inner:a", "inner:b"],
    }
    child_state = await graph.aget_state(cfg(ns="sub"))
    assert child_state.values["log"] == ["inner:a", "inner:a", "inner:b"]
    assert child_state.metadata["parents"].keys() == {""}


async def test_checkpointer_false_saves_nothing_for_the_subgraph(saver) -> None:
    graph = one_node_parent(counting_child(False), saver)
    await graph.ainvoke({"topic": "a", "log": []}, cfg())
    assert await graph.ainvoke({"topic": "b", "log": []}, cfg()) == {
        "topic": "b", "log": ["inner:a", "inner:a", "inner:b"],
    }
    assert [t async for t in saver.alist(cfg(ns="sub"))] == []
    assert not [s async for s in graph.aget_state_history(cfg()) if "subgraphs" in s.metadata]  # none to open
    snapshot = await graph.aget_state(cfg())
    assert snapshot.values["log"] == ["inner:a", "inner:a", "inner:b"]


async def test_checkpointer_true_on_the_root_graph_is_refused_when_it_runs() -> None:
    graph = counting_child(True)
    with pytest.raises(RuntimeError, match="checkpointer=True is for subgraphs"):
        await graph.ainvoke({"topic": "a", "log": []}, cfg())
    assert await counting_child(False).ainvoke({"topic": "a", "log": []}, cfg()) == {
        "topic": "a", "log": ["inner:a"],
    }


@pytest.mark.parametrize("given", [object(), "saver.db"])
def test_compile_refuses_what_is_not_a_checkpointer(given) -> None:
    b = StateGraph(P)
    b.add_node("n", lambda s: {}).add_edge(START, "n")
    with pytest.raises(TypeError, match=f"takes a saver .* not {type(given).__name__}"):
        b.compile(checkpointer=given)
