"""interrupt() and Command, checked against LangGraph 1.2.22: each expectation below is what the
same graph returned there in a side-by-side run (values, next, tasks' interrupts, call counts)."""

from __future__ import annotations

import operator
from typing import Annotated, Literal, TypedDict

import pytest

from engine.errors import EmptyInputError, InvalidResumeError, UnknownNodeError
from engine.graph import END, START, StateGraph
from engine.types import Command, Interrupt, interrupt


class S(TypedDict, total=False):
    log: Annotated[list, operator.add]
    x: int


def cfg(thread: str = "t") -> dict:
    return {"configurable": {"thread_id": thread}}


def asker(calls: dict[str, int]) -> StateGraph:
    """``ask`` (two interrupts) and ``sib`` run together from START; both lead to ``after``."""

    def bump(name: str) -> None:
        calls[name] = calls.get(name, 0) + 1

    def ask(state: S) -> S:
        bump("ask")
        first = interrupt({"q": "first?"})
        second = interrupt({"q": "second?"})
        return {"log": [f"ask:{first}:{second}:x={state.get('x')}"]}

    def sib(state: S) -> S:
        bump("sib")
        return {"log": ["sib"]}

    def after(state: S) -> S:
        bump("after")
        return {"log": ["after"]}

    b = StateGraph(S)
    b.add_node("ask", ask).add_node("sib", sib).add_node("after", after)
    b.add_edge(START, "ask").add_edge(START, "sib").add_edge("ask", "after").add_edge("sib", "after")
    return b.add_edge("after", END)


def waiting(graph, config) -> list:
    state = graph.get_state(config)
    return [(t.name, [i.value for i in t.interrupts]) for t in state.tasks]


def test_interrupt_pauses_the_step_keeps_the_siblings_and_reruns_only_the_node(saver) -> None:
    calls: dict[str, int] = {}
    graph = asker(calls).compile(checkpointer=saver)

    out = graph.invoke({"log": ["in"]}, cfg())

    assert out["log"] == ["in", "sib"]  # the sibling's writes are in the paused state
    [pending] = out["__interrupt__"]
    assert isinstance(pending, Interrupt) and pending.value == {"q": "first?"}
    assert len(pending.id) == 32
    state = graph.get_state(cfg())
    assert state.next == ("ask",)
    assert waiting(graph, cfg()) == [("ask", [{"q": "first?"}]), ("sib", [])]
    assert [i.id for i in state.interrupts] == [pending.id]
    assert calls == {"ask": 1, "sib": 1}

    again = graph.invoke(None, cfg())  # no answer: the node runs and asks again, same id
    assert [i.id for i in again["__interrupt__"]] == [pending.id]
    assert calls == {"ask": 2, "sib": 1}


def test_each_resume_answers_the_next_call_once_and_update_is_applied_first(saver) -> None:
    calls: dict[str, int] = {}
    graph = asker(calls).compile(checkpointer=saver)
    first = graph.invoke({"log": ["in"]}, cfg())["__interrupt__"][0]

    second = graph.invoke(Command(resume="A"), cfg())["__interrupt__"][0]
    assert second.value == {"q": "second?"} and second.id != first.id  # "A" answered only the first

    done = graph.invoke(Command(resume="B", update={"x": 5}), cfg())
    assert done == {"log": ["in", "ask:A:B:x=5", "sib", "after"], "x": 5}
    assert calls == {"ask": 3, "sib": 1, "after": 1}  # the sibling never ran again
    history = [(s.metadata["source"], s.metadata["step"], s.next) for s in graph.get_state_history(cfg())]
    assert history == [("loop", 2, ()), ("loop", 1, ("after",)), ("loop", 0, ("ask", "sib")), ("input", -1, ("__start__",))]


def test_resuming_a_finished_thread_changes_nothing(saver) -> None:
    calls: dict[str, int] = {}
    graph = asker(calls).compile(checkpointer=saver)
    graph.invoke({"log": []}, cfg())
    graph.invoke(Command(resume=1), cfg())
    final = graph.invoke(Command(resume=2), cfg())
    count = len(list(graph.get_state_history(cfg())))

    assert graph.invoke(Command(resume=3), cfg()) == final
    assert len(list(graph.get_state_history(cfg()))) == count
    assert calls["ask"] == 3


def parallel(calls: dict[str, int]) -> StateGraph:
    def node(name: str):
        def run(state: S) -> S:
            calls[name] = calls.get(name, 0) + 1
            return {"log": [f"{name}:{interrupt(name + '?')}"]}

        return run

    b = StateGraph(S)
    b.add_node("p1", node("p1")).add_node("p2", node("p2"))
    return b.add_edge(START, "p1").add_edge(START, "p2")


def test_parallel_interrupts_are_resumed_by_id(saver) -> None:
    calls: dict[str, int] = {}
    graph = parallel(calls).compile(checkpointer=saver)
    out = graph.invoke({"log": []}, cfg())
    assert [i.value for i in out["__interrupt__"]] == ["p1?", "p2?"]

    with pytest.raises(InvalidResumeError, match="2 interrupts are pending"):
        graph.invoke(Command(resume="X"), cfg())

    by_value = {i.value: i.id for i in graph.get_state(cfg()).interrupts}
    out = graph.invoke(Command(resume={by_value["p1?"]: "one"}), cfg())
    assert out["log"] == ["p1:one"] and [i.value for i in out["__interrupt__"]] == ["p2?"]
    assert graph.get_state(cfg()).next == ("p2",)

    out = graph.invoke(Command(resume={by_value["p2?"]: "two"}), cfg())
    assert out == {"log": ["p1:one", "p2:two"]}
    assert calls == {"p1": 2, "p2": 3}


def test_a_dict_that_is_not_a_map_of_pending_ids_is_the_answer_itself(saver) -> None:
    b = StateGraph(S)
    b.add_node("ask", lambda s: {"log": [interrupt("ok?")]}).add_edge(START, "ask")
    graph = b.compile(checkpointer=saver)
    graph.invoke({"log": []}, cfg("d"))

    assert graph.invoke(Command(resume={"approved": True}), cfg("d")) == {"log": [{"approved": True}]}


def test_update_only_command_on_a_paused_thread_is_kept_and_the_node_asks_again(saver) -> None:
    graph = StateGraph(S)
    graph.add_node("ask", lambda s: {"log": [interrupt({"x": s.get("x")})]}).add_edge(START, "ask")
    app = graph.compile(checkpointer=saver)
    app.invoke({"log": []}, cfg())

    out = app.invoke(Command(update={"x": 3}), cfg())

    assert out["x"] == 3 and [i.value for i in out["__interrupt__"]] == [{"x": 3}]
    assert app.get_state(cfg()).values == {"log": [], "x": 3}  # saved, no new checkpoint
    assert len(list(app.get_state_history(cfg()))) == 2
    assert app.invoke(Command(resume="go"), cfg()) == {"log": ["go"], "x": 3}


def test_interrupt_without_checkpointer_returns_it_and_resume_needs_a_checkpoint(saver) -> None:
    calls: dict[str, int] = {}
    assert [i.value for i in parallel(calls).compile().invoke({"log": []})["__interrupt__"]] == ["p1?", "p2?"]
    with pytest.raises(EmptyInputError, match="no checkpoint to resume"):
        parallel(calls).compile(checkpointer=saver).invoke(Command(resume=1), cfg("fresh"))


def test_interrupt_outside_a_node_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="inside a node"):
        interrupt("nobody is listening")


def test_stream_modes_show_the_interrupt(saver) -> None:
    calls: dict[str, int] = {}
    graph = asker(calls).compile(checkpointer=saver)
    updates = list(graph.stream({"log": []}, cfg("u"), stream_mode="updates"))
    # As LangGraph 1.2.22: the finished sibling's update as it finished, then the interrupt.
    assert updates[0] == {"sib": {"log": ["sib"]}}
    assert [i.value for i in updates[-1]["__interrupt__"]] == [{"q": "first?"}]


def test_command_goto_from_a_node_with_no_static_edges(saver) -> None:
    def route(state: S) -> Command[Literal["b", "c"]]:
        return Command(update={"log": ["r"]}, goto="b")

    b = StateGraph(S)
    b.add_node("r", route).add_node("b", lambda s: {"log": ["b"]}).add_node("c", lambda s: {"log": ["c"]})
    b.add_edge(START, "r")
    graph = b.compile(checkpointer=saver)  # annotated: no "unreachable" warning

    assert graph.invoke({"log": []}, cfg()) == {"log": ["r", "b"]}


def test_command_goto_adds_to_the_static_edges(saver) -> None:
    b = StateGraph(S)
    b.add_node("r", lambda s: Command(goto=["b"])).add_node("b", lambda s: {"log": ["b"]})
    b.add_node("c", lambda s: {"log": ["c"]})
    b.add_edge(START, "r").add_edge("r", "c")
    with pytest.warns(UserWarning, match="'b' is not reachable"):
        graph = b.compile(checkpointer=saver)

    assert graph.invoke({"log": []}, cfg()) == {"log": ["b", "c"]}


def test_command_goto_to_an_unknown_node_names_it(saver) -> None:
    b = StateGraph(S)
    b.add_node("r", lambda s: Command(goto="nope")).add_edge(START, "r")
    with pytest.raises(UnknownNodeError, match="Command\\(goto='nope'\\)"):
        b.compile(checkpointer=saver).invoke({"log": []}, cfg())


# Found in a second side-by-side pass (LangGraph 1.2.22) --------------------------------------


def test_an_answer_sent_at_a_breakpoint_goes_to_the_first_interrupt(saver) -> None:
    calls: dict[str, int] = {}
    graph = asker(calls).compile(checkpointer=saver, interrupt_before=["ask"])
    assert "__interrupt__" not in graph.invoke({"log": []}, cfg())  # paused before ask

    second = graph.invoke(Command(resume="EARLY"), cfg())["__interrupt__"][0]

    assert second.value == {"q": "second?"}  # the first call took EARLY, once
    assert graph.invoke(Command(resume="B"), cfg())["log"] == ["ask:EARLY:B:x=None", "sib", "after"]
    assert calls["ask"] == 2


def test_an_answer_after_an_edit_of_the_paused_thread_is_not_lost(saver) -> None:
    b = StateGraph(S)
    b.add_node("ask", lambda s: {"log": [f"{interrupt('ok?')}:x={s.get('x')}"]}).add_node("sib", lambda s: {"log": ["sib"]})
    graph = b.add_edge(START, "ask").add_edge(START, "sib").compile(checkpointer=saver)
    graph.invoke({"log": []}, cfg())
    graph.update_state(cfg(), {"x": 2})  # as START (it ran the last step): ask and sib run again

    assert graph.invoke(Command(resume="B"), cfg()) == {"log": ["B:x=2", "sib"], "x": 2}


def test_resume_with_the_snapshot_config_resumes_instead_of_replaying(saver) -> None:
    calls: dict[str, int] = {}
    graph = asker(calls).compile(checkpointer=saver)
    graph.invoke({"log": []}, cfg())
    at = graph.get_state(cfg()).config  # names the checkpoint (a checkpoint_id)

    out = graph.invoke(Command(resume="A"), at)

    assert [i.value for i in out["__interrupt__"]] == [{"q": "second?"}]
    assert calls == {"ask": 2, "sib": 1}  # no fork copy, the sibling not run again
    assert [s.metadata["source"] for s in graph.get_state_history(cfg())] == ["loop", "input"]


def test_running_on_from_an_edit_then_resuming_finds_the_interrupt(saver) -> None:
    b = StateGraph(S)
    b.add_node("ask", lambda s: {"log": [interrupt("q?")]}).add_edge(START, "ask")
    graph = b.compile(checkpointer=saver)
    graph.invoke({"log": []}, cfg())
    edited = graph.update_state(cfg(), {"x": 1}, as_node="__start__")

    graph.invoke(None, edited)  # runs on from the edit, and asks

    assert [i.value for i in graph.get_state(cfg()).interrupts] == ["q?"]
    assert graph.invoke(Command(resume="Q"), edited)["log"] == ["Q"]


def test_an_interrupt_in_a_router_pauses_its_node(saver) -> None:
    calls: dict[str, int] = {}

    def a(state: S) -> S:
        calls["a"] = calls.get("a", 0) + 1
        return {"log": ["a"]}

    def route(state: S) -> str:
        return "b" if interrupt("which?") == "b" else END

    b = StateGraph(S)
    b.add_node("a", a).add_node("b", lambda s: {"log": ["b"]})
    b.add_edge(START, "a").add_conditional_edges("a", route, ["b", END])
    graph = b.compile(checkpointer=saver)
    assert [i.value for i in graph.invoke({"log": []}, cfg())["__interrupt__"]] == ["which?"]

    assert graph.invoke(Command(resume="b"), cfg()) == {"log": ["a", "b"]}
    assert calls["a"] == 2  # the node and its router run again, as in LangGraph


def test_a_map_answers_the_ids_it_knows_and_ignores_the_others(saver) -> None:
    calls: dict[str, int] = {}
    graph = parallel(calls).compile(checkpointer=saver)
    graph.invoke({"log": []}, cfg())
    by_value = {i.value: i.id for i in graph.get_state(cfg()).interrupts}

    out = graph.invoke(Command(resume={by_value["p2?"]: "two", "0" * 32: "stale"}), cfg())
    assert [i.value for i in out["__interrupt__"]] == ["p1?"]
    assert [i.value for i in graph.invoke(Command(resume={}), cfg())["__interrupt__"]] == ["p1?"]


def test_history_keeps_answered_interrupts_and_each_task_s_result(saver) -> None:
    calls: dict[str, int] = {}
    graph = asker(calls).compile(checkpointer=saver)
    graph.invoke({"log": []}, cfg())
    graph.invoke(Command(resume="A"), cfg())
    graph.invoke(Command(resume="B"), cfg())

    step0 = next(s for s in graph.get_state_history(cfg()) if s.metadata["step"] == 0)

    assert [(t.name, [i.value for i in t.interrupts], t.result) for t in step0.tasks] == [
        ("ask", [{"q": "second?"}], {"log": ["ask:A:B:x=None"]}),
        ("sib", [], {"log": ["sib"]}),
    ]


def test_streams_put_the_interrupt_first_as_langgraph_does(saver) -> None:
    calls: dict[str, int] = {}
    graph = asker(calls).compile(checkpointer=saver)
    values = list(graph.stream({"log": []}, cfg(), stream_mode="values"))
    assert [sorted(v) for v in values] == [["log"], ["__interrupt__", "log"], ["log"]]
    assert values[1]["log"] == [] and values[2] == {"log": ["sib"]}
    resumed = list(graph.stream(Command(resume="A"), cfg(), stream_mode="values"))
    assert resumed[0] == {"log": []}  # a resume starts with the checkpoint it goes on from
