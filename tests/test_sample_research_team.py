"""Seed 000's multi-agent isolation as a sample graph: two agents as subgraphs, each with a state
of its own and a store namespace of its own, and the demo's thread of it."""

from __future__ import annotations

from pathlib import Path

from engine.debug.source import open_source
from engine.debug.subgraphs import subgraph_runs
from engine.store import InMemoryStore
from engine.store.sqlite import AsyncSqliteStore
from sample_graphs import research_team
from sample_graphs.demo import write_demo_database


def cfg(thread: str = "t") -> dict:
    return {"configurable": {"thread_id": thread}}


async def test_only_the_shared_keys_reach_the_orchestrator(saver) -> None:
    graph = research_team.make_graph().compile(checkpointer=saver, store=InMemoryStore())

    out = await graph.ainvoke(research_team.QUESTION, cfg())

    assert set(out) == {"user_id", "query", "findings", "conclusion", "final_answer"}
    assert "sources" not in out and "data" not in out  # each agent's own keys stay in it
    assert out["findings"].startswith("3 sources on") and "lost-updates.md" in out["findings"]
    assert out["conclusion"] == "Analysis of 2 research items: 3 sources agree"
    assert out["final_answer"] == f"{out['findings']}. {out['conclusion']}."


async def test_each_agent_writes_its_own_namespace_and_analysis_reads_research(saver) -> None:
    store = InMemoryStore()
    graph = research_team.make_graph().compile(checkpointer=saver, store=store)

    await graph.ainvoke(research_team.QUESTION, cfg())

    research = {i.key: i.value for i in store.search(("alice", research_team.RESEARCH_NS))}
    analysis = {i.key: i.value for i in store.search(("alice", research_team.ANALYSIS_NS))}
    assert research == {
        "last_search": {"query": research_team.QUESTION["query"],
                        "results": ["lost-updates.md", "reducers.md", "bsp-model.pdf"]},
        "found_sources": {"count": 3},
    }
    assert analysis == {"conclusion": {"text": "Analysis of 2 research items: 3 sources agree"},
                        "metrics": {"items_read": 2, "sources": 3}}
    assert store.list_namespaces(prefix=("alice",)) == [("alice", "analysis_agent"), ("alice", "research_agent")]


async def test_each_agent_keeps_its_own_checkpoints_with_its_private_keys(saver) -> None:
    graph = research_team.make_graph().compile(checkpointer=saver, store=InMemoryStore())
    await graph.ainvoke(research_team.QUESTION, cfg())

    state = await graph.aget_state(cfg(), subgraphs=True)
    assert state.next == () and "sources" not in state.values
    history = [s async for s in graph.aget_state_history(cfg())]
    research_step = next(s for s in history if s.next == ("research",))
    (task,) = research_step.tasks
    ns_config = {"configurable": {"thread_id": "t", "checkpoint_ns": f"research:{task.id}"}}
    inner = [c async for c in saver.alist(ns_config)]
    assert [c.metadata["step"] for c in inner] == [2, 1, 0, -1]
    assert inner[0].checkpoint["channel_values"]["sources"] == ["lost-updates.md", "reducers.md", "bsp-model.pdf"]
    assert inner[0].metadata["parents"] == {"": research_step.config["configurable"]["checkpoint_id"]}


def test_the_sources_are_picked_by_rule() -> None:
    assert research_team.sources_for("checkpointing and state") == [
        "pregel-paper.pdf", "sqlite-wal.md", "reducers.md", "typed-state.md"]
    assert research_team.sources_for("weather") == ["general-survey.pdf"]


async def test_the_demo_runs_it_first_and_the_debugger_finds_both_subgraphs(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    runs = await write_demo_database(path)

    assert (runs[0].thread_id, runs[0].graph, runs[0].status) == ("research-team", "research_team", "done")
    async with AsyncSqliteStore.from_conn_string(path) as store:
        item = await store.aget(("alice", research_team.ANALYSIS_NS), "metrics")
        assert item.value == {"items_read": 2, "sources": 3}
    reader = await open_source(path)
    try:
        runs_by_step = {c.step: await subgraph_runs(reader, c) for c in await reader.list_checkpoints("research-team")}
    finally:
        await reader.close()
    assert {s: [(r.node, r.checkpoints) for r in found] for s, found in runs_by_step.items() if found} == {
        1: [("research", 4)], 2: [("analysis", 4)]}
