"""Reducers and parallel super-steps: how writes are merged, when they become visible, and in
what order, whatever order the nodes finish in."""

from __future__ import annotations

import asyncio
import operator
import threading
from typing import Annotated, NotRequired, Required, TypedDict

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.checkpoint.memory import InMemorySaver
from engine.graph import END, START, MessagesState, StateGraph
from engine.messages import AIMessage, HumanMessage


def cfg(thread_id: str) -> dict:
    return {"configurable": {"thread_id": thread_id}}


def chain(state_schema, *nodes) -> StateGraph:
    """START -> nodes[0] -> nodes[1] -> ... -> END; each node is ``(name, fn)``."""
    builder = StateGraph(state_schema)
    previous = START
    for name, fn in nodes:
        builder.add_node(name, fn)
        builder.add_edge(previous, name)
        previous = name
    builder.add_edge(previous, END)
    return builder


def fan_out(state_schema, nodes: dict, then: tuple | None = None) -> StateGraph:
    """Every node of ``nodes`` from START in one super-step, then ``then`` (or END)."""
    builder = StateGraph(state_schema)
    for name, fn in nodes.items():
        builder.add_node(name, fn)
        builder.add_edge(START, name)
    if then is not None:
        builder.add_node(*then)
        builder.add_edge(then[0], END)
    for name in nodes:
        builder.add_edge(name, then[0] if then else END)
    return builder


# --- reducers -------------------------------------------------------------------------------


class ListState(TypedDict):
    log: Annotated[list, operator.add]
    last: str


def test_operator_add_concatenates_writes_across_steps_and_last_value_is_overwritten():
    graph = chain(
        ListState,
        ("first", lambda s: {"log": ["first"], "last": "first"}),
        ("second", lambda s: {"log": ["second"], "last": "second"}),
    ).compile()

    result = graph.invoke({"log": ["input"], "last": "input"})

    assert result == {"log": ["input", "first", "second"], "last": "second"}


def test_last_value_field_not_written_keeps_its_input():
    graph = chain(ListState, ("only", lambda s: {"log": ["x"]})).compile()

    assert graph.invoke({"log": [], "last": "kept"})["last"] == "kept"


class CountState(TypedDict):
    count: Annotated[int, lambda a, b: a + b]
    best: Annotated[float, max]


def test_lambda_sum_and_max_reducers_fold_parallel_and_sequential_writes():
    builder = fan_out(
        CountState,
        {
            "low": lambda s: {"count": 1, "best": 0.8},
            "high": lambda s: {"count": 1, "best": 0.9},
        },
        then=("after", lambda s: {"count": 10, "best": 0.1}),
    )

    result = builder.compile().invoke({"count": 0, "best": 0.0})

    assert result["count"] == 12  # 0 + 1 + 1, then + 10
    assert result["best"] == 0.9  # max never goes down


def test_max_reducer_keeps_a_higher_input_value():
    builder = fan_out(CountState, {"a": lambda s: {"best": 0.8}, "b": lambda s: {"best": 0.9}})

    assert builder.compile().invoke({"count": 0, "best": 0.95})["best"] == 0.95


def test_add_messages_appends_converts_and_replaces_by_id():
    def reply(state: MessagesState) -> dict:
        return {"messages": [AIMessage("hello", id="ai-1")]}

    def edit(state: MessagesState) -> dict:
        return {"messages": [AIMessage("hello, edited", id="ai-1"), ("human", "thanks")]}

    graph = chain(MessagesState, ("reply", reply), ("edit", edit)).compile()

    messages = graph.invoke({"messages": [{"role": "user", "content": "hi"}]})["messages"]

    assert [type(m) for m in messages] == [HumanMessage, AIMessage, HumanMessage]
    assert [m.content for m in messages] == ["hi", "hello, edited", "thanks"]
    assert messages[1].id == "ai-1"
    assert all(m.id for m in messages)


class PartialState(TypedDict, total=False):
    required_log: Required[Annotated[list, operator.add]]
    optional_log: NotRequired[Annotated[list, operator.add]]


def test_reducer_inside_required_or_not_required_is_kept():
    builder = fan_out(
        PartialState,
        {
            "a": lambda s: {"required_log": ["a"], "optional_log": ["a"]},
            "b": lambda s: {"required_log": ["b"], "optional_log": ["b"]},
        },
    )

    result = builder.compile().invoke({"required_log": ["in"]})

    assert result == {"required_log": ["in", "a", "b"], "optional_log": ["a", "b"]}


# --- parallel super-steps --------------------------------------------------------------------


class SeenState(TypedDict):
    value: str
    seen: Annotated[list, operator.add]


async def test_parallel_nodes_share_the_pre_step_state_and_writes_show_next_step():
    saver = InMemorySaver()
    builder = fan_out(
        SeenState,
        {
            "a_writer": lambda s: {"value": "new", "seen": [("a_writer", s["value"])]},
            "b_reader": lambda s: {"seen": [("b_reader", s["value"])]},
        },
        then=("c_after", lambda s: {"seen": [("c_after", s["value"])]}),
    )
    graph = builder.compile(checkpointer=saver)

    result = await graph.ainvoke({"value": "old", "seen": []}, cfg("t"))

    assert result["seen"] == [("a_writer", "old"), ("b_reader", "old"), ("c_after", "new")]
    history = [s async for s in graph.aget_state_history(cfg("t"))]
    by_step = {s.metadata["step"]: s for s in history}
    assert set(by_step[1].metadata["writes"]) == {"a_writer", "b_reader"}  # one super-step
    assert by_step[0].next == ("a_writer", "b_reader")
    assert by_step[1].values["value"] == "new"


async def test_reducer_order_is_node_name_order_not_finish_order():
    finished: list[str] = []
    beta_done = asyncio.Event()

    async def alpha(state):
        # Cannot finish before beta: proves the two run concurrently and alpha ends last.
        await asyncio.wait_for(beta_done.wait(), timeout=5)
        await asyncio.sleep(0.01)
        finished.append("alpha")
        return {"seen": ["alpha"]}

    async def beta(state):
        finished.append("beta")
        beta_done.set()
        return {"seen": ["beta"]}

    graph = fan_out(SeenState, {"beta": beta, "alpha": alpha}).compile()

    result = await graph.ainvoke({"value": "", "seen": []})

    assert finished == ["beta", "alpha"]
    assert result["seen"] == ["alpha", "beta"]


async def test_async_nodes_with_different_sleeps_merge_in_name_order():
    def node(name: str, delay: float):
        async def run(state):
            await asyncio.sleep(delay)
            return {"seen": [name]}

        return run

    graph = fan_out(SeenState, {"n1": node("n1", 0.03), "n2": node("n2", 0.0), "n3": node("n3", 0.01)}).compile()

    assert (await graph.ainvoke({"value": "", "seen": []}))["seen"] == ["n1", "n2", "n3"]


def test_sync_nodes_of_one_step_run_concurrently():
    barrier = threading.Barrier(2, timeout=5)  # BrokenBarrierError unless both are in flight

    def node(name: str):
        def run(state):
            barrier.wait()
            return {"seen": [name]}

        return run

    graph = fan_out(SeenState, {"left": node("left"), "right": node("right")}).compile()

    assert graph.invoke({"value": "", "seen": []})["seen"] == ["left", "right"]


@settings(max_examples=30, deadline=None)
@given(
    nodes=st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True),
        st.integers(min_value=0, max_value=6),
        min_size=1,
        max_size=7,
    )
)
def test_parallel_appends_are_sorted_by_node_name_whatever_the_finish_order(nodes):
    def node(name: str, yields: int):
        async def run(state):
            for _ in range(yields):  # a different number of yields changes the finish order
                await asyncio.sleep(0)
            return {"seen": [name], "count": 1}

        return run

    class State(TypedDict):
        seen: Annotated[list, operator.add]
        count: Annotated[int, operator.add]

    graph = fan_out(State, {name: node(name, yields) for name, yields in nodes.items()}).compile()

    result = graph.invoke({"seen": [], "count": 0})

    assert result["seen"] == sorted(nodes)
    assert result["count"] == len(nodes)
