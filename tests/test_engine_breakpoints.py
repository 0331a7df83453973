"""Static breakpoints (interrupt_before / interrupt_after), checked against LangGraph 1.2.22:
the same graph there gives the same returns and history (recorded below from a side-by-side run)."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

import pytest

from engine.checkpoint.memory import InMemorySaver
from engine.errors import GraphValidationError
from engine.graph import END, START, StateGraph


class S(TypedDict):
    log: Annotated[list, operator.add]


def abc() -> StateGraph:
    b = StateGraph(S)
    for name in "abc":
        b.add_node(name, lambda s, name=name: {"log": [name]})
    return b.add_edge(START, "a").add_edge("a", "b").add_edge("b", "c").add_edge("c", END)


def shape(graph, config):
    return [(s.metadata["step"], s.metadata["source"], s.next) for s in graph.get_state_history(config)][::-1]


FULL = [(-1, "input", ("__start__",)), (0, "loop", ("a",)), (1, "loop", ("b",)), (2, "loop", ("c",)), (3, "loop", ())]


@pytest.mark.parametrize(
    ("options", "paused", "next_"),
    [({"interrupt_before": ["b"]}, ["a"], ("b",)), ({"interrupt_after": ["b"]}, ["a", "b"], ("c",))],
)
def test_a_run_pauses_at_a_breakpoint_and_none_goes_on_past_it(saver, options, paused, next_) -> None:
    graph = abc().compile(checkpointer=saver, **options)
    config = {"configurable": {"thread_id": "t"}}
    assert graph.invoke({"log": []}, config) == {"log": paused}
    assert graph.get_state(config).next == next_
    assert graph.invoke(None, config) == {"log": ["a", "b", "c"]}  # not stopped twice at b
    assert shape(graph, config) == FULL


def test_star_stops_before_every_node_but_not_the_input(saver) -> None:
    graph = abc().compile(checkpointer=saver, interrupt_before="*")
    config = {"configurable": {"thread_id": "t"}}
    assert graph.invoke({"log": []}, config) == {"log": []}
    assert graph.get_state(config).next == ("a",)
    assert graph.invoke(None, config) == {"log": ["a"]}
    assert shape(graph, config) == FULL[:3]


def test_per_call_breakpoints_replace_the_compiled_ones(saver) -> None:
    graph = abc().compile(checkpointer=saver, interrupt_before=["a"])
    config = {"configurable": {"thread_id": "p"}}
    assert graph.invoke({"log": []}, config, interrupt_before=["c"]) == {"log": ["a", "b"]}
    assert graph.invoke(None, config, interrupt_before=[]) == {"log": ["a", "b", "c"]}


async def test_a_paused_thread_is_interrupted_until_it_goes_on(tmp_path) -> None:
    from engine.checkpoint.sqlite import AsyncSqliteSaver, CheckpointReader

    path = tmp_path / "bp.db"
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        graph = abc().compile(checkpointer=saver, interrupt_before=["b"])
        config = {"configurable": {"thread_id": "t"}}
        await graph.ainvoke({"log": []}, config)
        async with await CheckpointReader.open(path) as reader:
            assert (await reader.get_thread("t")).status == "interrupted"
        await graph.ainvoke(None, config)
        async with await CheckpointReader.open(path) as reader:
            assert (await reader.get_thread("t")).status == "done"
    memory = InMemorySaver()
    graph = abc().compile(checkpointer=memory, interrupt_after=["a"])
    graph.invoke({"log": []}, {"configurable": {"thread_id": "m"}})
    assert memory.thread_status["m"] == "interrupted"


def test_breakpoints_on_nodes_the_graph_lacks_are_refused() -> None:
    with pytest.raises(GraphValidationError, match="breakpoint on 'nope', which is not a node"):
        abc().compile(interrupt_before=["nope"])
    graph = abc().compile(checkpointer=InMemorySaver())
    with pytest.raises(ValueError, match="not a node"):
        graph.invoke({"log": []}, {"configurable": {"thread_id": "x"}}, interrupt_after=["zz"])
