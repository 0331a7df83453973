"""A Pydantic state model returned by a node: a field left at a None default that was not set
is not written (LangGraph 1.2.22 skips it; every expected value checked side by side with it)."""

from __future__ import annotations

import operator
from typing import Annotated, Optional

import pytest
from pydantic import BaseModel

from engine.checkpoint.memory import InMemorySaver
from engine.graph import END, START, StateGraph


class S(BaseModel):
    a: int = 0
    b: Optional[str] = None  # the spelling LangGraph users write
    c: str = "dflt"
    log: Annotated[list, operator.add] = []


CASES = {
    # b not set and defaults to None: kept; c and log default to something: written.
    "only a set": (lambda s: S(a=5), {"a": 5, "b": "pre", "c": "dflt", "log": ["p"]}, {"a": 5, "c": "dflt", "log": []}),
    # b explicitly set to None: written.
    "b set to None": (
        lambda s: S(a=s.a, b=None, c="dflt", log=["x"]),
        {"a": 9, "b": None, "c": "dflt", "log": ["p", "x"]},
        {"a": 9, "b": None, "c": "dflt", "log": ["x"]},
    ),
    "nothing set": (lambda s: S(), {"a": 0, "b": "pre", "c": "dflt", "log": ["p"]}, {"a": 0, "c": "dflt", "log": []}),
}


@pytest.mark.parametrize("case", CASES)
def test_a_none_default_the_node_did_not_set_is_not_written(case: str) -> None:
    node, final, update = CASES[case]
    b = StateGraph(S)
    b.add_node("pre", lambda s: {"a": 9, "b": "pre", "c": "pre", "log": ["p"]}).add_node("n", node)
    b.add_edge(START, "pre").add_edge("pre", "n").add_edge("n", END)
    graph = b.compile(checkpointer=InMemorySaver())
    assert graph.invoke({"a": 0}, {"configurable": {"thread_id": "1"}}) == final
    chunks = list(graph.stream({"a": 0}, {"configurable": {"thread_id": "2"}}, stream_mode="updates"))
    assert chunks[-1] == {"n": update}
    assert graph.get_state({"configurable": {"thread_id": "1"}}).metadata["writes"]["n"] == sorted(update)
