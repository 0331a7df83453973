"""The run loop's seams: the step hook between super-steps, the clock and id source, and channel
versions that name the checkpoint that wrote them."""

from __future__ import annotations

import itertools

from engine.checkpoint.memory import InMemorySaver
from engine.pregel.algo import version_checkpoint
from engine.pregel.runtime import RunEnv, StepCommitted, StepPlan
from sample_graphs import calculator_agent

QUESTION = {"messages": [("human", "Calculate 10 + 20")]}


def calculator(saver=None):
    return calculator_agent.graph.compile(checkpointer=saver or InMemorySaver())


class Recorder:
    def __init__(self, stop_before: int | None = None) -> None:
        self.plans: list[StepPlan] = []
        self.committed: list[StepCommitted] = []
        self.stop_before = stop_before

    async def before_step(self, plan: StepPlan) -> bool:
        self.plans.append(plan)
        return plan.step != self.stop_before

    def after_step(self, committed: StepCommitted) -> None:  # a plain function works too
        self.committed.append(committed)


async def test_the_hook_sees_every_step_before_it_runs_and_every_checkpoint_as_it_is_saved() -> None:
    graph = calculator()
    config = {"configurable": {"thread_id": "t"}}
    hook = Recorder()
    async for _ in graph.loop(config, hook=hook).run(QUESTION):
        pass
    history = [s async for s in graph.aget_state_history(config)][::-1]
    assert [(c.step, c.source, c.next) for c in hook.committed] == [
        (s.metadata["step"], s.metadata["source"], s.next) for s in history
    ]
    assert [c.config for c in hook.committed] == [s.config for s in history]
    assert [p.step for p in hook.plans] == [c.step for c in hook.committed[1:]]
    assert [tuple(t.name for t in p.tasks) for p in hook.plans] == [c.next for c in hook.committed[:-1]]
    assert hook.committed[-1].values == history[-1].values


async def test_a_hook_that_says_no_stops_the_run_before_the_step_and_a_resume_finishes_it() -> None:
    graph = calculator()
    config = {"configurable": {"thread_id": "paused"}}
    hook = Recorder(stop_before=2)  # before the tools step
    async for _ in graph.loop(config, hook=hook).run(QUESTION):
        pass
    paused = await graph.aget_state(config)
    assert paused.next == ("tools",)
    assert paused.metadata["step"] == 1
    final = await graph.ainvoke(None, config)

    straight = calculator()
    expected = await straight.ainvoke(QUESTION, {"configurable": {"thread_id": "straight"}})
    assert [m.content for m in final["messages"]] == [m.content for m in expected["messages"]]


async def test_the_clock_and_ids_come_from_the_run_env() -> None:
    ids = (f"01900000-0000-7000-8000-{n:012x}" for n in itertools.count(1))
    issued: list[str] = []

    def now() -> str:
        issued.append(f"2025-01-01T00:00:{len(issued):02d}+00:00")
        return issued[-1]

    graph = calculator()
    graph.env = RunEnv(now=now, checkpoint_id=lambda: next(ids))
    config = {"configurable": {"thread_id": "t"}}
    await graph.ainvoke(QUESTION, config)
    history = [s async for s in graph.aget_state_history(config)][::-1]
    assert [s.config["configurable"]["checkpoint_id"] for s in history] == [
        f"01900000-0000-7000-8000-{n:012x}" for n in range(1, len(history) + 1)
    ]
    # The clock also times each task's attempt, so the checkpoints take every other reading or so.
    stamps = [s.created_at for s in history]
    assert stamps == sorted(stamps) and set(stamps) <= set(issued) and len(set(stamps)) == len(stamps)


async def test_each_channel_version_names_the_checkpoint_that_wrote_it() -> None:
    saver = InMemorySaver()
    graph = calculator(saver)
    config = {"configurable": {"thread_id": "t"}}
    await graph.ainvoke(QUESTION, config)
    for saved in [s async for s in saver.alist(config)]:
        versions = saved.checkpoint.channel_versions
        writers = {version_checkpoint(versions[c]) for c in ("messages",) if c in versions}
        # messages changed in every step of this graph, so it names the checkpoint itself
        assert writers == {saved.checkpoint.id}


def test_a_version_that_does_not_name_a_checkpoint_gives_none() -> None:
    assert version_checkpoint("0000000003.9f2c1e0a7b6d5c4e") is None  # an older retrace's
    assert version_checkpoint(7) is None
    assert version_checkpoint("0000000001.01900000-0000-7000-8000-000000000001") == (
        "01900000-0000-7000-8000-000000000001"
    )
