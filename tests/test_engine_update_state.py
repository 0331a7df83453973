"""update_state: edits go through reducers and the node's edges, and fork instead of overwriting."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

import pytest

from engine.checkpoint.memory import InMemorySaver
from engine.errors import InvalidUpdateError, UnknownNodeError
from engine.graph import END, START, StateGraph
from engine.messages import AIMessage, SystemMessage
from sample_graphs import calculator_agent, parallel_search


def calculator(saver=None):
    return calculator_agent.graph.compile(checkpointer=saver or InMemorySaver())


async def test_reject_a_tool_call_as_the_tools_node(saver) -> None:
    graph = calculator(saver)
    config = {"configurable": {"thread_id": "hitl-1"}}
    await graph.ainvoke({"messages": [("human", "Calculate 10 + 20")]}, config)
    history = [s async for s in graph.aget_state_history(config)]
    before_tools = next(s for s in history if s.next == ("tools",))
    kept = before_tools.values

    new_config = await graph.aupdate_state(
        before_tools.config, {"messages": [("system", "Action rejected by human.")]}, as_node="tools"
    )
    edited = await graph.aget_state(new_config)
    assert edited.metadata["source"] == "update"
    assert edited.metadata["writes"] == {"tools": ["messages"]}
    assert edited.metadata["step"] == before_tools.metadata["step"] + 1
    assert edited.parent_config["configurable"]["checkpoint_id"] == before_tools.config["configurable"]["checkpoint_id"]
    assert edited.next == ("agent",)  # the update stands in for the tools run: tools is not pending
    assert isinstance(edited.values["messages"][-1], SystemMessage)
    assert len(edited.values["messages"]) == len(kept["messages"]) + 1  # appended by the reducer

    result = await graph.ainvoke(None, new_config)
    assert isinstance(result["messages"][-1], AIMessage)
    assert "30" not in result["messages"][-1].content  # the tool never ran on this branch
    again = await graph.aget_state(before_tools.config)
    assert again.values == kept  # the old checkpoint is untouched
    assert len([s async for s in graph.aget_state_history(config)]) == len(history) + 2


def test_as_node_defaults_to_the_single_node_of_the_last_step() -> None:
    graph = calculator()
    config = {"configurable": {"thread_id": "t"}}
    graph.invoke({"messages": [("human", "hello")]}, config)
    new_config = graph.update_state(config, {"messages": [("human", "Calculate 1 + 2")]})
    state = graph.get_state(new_config)
    assert state.metadata["writes"] == {"agent": ["messages"]}
    assert state.next == ()  # agent's router saw the new human message last: no tool call to run


def test_ambiguous_update_after_a_parallel_step_names_the_nodes() -> None:
    graph = parallel_search.graph.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "p"}}
    graph.invoke(parallel_search.initial_state("q"), config)
    parallel = next(s for s in graph.get_state_history(config) if len(s.metadata["writes"]) == 2)
    with pytest.raises(InvalidUpdateError, match="as_node") as info:
        graph.update_state(parallel.config, {"summary": "edited"})
    assert "doc_search" in str(info.value) and "web_search" in str(info.value)
    new_config = graph.update_state(parallel.config, {"search_count": 10}, as_node="doc_search")
    assert graph.get_state(new_config).values["search_count"] == 12  # through the sum reducer


def test_bad_updates_are_rejected_and_save_nothing() -> None:
    graph = calculator()
    config = {"configurable": {"thread_id": "bad"}}
    graph.invoke({"messages": [("human", "hi")]}, config)
    count = len(list(graph.get_state_history(config)))
    with pytest.raises(UnknownNodeError, match="ghost"):
        graph.update_state(config, {"messages": []}, as_node="ghost")
    with pytest.raises(InvalidUpdateError, match="nope"):
        graph.update_state(config, {"nope": 1}, as_node="agent")
    assert len(list(graph.get_state_history(config))) == count


def test_update_on_an_empty_thread_acts_as_input() -> None:
    class S(TypedDict):
        items: Annotated[list, operator.add]

    builder = StateGraph(S).add_node("grow", lambda s: {"items": ["grown"]})
    builder.add_edge(START, "grow").add_edge("grow", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "fresh"}}
    new_config = graph.update_state(config, {"items": ["seeded"]})
    assert graph.get_state(new_config).next == ("grow",)
    assert graph.invoke(None, config)["items"] == ["seeded", "grown"]


def test_an_update_of_the_input_checkpoint_acts_as_start() -> None:
    # Checked against LangGraph 1.2.22: no as_node on a run's input checkpoint means START; the
    # update is step 0 (source "update"), the first node runs next, and the branch runs on.
    class S(TypedDict):
        n: int

    builder = StateGraph(S).add_node("a", lambda s: {"n": s["n"] + 1}).add_node("b", lambda s: {"n": s["n"] * 2})
    builder.add_edge(START, "a").add_edge("a", "b").add_edge("b", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    graph.invoke({"n": 1}, config)
    the_input = list(graph.get_state_history(config))[-1]
    edited = graph.get_state(graph.update_state(the_input.config, {"n": 10}))
    assert (edited.metadata["step"], edited.metadata["source"], edited.next) == (0, "update", ("a",))
    assert edited.values == {"n": 10} and edited.metadata["edited_as"] == START
    assert graph.invoke(None, edited.config) == {"n": 22}
    shape = [(h.metadata["step"], h.metadata["source"], h.next) for h in graph.get_state_history(config)]
    assert shape == [(2, "loop", ()), (1, "loop", ("b",)), (0, "update", ("a",)),
                     (2, "loop", ()), (1, "loop", ("b",)), (0, "loop", ("a",)), (-1, "input", (START,))]


def test_update_state_needs_a_checkpointer() -> None:
    with pytest.raises(ValueError, match="checkpointer"):
        calculator_agent.graph.compile().update_state({"configurable": {"thread_id": "x"}}, {})


async def test_an_edit_never_replaces_what_the_original_step_recorded(sqlite_saver) -> None:
    graph = parallel_search.graph.compile(checkpointer=sqlite_saver)
    config = {"configurable": {"thread_id": "e"}}
    await graph.ainvoke(parallel_search.initial_state("q"), config)
    step0 = [s async for s in graph.aget_state_history(config) if s.metadata["step"] == 0][0]
    step0_id = step0.config["configurable"]["checkpoint_id"]
    before = await sqlite_saver.reader.get_pending_writes("e", step0_id)

    edited = await graph.aupdate_state(step0.config, {"results": [{"source": "manual"}]}, as_node="web_search")

    after = await sqlite_saver.reader.get_pending_writes("e", step0_id)
    assert all(w in after for w in before)  # the real web_search write is still there
    metadata = (await graph.aget_state(edited)).metadata
    assert metadata["edited_as"] == "web_search"
    (edit_id,) = metadata["task_ids"]
    assert edit_id not in {w.task_id for w in before}
    assert [(w.channel, w.value) for w in after if w.task_id == edit_id and w.channel == "results"] == [
        ("results", [{"source": "manual"}])
    ]


async def test_stored_checkpoints_show_reducer_defaults_like_get_state(sqlite_saver) -> None:
    graph = parallel_search.graph.compile(checkpointer=sqlite_saver)
    config = {"configurable": {"thread_id": "d"}}
    await graph.ainvoke({"query": "q"}, config)
    for snapshot in [s async for s in graph.aget_state_history(config)]:
        stored = await sqlite_saver.reader.get_checkpoint("d", snapshot.config["configurable"]["checkpoint_id"])
        shown = {k: v for k, v in stored.channel_values.items() if k in snapshot.values}
        assert shown == snapshot.values


class Typed(TypedDict):
    count: int
    label: str
    tags: Annotated[list[str], operator.add]


def typed_graph():
    builder = StateGraph(Typed)
    builder.add_node("bump", lambda s: {"count": s["count"] + 1})
    builder.add_edge(START, "bump")
    builder.add_edge("bump", END)
    return builder.compile(checkpointer=InMemorySaver())


async def test_an_update_that_does_not_fit_the_schema_is_refused_and_nothing_is_written() -> None:
    graph = typed_graph()
    config = {"configurable": {"thread_id": "typed"}}
    await graph.ainvoke({"count": 1, "label": "a", "tags": []}, config)
    before = [s.config async for s in graph.aget_state_history(config)]
    with pytest.raises(InvalidUpdateError) as caught:
        await graph.aupdate_state(config, {"count": "3", "label": 7}, as_node="bump")
    message = str(caught.value)
    assert "'count' expects int, got str '3'" in message
    assert "'label' expects str, got int 7" in message
    assert [s.config async for s in graph.aget_state_history(config)] == before


async def test_an_update_that_fits_is_written_and_reducer_keys_take_what_their_reducer_takes() -> None:
    graph = typed_graph()
    config = {"configurable": {"thread_id": "typed-ok"}}
    await graph.ainvoke({"count": 1, "label": "a", "tags": []}, config)
    new_config = await graph.aupdate_state(config, {"count": 5, "tags": ["x"]}, as_node="bump")
    state = await graph.aget_state(new_config)
    assert state.values == {"count": 5, "label": "a", "tags": ["x"]}
