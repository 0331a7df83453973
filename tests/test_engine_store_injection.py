"""``compile(store=...)``: nodes and routers that ask for the store get it, as in LangGraph
(a parameter named ``store``, or one annotated ``BaseStore``), and so does ``get_store()``."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

import pytest

from engine.config import get_store
from engine.graph import END, START, StateGraph
from engine.store.base import BaseStore
from engine.store.memory import InMemoryStore


class S(TypedDict, total=False):
    user: str
    seen: Annotated[list, operator.add]


def cfg(thread: str = "t") -> dict:
    return {"configurable": {"thread_id": thread}}


async def test_nodes_receive_the_store_by_name_by_annotation_and_with_config(saver) -> None:
    store = InMemoryStore()

    def remember(state: S, store: BaseStore) -> S:  # positional, annotated
        store.put((state["user"], "notes"), "last", {"text": "hello"})
        return {"seen": ["remember"]}

    def recall(state: S, config, *, store) -> S:  # config positional, store keyword-only
        item = store.get((state["user"], "notes"), "last")
        return {"seen": [f"{config['configurable']['thread_id']}:{item.value['text']}"]}

    def helper(state: S) -> S:
        return {"seen": [f"v{get_store().get((state['user'], 'notes'), 'last').version}"]}

    def route(state: S, mem: BaseStore) -> str:
        return "helper" if mem.get((state["user"], "notes"), "last") else END

    b = StateGraph(S)
    b.add_node("remember", remember).add_node("recall", recall).add_node("helper", helper)
    b.add_edge(START, "remember").add_edge("remember", "recall")
    b.add_conditional_edges("recall", route, ["helper", END])
    graph = b.add_edge("helper", END).compile(checkpointer=saver, store=store)

    out = await graph.ainvoke({"user": "alice", "seen": []}, cfg("th"))

    assert out["seen"] == ["remember", "th:hello", "v1"]
    assert store.get(("alice", "notes"), "last").value == {"text": "hello"}


def test_without_a_store_the_parameter_gets_none_and_a_wrong_store_is_refused() -> None:
    b = StateGraph(S)
    b.add_node("n", lambda state, store: {"seen": [repr(store)]})
    graph = b.add_edge(START, "n").add_edge("n", END).compile()
    assert graph.invoke({"seen": []})["seen"] == ["None"]
    with pytest.raises(TypeError, match="takes a store"):
        b.compile(store={"not": "a store"})


def test_a_graph_given_another_checkpointer_keeps_its_store() -> None:
    store = InMemoryStore()
    b = StateGraph(S)
    b.add_node("n", lambda state, store: {"seen": [type(store).__name__]})
    graph = b.add_edge(START, "n").add_edge("n", END).compile(store=store)
    assert graph.with_checkpointer(None).invoke({"seen": []})["seen"] == ["InMemoryStore"]
