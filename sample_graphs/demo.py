"""``retrace demo``'s runs: every sample graph on several threads, into one checkpoint database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.checkpoint.sqlite import AsyncSqliteSaver
from engine.errors import EngineError
from engine.pregel.runtime import DEFAULT_ENV, RunEnv
from engine.store.sqlite import AsyncSqliteStore
from engine.types import Command
from sample_graphs import (
    approval,
    calculator_agent,
    chat,
    flaky_tools,
    iteration_counter,
    map_reduce,
    parallel_search,
    preferences,
    rate_limited,
    research_team,
)

DEMO_MARKER = ("created_by", "retrace demo")
"""``retrace_meta`` row that marks a database ``retrace demo`` may replace."""


@dataclass(frozen=True)
class DemoRun:
    """One thread the demo wrote: its graph, its outcome, and the error message if it failed."""

    thread_id: str
    graph: str
    status: str
    error: str | None = None


SAMPLE_GRAPHS = {
    "parallel_search": "sample_graphs.parallel_search:graph",
    "parallel_search (buggy)": "sample_graphs.parallel_search:buggy_graph",
    "calculator_agent": "sample_graphs.calculator_agent:graph",
    "chat": "sample_graphs.chat:graph",
    "approval": "sample_graphs.approval:graph",
    "map_reduce": "sample_graphs.map_reduce:graph",
    "iteration_counter": "sample_graphs.iteration_counter:graph",
    "iteration_counter (buggy)": "sample_graphs.iteration_counter:buggy_graph",
    "flaky_tools": "sample_graphs.flaky_tools:graph",
    "flaky_tools (retry)": "sample_graphs.flaky_tools:retrying_graph",
    "rate_limited": "sample_graphs.rate_limited:graph",
    "preferences": "sample_graphs.preferences:graph",
    "research_team": "sample_graphs.research_team:graph",
}
"""Graph name -> ``module:attr`` of each sample graph (what the demo records, and attaches)."""


async def write_demo_database(path: str | Path, env: RunEnv = DEFAULT_ENV) -> list[DemoRun]:
    """Run the sample graphs into a new database at ``path`` and mark it as made by the demo.

    ``env`` gives the clock and ids (tests pass fixed ones).

    The buggy parallel search and the buggy iteration counter fail on purpose
    (``InvalidUpdateError``), and ``flaky-failed`` at its tool step (``ConnectionError``, left
    to be resumed); their threads are kept with status ``error``. Of the approval threads one
    waits for a person (``interrupted``), one was approved and one rejected. The preferences
    and research team graphs run with an ``AsyncSqliteStore`` on the same file (its items in
    ``store_items``); the research team's two agents are subgraphs (checkpoints under their
    namespaces).
    Raises ``CheckpointStoreError`` if ``path`` cannot be used.
    """
    runs: list[DemoRun] = []
    async with AsyncSqliteSaver.from_conn_string(path) as saver, AsyncSqliteStore.from_conn_string(path) as store:
        await saver.set_meta(*DEMO_MARKER)

        async def run(
            builder, graph_name: str, thread_id: str, *inputs: dict | Command | None, with_store: bool = False
        ) -> None:
            """Run ``inputs`` one after another on the thread (``None`` goes on from where it
            stopped); after a failure the next input goes on from the failed step.
            ``with_store``: compile it with the database's store."""
            compiled = builder.compile(checkpointer=saver, name=graph_name, store=store if with_store else None)
            compiled.env, compiled.graph_ref = env, SAMPLE_GRAPHS[graph_name]
            config = {"configurable": {"thread_id": thread_id}}
            status, error = "done", None
            for value in inputs:
                try:
                    out = await compiled.ainvoke(value, config)
                except (EngineError, ConnectionError) as exc:
                    status, error = "error", f"{type(exc).__name__}: {exc}"
                else:
                    status, error = "interrupted" if "__interrupt__" in out else "done", None
            runs.append(DemoRun(thread_id, graph_name, status, error))

        # Newer sample graphs first, so the threads above them keep their places.
        await run(research_team.make_graph(), "research_team", "research-team", research_team.QUESTION,
                  with_store=True)
        await run(preferences.make_graph(), "preferences", "preferences-conflict", preferences.UPDATES,
                  with_store=True)
        await run(rate_limited.make_graph(rate_limited.demo_api()), "rate_limited", "rate-limited",
                  rate_limited.PAGES)
        # Each flaky thread on a service of its own, whose first weather call fails.
        await run(flaky_tools.make_graph(flaky_tools.FlakyService()), "flaky_tools", "flaky-failed",
                  flaky_tools.QUESTION)
        await run(flaky_tools.make_graph(flaky_tools.FlakyService()), "flaky_tools", "flaky-resumed",
                  flaky_tools.QUESTION, None)
        await run(flaky_tools.make_graph(flaky_tools.FlakyService(), retry=True), "flaky_tools (retry)",
                  "flaky-retried", flaky_tools.QUESTION)
        await run(iteration_counter.graph, "iteration_counter", "iteration-fixed", iteration_counter.TOPIC)
        await run(iteration_counter.buggy_graph, "iteration_counter (buggy)", "iteration-buggy",
                  iteration_counter.TOPIC)
        await run(map_reduce.graph, "map_reduce", "map-reduce", map_reduce.TOPICS)
        # Each approval thread on its own pretend infrastructure, as separate deployments.
        await run(approval.make_graph(approval.Infrastructure()), "approval", "approval-waiting",
                  approval.QUESTION)
        await run(approval.make_graph(approval.Infrastructure()), "approval", "approval-approved",
                  approval.QUESTION, Command(resume={"type": "accept"}))
        await run(approval.make_graph(approval.Infrastructure()), "approval", "approval-rejected",
                  approval.QUESTION,
                  Command(resume={"type": "response", "args": "production is live; never delete it"}))
        await run(parallel_search.graph, "parallel_search", "search-fixed",
                  parallel_search.initial_state("concurrency"))
        await run(parallel_search.graph, "parallel_search", "search-state-management",
                  parallel_search.initial_state("state management"))
        await run(parallel_search.buggy_graph, "parallel_search (buggy)", "search-buggy",
                  parallel_search.initial_state("concurrency"))
        await run(calculator_agent.graph, "calculator_agent", "calc-add",
                  {"messages": [("human", "Calculate 10 + 20")]})
        await run(calculator_agent.graph, "calculator_agent", "calc-two-questions",
                  {"messages": [("human", "What is 7 * 6?")]},
                  {"messages": [("human", "And 144 / 12?")]})
        for thread_id, conversation in chat.CONVERSATIONS.items():
            await run(chat.graph, "chat", thread_id, conversation)
    return runs


def demo_graphs() -> list:
    """The sample graphs, loaded by name, to attach to the debugger (``retrace demo`` does)."""
    from engine.debug.attach import load_graph

    return [load_graph(ref) for ref in SAMPLE_GRAPHS.values()]
