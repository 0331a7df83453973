"""``context_schema``, ``invoke(..., context=...)`` and ``Runtime``, as LangGraph 1.2.22 has them
(each expected value below was printed by LangGraph running the same graph)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import pytest
from pydantic import BaseModel, ValidationError

from engine.checkpoint.memory import InMemorySaver
from engine.graph import END, START, StateGraph
from engine.runtime import Runtime, get_runtime
from engine.store import InMemoryStore


class S(TypedDict, total=False):
    a: str
    log: list[str]


@dataclass
class Ctx:
    user: str
    model: str = "m1"


class CtxDict(TypedDict):
    user: str


class CtxModel(BaseModel):
    user: str


def greet(state: S, runtime: Runtime[Ctx]) -> dict:
    return {"a": f"hi {runtime.context.user} via {runtime.context.model}"}


def one_node(fn, context_schema=None, **compile_options):
    builder = StateGraph(S, context_schema=context_schema).add_node("n", fn)
    return builder.add_edge(START, "n").add_edge("n", END).compile(**compile_options)


def test_a_node_named_runtime_gets_the_context_given_as_the_schema_or_a_dict() -> None:
    graph = one_node(greet, Ctx)
    assert graph.invoke({"a": "x"}, context=Ctx(user="ann")) == {"a": "hi ann via m1"}
    assert graph.invoke({"a": "x"}, context={"user": "bob", "model": "m2"}) == {"a": "hi bob via m2"}


def test_a_dict_context_stays_a_dict_for_a_typeddict_schema_and_becomes_a_pydantic_model() -> None:
    seen: list = []

    def node(state: S, *, runtime) -> dict:  # keyword-only, unannotated: still injected by name
        seen.append(runtime.context)
        return {}

    one_node(node, CtxDict).invoke({"a": "x"}, context={"user": "u"})
    one_node(node, CtxModel).invoke({"a": "x"}, context={"user": "v"})
    one_node(node).invoke({"a": "x"}, context={"user": "w"})
    assert seen == [{"user": "u"}, CtxModel(user="v"), {"user": "w"}]


def test_a_context_that_does_not_fit_its_schema_is_refused_before_anything_runs() -> None:
    saver = InMemorySaver()
    graph = one_node(greet, Ctx, checkpointer=saver)
    config = {"configurable": {"thread_id": "t"}}
    with pytest.raises(TypeError, match=r"context \['nope'\] does not fit context_schema Ctx \(fields: user, model\)"):
        graph.invoke({"a": "x"}, config, context={"nope": "u"})
    with pytest.raises(ValidationError):
        one_node(greet, CtxModel).invoke({"a": "x"}, context={"user": 1})
    assert graph.get_state(config).values == {}  # nothing was saved


def test_without_a_context_runtime_context_is_none() -> None:
    seen: list = []

    def node(state: S, runtime: Runtime[Ctx]) -> dict:
        seen.append(runtime.context)
        return {}

    one_node(node, Ctx).invoke({"a": "x"})
    assert seen == [None]


def test_runtime_carries_the_store_and_the_stream_writer_and_get_runtime_returns_it() -> None:
    store = InMemoryStore()

    def node(state: S, runtime: Runtime[Ctx]) -> dict:
        runtime.stream_writer({"progress": runtime.context.user})
        runtime.store.put(("users",), runtime.context.user, {"seen": True})
        return {"log": [get_runtime(Ctx).context.user]}

    graph = one_node(node, Ctx, store=store)
    chunks = list(graph.stream({"a": "x"}, context={"user": "ann"}, stream_mode=["custom", "updates"]))
    assert chunks == [("custom", {"progress": "ann"}), ("updates", {"n": {"log": ["ann"]}})]
    assert store.get(("users",), "ann").value == {"seen": True}


def test_routers_and_subgraphs_get_the_same_context() -> None:
    def route(state: S, runtime: Runtime[Ctx]) -> str:
        return "sub" if runtime.context.user == "u" else END

    inner = StateGraph(S, context_schema=Ctx).add_node("greet", greet).add_edge(START, "greet").compile()
    builder = StateGraph(S, context_schema=Ctx).add_node("sub", inner)
    builder.add_conditional_edges(START, route, ["sub", END])
    graph = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    assert graph.invoke({"a": "x"}, config, context={"user": "u"}) == {"a": "hi u via m1"}
    assert graph.invoke({"a": "x"}, {"configurable": {"thread_id": "u"}}, context={"user": "z"}) == {"a": "x"}


def test_get_runtime_outside_a_node_says_where_it_works() -> None:
    with pytest.raises(RuntimeError, match="inside a node or router"):
        get_runtime()


def test_override_returns_a_changed_copy() -> None:
    runtime = Runtime(context=Ctx(user="a"))
    assert runtime.override(context=Ctx(user="b")).context.user == "b" and runtime.context.user == "a"
