"""The preferences sample graph (seed 000's optimistic concurrency for the memory store): two
writers in one super-step, one ``ConflictError``, re-read and retried, both updates merged."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from engine.checkpoint.sqlite import AsyncSqliteSaver
from engine.store import ConflictError, InMemoryStore
from engine.store.sqlite import AsyncSqliteStore
from sample_graphs import preferences
from sample_graphs.demo import SAMPLE_GRAPHS, demo_graphs, write_demo_database


def cfg(thread: str = "t") -> dict:
    return {"configurable": {"thread_id": thread}}


EXPECTED_LOG = [
    "load: created the defaults (version 1): {'theme': 'light', 'language': 'english', 'font_size': 14}",
    "theme_writer: read version 1",
    "theme_writer: wrote version 2: {'theme': 'dark'}",
    "language_writer: read version 1",
    "language_writer: ConflictError (expected version 1, found 2): re-read and retry",
    "language_writer: read version 2",
    "language_writer: wrote version 3: {'language': 'python'}",
]


async def test_one_writer_conflicts_once_rereads_retries_and_both_updates_are_merged(saver) -> None:
    race, store = preferences.Interleaving(), InMemoryStore()
    graph = preferences.make_graph(race).compile(checkpointer=saver, store=store)

    out = await graph.ainvoke(preferences.UPDATES, cfg())

    assert out["conflicts"] == [{"writer": "language_writer", "attempt": 1, "expected": 1, "found": 2}]
    assert out["log"] == EXPECTED_LOG
    assert out["preferences"] == preferences.EXPECTED == {"theme": "dark", "language": "python", "font_size": 14}
    assert out["version"] == 3  # the defaults, the winner's put, the loser's retried put
    item = store.get(preferences.namespace("alice"), preferences.KEY)
    assert item.value == preferences.EXPECTED and item.version == 3
    assert race.history == [
        ("theme_writer", "read"),
        ("language_writer", "read"),  # both read version 1 before either wrote
        ("theme_writer", "wrote"),
        ("language_writer", "conflict"),
        ("language_writer", "retried and wrote"),
    ]
    # The two writers were tasks of one super-step.
    steps = [s async for s in graph.aget_state_history(cfg()) if "write_preference" in (s.metadata["writes"] or {})]
    assert len(steps) == 1 and len(steps[0].metadata["task_ids"]) == 2


async def test_it_comes_out_the_same_every_time_and_a_second_run_starts_from_the_stored_value(saver) -> None:
    store = InMemoryStore()
    graph = preferences.make_graph().compile(checkpointer=saver, store=store)
    for run in range(5):  # afresh each time: the same race, the same outcome
        store.delete(preferences.namespace("alice"), preferences.KEY)
        out = await graph.ainvoke(preferences.UPDATES, cfg(f"again-{run}"))
        assert out["log"] == EXPECTED_LOG and len(out["conflicts"]) == 1

    update = {"user_id": "alice", "updates": {"a": {"theme": "solarized"}, "b": {"font_size": 16}}}
    out = await graph.ainvoke(update, cfg("later"))
    assert out["log"][0] == f"load: found version 3: {preferences.EXPECTED}"
    assert out["preferences"] == {"theme": "solarized", "language": "python", "font_size": 16}
    assert out["version"] == 5 and [c["writer"] for c in out["conflicts"]] == ["b"]


async def test_a_writer_that_keeps_losing_gives_up_after_max_attempts() -> None:
    class Contended(InMemoryStore):
        """Someone else writes the item just before every put of writer ``b``."""

        async def aput(self, namespace, key, value, index=None, *, ttl=None, expected_version=None):
            if value.get("font_size") == 16:
                item = self.get(namespace, key)
                self.put(namespace, key, {**item.value, "other": item.version})
            return await super().aput(namespace, key, value, index, ttl=ttl, expected_version=expected_version)

    graph = preferences.make_graph().compile(store=Contended())
    with pytest.raises(ConflictError):
        await graph.ainvoke({"user_id": "bob", "updates": {"b": {"font_size": 16}}})


async def test_the_sqlite_store_in_the_checkpoint_file_gives_the_same_outcome(tmp_path: Path) -> None:
    path = tmp_path / "prefs.db"
    async with AsyncSqliteSaver.from_conn_string(path) as saver, AsyncSqliteStore.from_conn_string(path) as store:
        graph = preferences.make_graph().compile(checkpointer=saver, store=store)
        out = await graph.ainvoke(preferences.UPDATES, cfg())
        assert out["log"] == EXPECTED_LOG and out["preferences"] == preferences.EXPECTED
    async with AsyncSqliteStore.from_conn_string(path) as store:  # kept in the file
        item = await store.aget(preferences.namespace("alice"), preferences.KEY)
        assert item.value == preferences.EXPECTED and item.version == 3


def test_the_module_level_graph_runs_in_more_than_one_event_loop() -> None:
    for thread in ("loop-1", "loop-2"):
        out = asyncio.run(preferences.graph.ainvoke({**preferences.UPDATES, "user_id": thread}))
        assert out["preferences"] == preferences.EXPECTED and len(out["conflicts"]) == 1


async def test_the_demo_runs_it_with_the_databases_store(tmp_path: Path) -> None:
    runs = await write_demo_database(tmp_path / "demo.db")

    assert (runs[1].thread_id, runs[1].graph, runs[1].status) == ("preferences-conflict", "preferences", "done")
    async with AsyncSqliteStore.from_conn_string(tmp_path / "demo.db") as store:
        item = await store.aget(preferences.namespace("alice"), preferences.KEY)
        assert item.value == preferences.EXPECTED and item.version == 3
    async with AsyncSqliteSaver.from_conn_string(tmp_path / "demo.db") as saver:
        graphs = {g.graph_ref: g for g in demo_graphs()}
        graph = graphs[SAMPLE_GRAPHS["preferences"]].with_checkpointer(saver)
        state = (await graph.aget_state(cfg("preferences-conflict"))).values
        assert state["log"] == EXPECTED_LOG and len(state["conflicts"]) == 1
        assert state["preferences"] == preferences.EXPECTED
