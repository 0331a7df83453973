"""The concurrency-safety lint on a corpus of graphs: what it must flag (the seeds' broken
examples, a Send target writing a plain channel, branches of different lengths that meet) and
what it must not (their fixes, exclusive routes, sequential writers, read-only fields)."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Annotated, Literal, TypedDict

import pytest

from engine.graph import END, START, StateGraph
from engine.lint import lint
from engine.types import Command, Send
from sample_graphs import (
    iteration_counter,
    map_reduce,
    parallel_search,
    preferences,
    research_team,
)


def errors(graph) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {f.channel: (f.rule, f.nodes) for f in lint(graph) if f.severity == "error"}


# Seed 000 and seed 002: must flag, and their fixes must not ---------------------------------


def test_the_buggy_parallel_search_has_all_three_unsafe_fields_with_their_fix() -> None:
    found = [f for f in lint(parallel_search.buggy_graph) if f.severity == "error"]
    assert {f.channel: f.rule for f in found} == {"results": "R1", "total_score": "R2", "search_count": "R2"}
    results = next(f for f in found if f.channel == "results")
    assert results.nodes == ("doc_search", "web_search")
    assert "both are triggered by START" in results.message and "InvalidUpdateError" in results.message
    assert "Annotated[list" in results.fix and "operator.add" in results.fix
    assert results.file.endswith("parallel_search.py") and results.line == 18  # `results: list[dict]`
    assert lint(parallel_search.graph) == []


class BrokenCounter(TypedDict):
    count: int


class FixedCounter(TypedDict):
    count: Annotated[int, operator.add]


def increment(state) -> dict:
    return {"count": state["count"] + 1}


def two_from_start(state_class, a=increment, b=increment) -> StateGraph:
    builder = StateGraph(state_class).add_node("node_a", a).add_node("node_b", b)
    return builder.add_edge(START, "node_a").add_edge(START, "node_b").add_edge("node_a", END).add_edge("node_b", END)


class BrokenStatus(TypedDict):
    query: str
    status: str


def set_status_web(state) -> dict:
    return {"status": "web done"}


def set_status_docs(state) -> dict:
    return {"status": "docs done"}


def test_seed_000s_counter_and_status_races_are_scalar_errors_and_the_reducer_fixes_them() -> None:
    assert errors(two_from_start(BrokenCounter)) == {"count": ("R2", ("node_a", "node_b"))}
    assert errors(two_from_start(FixedCounter)) == {}
    assert errors(two_from_start(BrokenStatus, set_status_web, set_status_docs)) == {"status": ("R2", ("node_a", "node_b"))}


@dataclass
class Seed002State:
    topic: str = ""
    current_iteration: int = 0
    results: list[str] = field(default_factory=list)


def researcher(state: Seed002State) -> dict:
    return {"current_iteration": state.current_iteration + 1, "results": ["research"]}


def critic(state: Seed002State) -> dict:
    return {"current_iteration": state.current_iteration + 1, "results": ["critique"]}


def test_seed_002s_dataclass_state_flags_the_counter_and_the_list_and_the_concept() -> None:
    builder = StateGraph(Seed002State).add_node("researcher", researcher).add_node("critic", critic)
    builder.add_edge(START, "researcher").add_edge(START, "critic")
    found = lint(builder)
    assert {(f.channel, f.rule, f.severity) for f in found if f.channel} >= {
        ("current_iteration", "R2", "error"), ("results", "R1", "error"), ("current_iteration", "R2", "warning")}
    concept = next(f for f in found if f.severity == "warning" and f.channel == "current_iteration")
    assert "execution_path" in concept.fix and "len(execution_path)" in concept.fix


def test_the_iteration_counter_sample_buggy_and_fixed() -> None:
    assert errors(iteration_counter.buggy_graph) == {"current_iteration": ("R2", ("critic", "researcher"))}
    assert errors(iteration_counter.graph) == {}


# Topology: who may run together -------------------------------------------------------------


class Plain(TypedDict, total=False):
    x: str
    log: Annotated[list, operator.add]


def writes_x(state) -> dict:
    return {"x": "written"}


def test_a_send_target_writing_a_plain_channel_runs_in_parallel_with_itself() -> None:
    builder = StateGraph(Plain).add_node("summarize", writes_x)
    builder.add_conditional_edges(START, lambda s: [Send("summarize", {}) for _ in range(2)], ["summarize"])
    (finding,) = [f for f in lint(builder) if f.severity == "error"]
    assert finding.channel == "x" and finding.nodes == ("summarize",)
    assert "Sends from START fan out to summarize" in finding.message
    assert errors(map_reduce.graph) == {} and errors(preferences.graph) == {} and errors(research_team.graph) == {}


def test_two_nodes_a_router_picks_between_are_never_flagged() -> None:
    def route(state) -> Literal["a", "b"]:
        return "a"

    builder = StateGraph(Plain).add_node("a", writes_x).add_node("b", writes_x)
    builder.add_conditional_edges(START, route)
    assert errors(builder) == {}


def test_a_router_that_can_return_a_list_picks_several() -> None:
    def route(state) -> list[str]:
        return ["a", "b"]

    builder = StateGraph(Plain).add_node("a", writes_x).add_node("b", writes_x)
    builder.add_conditional_edges(START, route, ["a", "b"])
    assert errors(builder) == {"x": ("R2", ("a", "b"))}


def test_sequential_writers_and_a_single_writer_are_clean() -> None:
    builder = StateGraph(Plain).add_node("a", writes_x).add_node("b", writes_x).add_node("c", lambda s: {"log": ["c"]})
    builder.add_edge(START, "a").add_edge("a", "b").add_edge(START, "c")
    assert errors(builder) == {}  # a then b: never in one step; c writes a reducer channel


def test_branches_of_different_lengths_that_meet_run_the_join_target_with_the_longer_branch() -> None:
    builder = StateGraph(Plain)
    for name in ("a", "b", "c"):
        builder.add_node(name, lambda s: {"log": ["."]})
    builder.add_node("d", writes_x).add_node("e", writes_x)
    builder.add_edge(START, "a").add_edge("a", "d").add_edge(START, "b").add_edge("b", "c").add_edge("c", "e")
    assert errors(builder) == {}  # d runs in step 2, e in step 3
    builder.add_edge("b", "e")  # now e also runs in step 2, with d
    assert errors(builder) == {"x": ("R2", ("d", "e"))}


def test_a_join_target_waits_for_both_and_so_never_runs_with_them() -> None:
    builder = StateGraph(Plain).add_node("a", lambda s: {"log": ["a"]}).add_node("b", writes_x).add_node("c", writes_x)
    builder.add_edge(START, "a").add_edge(START, "b").add_edge(["a", "b"], "c")
    assert errors(builder) == {}


def test_command_goto_destinations_count_where_declared() -> None:
    def pick(state) -> Command[Literal["b", "c"]]:
        return Command(goto=["b", "c"])

    builder = StateGraph(Plain).add_node("pick", pick).add_node("b", writes_x).add_node("c", writes_x)
    builder.add_edge(START, "pick")
    assert errors(builder) == {"x": ("R2", ("b", "c"))}


def test_a_subgraph_is_linted_on_its_own_schema() -> None:
    inner = two_from_start(BrokenCounter).compile()
    outer = StateGraph(BrokenCounter).add_node("sub", inner).add_edge(START, "sub")
    (finding,) = [f for f in lint(outer) if f.severity == "error"]
    assert finding.channel == "count" and finding.message.startswith("in subgraph sub: ")


def test_a_node_whose_writes_cannot_be_read_is_said_not_guessed() -> None:
    made_elsewhere = {"x": "?"}

    def opaque(state) -> dict:
        return dict(made_elsewhere) if state else made_elsewhere

    builder = two_from_start(Plain, opaque, writes_x)
    (finding,) = lint(builder)
    assert finding.severity == "warning" and finding.nodes == ("node_a", "node_b")
    assert "cannot tell what node_a writes" in finding.message and "made elsewhere" in finding.message


# R3 and R4 ------------------------------------------------------------------------------------


class Documented(TypedDict, total=False):
    # SAFE: the input, never written
    topic: str
    notes: Annotated[list, operator.add]  # PARALLEL-SAFE: appends merge


class Undocumented(TypedDict, total=False):
    topic: str  # the topic
    notes: Annotated[list, operator.add]


def test_r3_wants_a_safety_comment_on_every_field_only_when_asked() -> None:
    assert [f for f in lint(two_from_start(Documented, writes_x, writes_x), rules=["R3"])] == []
    found = lint(two_from_start(Undocumented, writes_x, writes_x), rules=["R3"])
    assert [(f.rule, f.channel) for f in found] == [("R3", "notes"), ("R3", "topic")]
    assert all(f.line and "# SAFE:" in f.fix for f in found)
    assert not [f for f in lint(two_from_start(Undocumented, writes_x, writes_x)) if f.rule == "R3"]


def test_r4_lists_what_compile_no_longer_refuses() -> None:
    def returns_extra(state) -> dict:
        return {"x": "ok", "zzz": 1}

    builder = StateGraph(Plain).add_node("a", returns_extra).add_node("orphan", writes_x).add_node("loop", writes_x)
    builder.add_edge(START, "a").add_edge("a", "loop").add_edge("loop", "loop")
    messages = [f.message for f in lint(builder) if f.rule == "R4"]
    assert any("'orphan' is not reachable from START" in m for m in messages)
    assert any("loop with no way out" in m for m in messages)
    assert "node 'a' returns key 'zzz', not in the state: dropped" in messages
    assert any("node 'orphan' has no edge out" in m for m in messages)


def test_a_graph_that_does_not_compile_gives_its_problems_as_errors_and_bad_rules_are_refused() -> None:
    builder = StateGraph(Plain).add_node("a", writes_x).add_edge(START, "nowhere")
    (finding,) = lint(builder)
    assert (finding.rule, finding.severity) == ("R4", "error") and "nowhere" in finding.message
    with pytest.raises(ValueError, match="unknown rule"):
        lint(builder, rules=["R9"])
    with pytest.raises(TypeError, match="takes a StateGraph"):
        lint(object())


class Configured(TypedDict, total=False):
    max_iterations: int  # SAFE: configuration, never written
    log: Annotated[list, operator.add]


def reads_config(state) -> dict:
    return {"log": [state["max_iterations"]]}


def test_a_read_only_configuration_field_read_by_parallel_nodes_is_clean() -> None:
    assert lint(two_from_start(Configured, reads_config, reads_config)) == []


def test_recorded_writes_fill_in_what_the_source_does_not_show() -> None:
    from engine.lint import Observed

    made_elsewhere = {"x": "?"}

    def opaque(state) -> dict:
        return made_elsewhere

    builder = two_from_start(Plain, opaque, writes_x)
    assert errors(builder) == {}  # unknown: a warning, not a guess
    found = lint(builder, Observed(writes={"node_a": {"x"}}))
    assert {f.channel: f.severity for f in found} == {"x": "error"}


async def test_recorded_runs_are_read_from_the_checkpoint_metadata_of_their_graph(demo_db) -> None:
    from engine.debug.source import open_source
    from engine.lint.observed import observed_runs

    reader = await open_source(demo_db)
    try:
        observed, threads = await observed_runs(reader, "sample_graphs.iteration_counter:graph")
    finally:
        await reader.close()
    assert threads == 1  # iteration-fixed; iteration-buggy is another graph's
    assert {"notes", "execution_path"} <= observed.writes["researcher"]
    assert any((a, b) == ("critic", "researcher") for a, b, _ in observed.together)
