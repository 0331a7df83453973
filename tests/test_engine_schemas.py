"""Input, output and node input schemas, as LangGraph 1.2.22 has them (each expected value below
was printed by LangGraph running the same graph): what a run's input may set, what ``invoke``
returns, and private state between nodes."""

from __future__ import annotations

import operator
import warnings
from typing import Annotated, TypedDict

import pytest
from pydantic import BaseModel

from engine.checkpoint.memory import InMemorySaver
from engine.errors import InvalidUpdateError
from engine.graph import END, START, StateGraph
from engine.types import Send


class In(TypedDict):
    question: str


class Out(TypedDict):
    answer: str


class Overall(TypedDict, total=False):
    question: str
    scratch: str
    answer: str
    log: Annotated[list, operator.add]


def cfg(thread: str = "t") -> dict:
    return {"configurable": {"thread_id": thread}}


def think_answer(seen: list, **schemas) -> StateGraph:
    def think(s: Overall) -> dict:
        seen.append(("think", sorted(s)))
        return {"scratch": s["question"] + "?", "log": ["think"]}

    def answer(s: Overall) -> dict:
        seen.append(("answer", sorted(s)))
        return {"answer": s["scratch"] + "!", "log": ["answer"]}

    builder = StateGraph(Overall, **schemas).add_node("think", think).add_node("answer", answer)
    return builder.add_edge(START, "think").add_edge("think", "answer").add_edge("answer", END)


def test_input_schema_ignores_other_keys_and_output_schema_shapes_invoke() -> None:
    seen: list = []
    graph = think_answer(seen, input_schema=In, output_schema=Out).compile(checkpointer=InMemorySaver())

    out = graph.invoke({"question": "q", "scratch": "ignored?", "log": ["x"]}, cfg())

    assert out == {"answer": "q?!"}
    assert seen == [("think", ["log", "question"]), ("answer", ["log", "question", "scratch"])]
    # The state keeps every key; only invoke's result is shaped.
    assert graph.get_state(cfg()).values == {"question": "q", "scratch": "q?", "answer": "q?!", "log": ["think", "answer"]}


def test_streams_show_the_whole_state_whatever_the_output_schema() -> None:
    graph = think_answer([], input_schema=In, output_schema=Out).compile(checkpointer=InMemorySaver())

    assert list(graph.stream({"question": "q2"}, cfg("u"), stream_mode="values")) == [
        {"question": "q2", "log": []},
        {"question": "q2", "scratch": "q2?", "log": ["think"]},
        {"question": "q2", "scratch": "q2?", "answer": "q2?!", "log": ["think", "answer"]},
    ]
    assert list(graph.stream({"question": "q2"}, cfg("v"))) == [
        {"think": {"scratch": "q2?", "log": ["think"]}},
        {"answer": {"answer": "q2?!", "log": ["answer"]}},
    ]


class Plain(TypedDict):
    a: str


class Node1Out(TypedDict):
    private_data: str


class Node2In(TypedDict):
    private_data: str


def private_state_graph(seen: list) -> StateGraph:
    """LangGraph's "pass private state between nodes": node_2's annotation adds a channel."""

    def node_1(s: Plain) -> Node1Out:
        return {"private_data": "set by node_1"}

    def node_2(s: Node2In) -> Plain:
        seen.append(("node_2", dict(s)))
        return {"a": "set by node_2 from " + s["private_data"]}

    def node_3(s: Plain) -> Plain:
        seen.append(("node_3", dict(s)))
        return {"a": s["a"] + "!"}

    def route(s: Plain) -> str:
        seen.append(("route", dict(s)))
        return "node_3"

    builder = StateGraph(Plain).add_node("node_1", node_1).add_node("node_2", node_2).add_node("node_3", node_3)
    builder.add_edge(START, "node_1").add_edge("node_1", "node_2").add_conditional_edges("node_2", route)
    return builder.add_edge("node_3", END)


def test_a_node_annotated_with_its_own_schema_gets_only_those_keys_and_adds_them_as_channels() -> None:
    seen: list = []
    graph = private_state_graph(seen).compile(checkpointer=InMemorySaver())

    assert graph.invoke({"a": "x"}, cfg()) == {"a": "set by node_2 from set by node_1!"}

    assert seen == [
        ("node_2", {"private_data": "set by node_1"}),
        ("route", {"a": "set by node_2 from set by node_1"}),  # routers see the state schema's keys
        ("node_3", {"a": "set by node_2 from set by node_1"}),  # and so do nodes annotated with it
    ]
    assert graph.get_state(cfg()).values == {"a": "set by node_2 from set by node_1!", "private_data": "set by node_1"}


def test_add_node_input_schema_does_what_the_annotation_does() -> None:
    seen: list = []

    def narrow(s) -> dict:
        seen.append(sorted(s))
        return {"answer": "a"}

    builder = StateGraph(Overall).add_node("narrow", narrow, input_schema=In).add_edge(START, "narrow")
    assert builder.compile().invoke({"question": "q", "scratch": "s"}) == {
        "question": "q", "scratch": "s", "answer": "a", "log": []}
    assert seen == [["question"]]


class Wanted(BaseModel):
    question: str


class Items(TypedDict, total=False):
    items: list[str]
    out: Annotated[list, operator.add]


class Job(TypedDict):
    item: str
    extra: int


def test_a_pydantic_node_schema_is_built_from_its_keys() -> None:
    def node(s: Wanted) -> dict:
        return {"answer": f"{type(s).__name__}:{s.question}"}

    builder = StateGraph(Overall).add_node("node", node).add_edge(START, "node")
    assert builder.compile().invoke({"question": "q", "scratch": "s"})["answer"] == "Wanted:q"


def test_langgraphs_older_schema_names_are_accepted_with_a_deprecation_warning() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        builder = StateGraph(Overall, input=In, output=Out, config_schema=Plain)
    assert (builder.input_schema, builder.output_schema, builder.context_schema) == (In, Out, Plain)
    assert sorted(str(w.message) for w in caught if w.category is DeprecationWarning) == [
        "StateGraph(config_schema=...) is deprecated: use context_schema=...",
        "StateGraph(input=...) is deprecated: use input_schema=...",
        "StateGraph(output=...) is deprecated: use output_schema=...",
    ]
    default = StateGraph(Overall)
    assert (default.input_schema, default.output_schema, default.context_schema) == (Overall, Overall, None)


def test_a_send_argument_schema_adds_its_keys_as_channels_as_in_langgraph() -> None:
    def work(job: Job) -> dict:
        return {"out": [job["item"]], "extra": 5}  # "extra" is a channel now, written twice

    builder = StateGraph(Items).add_node("work", work)
    builder.add_conditional_edges(START, lambda s: [Send("work", {"item": i, "extra": 1}) for i in s["items"]], ["work"])
    graph = builder.compile()
    assert {"item", "extra"} <= set(graph.spec.fields)
    with pytest.raises(InvalidUpdateError, match="extra"):
        graph.invoke({"items": ["a", "b"]})


def test_add_sequence_chains_the_nodes_as_langgraph_does() -> None:
    def one(s: Plain) -> dict:
        return {"a": s["a"] + "1"}

    def two(s: Plain) -> dict:
        return {"a": s["a"] + "2"}

    builder = StateGraph(Plain).add_sequence([one, ("second", two)]).add_edge(START, "one")
    assert sorted(builder.edges) == [("__start__", "one"), ("one", "second")]
    assert builder.compile().invoke({"a": ""}) == {"a": "12"}
    with pytest.raises(ValueError, match="at least one node"):
        StateGraph(Plain).add_sequence([])
    with pytest.raises(ValueError, match="node 'one' already exists"):
        StateGraph(Plain).add_sequence([one, one])


def test_destinations_declare_where_a_goto_node_goes_and_metadata_is_kept() -> None:
    from engine.types import Command

    def pick(s: Plain):  # no annotation: only destinations= says where it goes
        return Command(goto="done", update={"a": "picked"})

    builder = StateGraph(Plain).add_node("pick", pick, destinations=("done",), metadata={"owner": "me"})
    builder.add_node("done", lambda s: {"a": s["a"] + "!"}).add_edge(START, "pick")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "done" is reachable through the declared goto: no warning
        graph = builder.compile()
    assert graph.invoke({"a": ""}) == {"a": "picked!"}
    assert graph.spec.nodes["pick"].metadata == {"owner": "me"}
    bad = StateGraph(Plain).add_node("pick", pick, destinations={"nowhere": "label"}).add_edge(START, "pick")
    assert bad.validate() == ["node 'pick' is declared to go to unknown node 'nowhere'"]
