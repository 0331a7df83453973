"""Edges: conditional routing, fan-out, joins, node signatures, and compile-time validation."""

from __future__ import annotations

import operator
from typing import Annotated, Literal, TypedDict

import pytest

from engine.checkpoint.memory import InMemorySaver
from engine.errors import GraphRecursionError, GraphValidationError, UnknownNodeError
from engine.graph import END, START, StateGraph
from engine.graph.state import GraphWarning


class State(TypedDict):
    n: int
    log: Annotated[list, operator.add]


def cfg(thread_id: str) -> dict:
    return {"configurable": {"thread_id": thread_id}}


def logger(name: str):
    return lambda state: {"log": [name]}


def routed(router, path_map=None, destinations=("left", "right")) -> StateGraph:
    """START -> decide -(router)-> one of ``destinations`` -> END."""
    builder = StateGraph(State)
    builder.add_node("decide", lambda s: {"n": s["n"] + 1, "log": ["decide"]})
    for name in destinations:
        builder.add_node(name, logger(name))
        builder.add_edge(name, END)
    builder.add_edge(START, "decide")
    builder.add_conditional_edges("decide", router, path_map)
    return builder


# --- conditional edges ---------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "expected"), [(0, "left"), (5, "right")])
def test_path_map_dict_translates_router_results(n, expected):
    graph = routed(lambda s: "small" if s["n"] < 3 else "big", {"small": "left", "big": "right"}).compile()

    assert graph.invoke({"n": n, "log": []})["log"] == ["decide", expected]


def test_path_map_dict_can_map_to_end():
    graph = routed(lambda s: "stop", {"stop": END, "l": "left", "r": "right"}).compile(checkpointer=InMemorySaver())

    assert graph.invoke({"n": 0, "log": []}, cfg("t"))["log"] == ["decide"]
    assert graph.get_state(cfg("t")).next == ()


def test_path_map_list_names_destinations():
    graph = routed(lambda s: "right", ["left", "right"]).compile()

    assert graph.invoke({"n": 0, "log": []})["log"] == ["decide", "right"]


def route_by_literal(state: State) -> Literal["left", "right"]:
    return "left" if state["n"] % 2 else "right"


def test_literal_return_annotation_gives_destinations():
    builder = routed(route_by_literal)

    assert builder.branches[0].destinations() == ["left", "right"]
    assert builder.compile().invoke({"n": 0, "log": []})["log"] == ["decide", "left"]  # n is 1 when routed


def route_to_ghost(state: State) -> Literal["left", "ghost"]:
    return "left"


def test_literal_return_annotation_is_validated():
    with pytest.raises(GraphValidationError, match="ghost"):
        routed(route_to_ghost, destinations=("left",)).compile()


def test_router_sees_the_writes_of_its_own_node():
    seen = []

    def router(state):
        seen.append(state["n"])
        return END

    routed(router, [END, "left", "right"]).compile().invoke({"n": 41, "log": []})

    assert seen == [42]


def test_router_returning_a_list_fans_out_into_one_super_step():
    saver = InMemorySaver()
    graph = routed(lambda s: ["right", "left", END], ["left", "right", END]).compile(checkpointer=saver)

    assert graph.invoke({"n": 0, "log": []}, cfg("t"))["log"] == ["decide", "left", "right"]
    steps = {s.metadata["step"]: s for s in graph.get_state_history(cfg("t"))}
    assert steps[1].next == ("left", "right")
    assert set(steps[2].metadata["writes"]) == {"left", "right"}


def test_router_returning_end_stops_the_run():
    graph = routed(lambda s: END).compile()  # no path_map: may go anywhere

    assert graph.invoke({"n": 0, "log": []})["log"] == ["decide"]


def test_router_returning_an_unknown_node_raises_unknown_node_error():
    graph = routed(lambda s: "ghost").compile()

    with pytest.raises(UnknownNodeError, match="ghost"):
        graph.invoke({"n": 0, "log": []})


def test_router_result_missing_from_path_map_raises_unknown_node_error():
    graph = routed(lambda s: "sideways", {"l": "left", "r": "right"}).compile()

    with pytest.raises(UnknownNodeError, match="sideways"):
        graph.invoke({"n": 0, "log": []})


def test_conditional_entry_point_routes_from_the_input():
    builder = StateGraph(State)
    builder.add_node("left", logger("left"))
    builder.add_node("right", logger("right"))
    builder.add_edge("left", END)
    builder.add_edge("right", END)
    builder.set_conditional_entry_point(lambda s: "left" if s["n"] < 0 else "right", ["left", "right"])
    graph = builder.compile()

    assert graph.invoke({"n": -1, "log": []})["log"] == ["left"]
    assert graph.invoke({"n": 1, "log": []})["log"] == ["right"]


# --- join edges ------------------------------------------------------------------------------------


def test_join_waits_for_starts_that_finish_in_different_steps():
    calls = []

    def joined(state):
        calls.append(list(state["log"]))
        return {"log": ["joined"]}

    builder = StateGraph(State)
    builder.add_node("fast", logger("fast"))
    builder.add_node("slow1", logger("slow1"))
    builder.add_node("slow2", logger("slow2"))
    builder.add_node("joined", joined)
    builder.add_edge(START, "fast")
    builder.add_edge(START, "slow1")
    builder.add_edge("slow1", "slow2")
    builder.add_edge(["fast", "slow2"], "joined")
    builder.add_edge("joined", END)
    graph = builder.compile(checkpointer=InMemorySaver())

    result = graph.invoke({"n": 0, "log": []}, cfg("t"))

    assert calls == [["fast", "slow1", "slow2"]]  # once, and only after both starts
    assert result["log"] == ["fast", "slow1", "slow2", "joined"]
    ran = {s.metadata["step"]: set(s.metadata["writes"]) for s in graph.get_state_history(cfg("t"))}
    assert ran[1] == {"fast", "slow1"} and ran[2] == {"slow2"} and ran[3] == {"joined"}


def test_join_of_starts_in_the_same_step_runs_once():
    builder = StateGraph(State)
    for name in ("a", "b", "c"):
        builder.add_node(name, logger(name))
    builder.add_edge(START, "a")
    builder.add_edge(START, "b")
    builder.add_edge(["a", "b"], "c")
    builder.add_edge("c", END)

    assert builder.compile().invoke({"n": 0, "log": []})["log"] == ["a", "b", "c"]


# --- node signatures -------------------------------------------------------------------------------


def test_node_gets_config_only_when_it_asks_for_it():
    got = {}

    def with_config(state, config):
        got["thread"] = config["configurable"]["thread_id"]
        return {"log": ["with_config"]}

    def with_default(state, label="default"):  # a default is not a config slot
        return {"log": [label]}

    builder = StateGraph(State)
    builder.add_node("with_config", with_config)
    builder.add_node("with_default", with_default)
    builder.add_edge(START, "with_config")
    builder.add_edge("with_config", "with_default")
    builder.add_edge("with_default", END)

    result = builder.compile(checkpointer=InMemorySaver()).invoke({"n": 0, "log": []}, cfg("t-42"))

    assert got == {"thread": "t-42"}
    assert result["log"] == ["with_config", "default"]


# --- compile validation ----------------------------------------------------------------------------


def test_validation_reports_every_problem_at_once():
    builder = StateGraph(State)
    builder.add_node("a", logger("a"))
    builder.add_node("a", logger("again"))  # duplicate
    builder.add_node(START, logger("start"))  # reserved name
    builder.add_node("bad:name", logger("colon"))  # reserved character
    builder.add_edge(START, "a")
    builder.add_edge("a", END)
    builder.add_edge("a", "ghost")  # unknown node

    with pytest.raises(GraphValidationError) as caught:
        builder.compile()

    problems = caught.value.problems
    expected = {
        "duplicate": "'a' is added more than once",
        "reserved": "'__start__' is reserved",
        "colon": "'bad:name' contains a reserved character",
        "unknown": "unknown node 'ghost'",
    }
    for label, text in expected.items():
        assert sum(text in p for p in problems) == 1, f"{label}: {problems}"
    assert len(problems) == len(expected)
    for problem in problems:
        assert problem in str(caught.value)


def test_validation_reports_missing_entry_point_and_unknown_branch_destination():
    builder = StateGraph(State)
    builder.add_node("a", logger("a"))
    builder.add_edge("a", END)
    builder.add_conditional_edges("a", lambda s: "x", {"x": "nowhere"})

    with pytest.raises(GraphValidationError) as caught:
        builder.compile()

    text = "\n".join(caught.value.problems)
    assert "no entry point" in text
    assert "unknown node 'nowhere'" in text


def test_what_langgraph_accepts_compiles_with_warnings_instead_of_problems():
    # LangGraph 1.2.22 compiles all of these: an unreachable node, a dead end (the run ends
    # there) and a loop with no exit; retrace warns about the two likely mistakes only.
    builder = StateGraph(State)
    builder.add_node("a", logger("a"))
    builder.add_node("b", logger("b"))
    builder.add_node("orphan", logger("orphan"))
    builder.add_node("dead_end", logger("dead_end"))
    builder.add_edge(START, "a")
    builder.add_edge(START, "dead_end")
    builder.add_edge("a", "b")
    builder.add_edge("b", "a")

    with pytest.warns(GraphWarning) as caught:
        graph = builder.compile()

    messages = [str(w.message) for w in caught]
    assert len(messages) == 2, messages
    assert "'orphan' is not reachable" in messages[0]
    assert "['a', 'b'] loop with no way out" in messages[1]
    assert "dead_end" not in " ".join(messages)
    with pytest.raises(GraphRecursionError):  # the loop runs, as in LangGraph, until the limit
        graph.invoke({"n": 0, "log": []}, {"recursion_limit": 4})


def test_valid_graph_compiles_without_problems():
    builder = routed(lambda s: "left", ["left", "right"])

    assert builder.validate() == []
    assert builder.compile() is not None
