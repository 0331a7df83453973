"""``retrace demo``'s runs: every sample graph on several threads, into one checkpoint database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.checkpoint.sqlite import AsyncSqliteSaver
from engine.errors import EngineError
from engine.pregel.runtime import DEFAULT_ENV, RunEnv
from engine.types import Command
from sample_graphs import approval, calculator_agent, chat, map_reduce, parallel_search

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
}
"""Graph name -> ``module:attr`` of each sample graph (what the demo records, and attaches)."""


async def write_demo_database(path: str | Path, env: RunEnv = DEFAULT_ENV) -> list[DemoRun]:
    """Run the sample graphs into a new database at ``path`` and mark it as made by the demo.

    ``env`` gives the clock and ids (tests pass fixed ones).

    The buggy parallel search fails on purpose (``InvalidUpdateError``); its thread is kept with
    status ``error``. Of the approval threads one waits for a person (``interrupted``), one
    was approved and one rejected. Raises ``CheckpointStoreError`` if ``path`` cannot be used.
    """
    runs: list[DemoRun] = []
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        await saver.set_meta(*DEMO_MARKER)

        async def run(builder, graph_name: str, thread_id: str, *inputs: dict) -> None:
            compiled = builder.compile(checkpointer=saver, name=graph_name)
            compiled.env, compiled.graph_ref = env, SAMPLE_GRAPHS[graph_name]
            config = {"configurable": {"thread_id": thread_id}}
            try:
                for value in inputs:
                    out = await compiled.ainvoke(value, config)
            except EngineError as exc:
                runs.append(DemoRun(thread_id, graph_name, "error", f"{type(exc).__name__}: {exc}"))
            else:
                runs.append(DemoRun(thread_id, graph_name, "interrupted" if "__interrupt__" in out else "done"))

        # Newer sample graphs first, so the threads above them keep their places.
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
