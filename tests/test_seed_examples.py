"""The seeds' code runs: every seed example that uses the graph or store API, as a script in
``tests/seed_examples/`` (copied from the seed with ``langgraph`` -> ``engine`` in the imports;
each script's header lists any other change), is run here and what it prints is asserted.

Where a seed is wrong about real super-step semantics (parallel writes to a key without a
reducer "last write wins"; ``update_state`` making the agent see a rejection), the test asserts
what really happens, checked against LangGraph 1.2.22 with the same script; README.md,
"Differences from the seeds", says so.

Left out, as they use no graph or store API or need a network service: seed 000's
``ExternalResourceLock`` and ``RateLimiter`` (see ``sample_graphs/rate_limited.py``), seed 001's
consistency-model, distributed-state, CRDT/OT, event-sourcing and lazy-state sketches, its
Postgres/Redis/MongoDB/Couchbase savers and stores, ``SemanticStore`` (no such class in
LangGraph), and seed 002's lint proposal.
"""

from __future__ import annotations

import contextlib
import io
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from engine.errors import InvalidUpdateError
from engine.store.memory import InMemoryStore

EXAMPLES = Path(__file__).parent / "seed_examples"


def source(name: str) -> str:
    return (EXAMPLES / f"{name}.py").read_text(encoding="utf-8")


def run_code(code: str, name: str, module: types.ModuleType | None = None) -> tuple[str, dict[str, Any]]:
    """Execute ``code`` as the body of a module named after the example (registered in
    ``sys.modules`` while it runs, so the engine resolves its state schemas' type hints); return
    what it printed and its globals. An exception propagates; what was printed before it is in
    ``exc.printed``. Pass ``module`` to run more code in the same globals."""
    module = module or types.ModuleType(f"seed_example_{name}")
    module.__file__ = str(EXAMPLES / f"{name}.py")
    out = io.StringIO()
    sys.modules[module.__name__] = module
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, module.__file__, "exec"), module.__dict__)
    except BaseException as exc:
        exc.printed = out.getvalue()  # type: ignore[attr-defined]
        raise
    finally:
        del sys.modules[module.__name__]
    return out.getvalue(), module.__dict__


def run(name: str) -> str:
    return run_code(source(name), name)[0]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a script that names a file makes it here


def conflict_line(key: str, *writers: str) -> str:
    """The first line of the engine's InvalidUpdateError for ``key`` written by ``writers``."""
    names = ", ".join(repr(w) for w in sorted(writers))
    return (
        "InvalidUpdateError: Can receive only one value per super-step for a state key without a "
        f"reducer: {key!r} was written by {len(writers)} tasks ({names}). Nodes that run in the same "
        "super-step must not write the same plain key. Give each such key a reducer that combines "
        f"parallel writes, e.g. {key}: Annotated[list, operator.add] or Annotated[int, lambda a, b: a + b]."
    )


# Seed 000: Concurrent State Access ------------------------------------------------------------


def test_000_thread_isolation() -> None:
    assert run("s000_thread_isolation") == "Alice sees: Alice, Python\nBob sees:   Bob, Rust\n"


def test_000_parallel_writes_without_a_reducer_are_rejected_not_last_write_wins() -> None:
    # The seed: "Best score: 0.9  # or 0.8 — depends on which node finishes last!"
    with pytest.raises(InvalidUpdateError) as info:
        run("s000_parallel_no_reducer")

    assert info.value.printed == ""  # type: ignore[attr-defined]
    message = str(info.value)
    assert "'best_score' was written by 2 tasks ('doc_search', 'web_search')" in message
    assert "'results'" not in message  # it has a reducer: both results would have been kept


def test_000_a_max_reducer_keeps_the_best_score_whatever_the_order() -> None:
    assert run("s000_safe_parallel_reducer") == "Results count: 2\nBest score: 0.9\n"


def test_000_scenario_1_counter_broken_is_rejected_fixed_counts_both() -> None:
    # The seed: "Actual: count = 1 (last write wins)" for the broken one.
    assert run("s000_race_counter") == (
        "BrokenState: " + conflict_line("count", "node_a", "node_b") + "\nFixedState: count = 2\n"
    )


def test_000_scenario_2_status_broken_is_rejected_fixed_keeps_both() -> None:
    # The seed: "only one survives" for the broken one.
    assert run("s000_race_status") == (
        "BrokenStatus: " + conflict_line("status", "doc_search", "web_search") + "\n"
        "FixedStatus: {'node_statuses': {'doc_search': 'done', 'web_search': 'done'}}\n"
    )


def test_000_read_merge_write_keeps_both_preferences() -> None:
    assert run("s000_store_merge") == "{'theme': 'dark', 'language': 'python'}\n"


def test_000_versioned_store_first_write_and_its_conflict_path() -> None:
    printed, ns = run_code(source("s000_versioned_store"), "s000_versioned_store")
    assert printed == "{'theme': 'dark', '_version': 1}\n"

    # The seed's except branch, reached: another writer gets in between the read and the write.
    versioned, namespace = ns["versioned"], ("alice", "profile")
    data, version = versioned.read(namespace, "settings")
    versioned.write(namespace, "settings", {**data, "language": "python"}, expected_version=version)
    with pytest.raises(ns["ConflictError"], match="expected 1, found 2"):
        versioned.write(namespace, "settings", {**data, "font": "mono"}, expected_version=version)
    data, version = versioned.read(namespace, "settings")
    assert versioned.write(namespace, "settings", {**data, "font": "mono"}, expected_version=version) == 3
    assert ns["store"].get(namespace, "settings").value == {
        "theme": "dark", "_version": 3, "language": "python", "font": "mono"
    }


def test_000_subgraphs_each_see_only_their_own_schema() -> None:
    assert run("s000_subgraphs") == (
        "{'query': 'reducers', 'sources': ['paper.pdf'], 'findings': 'Research findings for: reducers'}\n"
        "{'query': 'reducers', 'data': [{'x': 1}, {'x': 2}], 'conclusion': 'Analysis of 2 data points'}\n"
    )


def test_000_agents_write_to_their_own_namespaces() -> None:
    assert run("s000_namespaced_store") == (
        "{'user_id': 'alice', 'query': 'reducers', 'status': 'analysis_complete'}\n"
        "[('alice', 'analysis_agent'), ('alice', 'research_agent')]\n"
        "{'query': 'reducers', 'results': ['paper.pdf']}\n"
        "{'data': 'analysis result'}\n"
    )


def test_000_the_seeds_ellipsis_placeholder_is_refused_by_the_json_store() -> None:
    # The one change to that example: its `"results": [...]` is not JSON (LangGraph keeps it).
    with pytest.raises(TypeError):
        InMemoryStore().put(("alice", "research_agent"), "last_search", {"query": "q", "results": [...]})


def test_000_exercise_buggy_raises_naming_all_three_keys_fixed_totals_are_right() -> None:
    code = source("s000_exercise")
    buggy, fixed = code.split("\n# Fixed version\n", 1)
    module = types.ModuleType("seed_example_s000_exercise")

    with pytest.raises(InvalidUpdateError) as info:  # the seed: "Results: 1", "Search count: 1"
        run_code(buggy, "s000_exercise", module)

    assert info.value.printed == ""  # type: ignore[attr-defined]  # "=== BUGGY ===" never prints
    for key in ("results", "total_score", "search_count"):
        assert f"{key!r} was written by 2 tasks ('doc_search', 'web_search')" in str(info.value)
    printed, _ = run_code(fixed, "s000_exercise", module)
    assert printed == (
        "\n=== FIXED ===\n"
        "  Results: 2 (expected 2)\n"
        "  Total score: 1.7000000000000002 (expected 1.7)\n"  # 0.0 + 0.8 + 0.9 in floats (LangGraph too)
        "  Search count: 2 (expected 2)\n"
    )


# Seed 001: State Management Across Agents --------------------------------------------------------


def test_001_agent_state_reducers_through_the_constructed_graph() -> None:
    assert run("s001_graph_construction") == (
        "counter = 8\ndocuments = ['doc1', 'doc2']\ncurrent_user = Bob\nlast message = Fetched doc2.\n"
    )


def test_001_sqlite_saver_without_with_is_not_a_saver() -> None:
    # `SqliteSaver.from_conn_string(...)` is a context manager; the seed uses it as a saver.
    with pytest.raises((TypeError, AttributeError)) as info:
        run("s001_sqlite_checkpointing")
    assert info.value.printed == ""  # type: ignore[attr-defined]
    assert not Path("checkpoints.db").exists()


def test_001_sqlite_saver_without_with_is_refused_by_compile_as_in_langgraph() -> None:
    from engine.checkpoint.sqlite import SqliteSaver
    from engine.graph import END, START, MessagesState, StateGraph

    builder = StateGraph(MessagesState)
    builder.add_node("n", lambda state: {}).add_edge(START, "n").add_edge("n", END)
    with pytest.raises(TypeError, match="checkpointer"):
        builder.compile(checkpointer=SqliteSaver.from_conn_string(":memory:"))


def test_001_a_thread_remembers_another_thread_does_not() -> None:
    assert run("s001_checkpointed_conversation") == (
        "2 messages, last: Nice to meet you, Alice!\n"
        "4 messages, last: Your name is Alice\n"
        "2 messages, last: I don't know your name.\n"
    )


def test_001_checkpoint_api_and_time_travel_history_is_newest_first() -> None:
    assert run("s001_time_travel") == (
        "10 + 20 = 30\n"
        "()\n"
        "{'source': 'loop', 'step': 3}\n"
        "Checkpoint 3: 4 messages\n"
        "Checkpoint 2: 3 messages\n"
        "Checkpoint 1: 2 messages\n"
        "Checkpoint 0: 1 messages\n"
        "Checkpoint -1: 0 messages\n"
        "True loop 3\n"
        "True loop 2\n"
        "True loop 1\n"
        "True loop 0\n"
        # checkpoints[1] is not "Agent decided to call calculator": the list is newest first
        "history steps: [3, 2, 1, 0, -1]\n"
        "replaying from step 2 next ('agent',)\n"
        "replay answer: 10 + 20 = 30\n"
        # a fork: the copy of step 2 (saved as step 3, source fork), then the agent again
        "history after the replay: [(4, 'loop'), (3, 'fork'), (3, 'loop'), (2, 'loop'), (1, 'loop'), (0, 'loop'), (-1, 'input')]\n"
    )


def test_001_neither_a_snapshot_nor_a_checkpoint_tuple_has_a_checkpoint_id_attribute() -> None:
    from engine.checkpoint.base import CheckpointTuple
    from engine.types import StateSnapshot

    assert "checkpoint_id" not in dir(StateSnapshot) and "checkpoint_id" not in dir(CheckpointTuple)


def test_001_update_state_rejection_ends_the_run_the_agent_never_sees_it() -> None:
    # The seed: "Agent sees rejection, chooses different action". The update is made as the
    # agent; agent's router reads the new last message (the system message, no tool calls) and
    # ends the run. Only an update made as `tools` goes on to the agent.
    assert run("s001_hitl_update_state") == (
        "('tools',)\n"
        "()\n"
        "[('HumanMessage', 'Clean up unused databases'), ('AIMessage', 'delete_database'), "
        "('SystemMessage', 'Action rejected by human. Do not delete production database.')]\n"
        "('agent',)\n"
        "('tools',) [('HumanMessage', 'Clean up unused databases'), ('AIMessage', 'delete_database'), "
        "('ToolMessage', 'Action rejected by human. Do not delete production database.'), "
        "('SystemMessage', 'Action rejected by human. Do not delete production database.'), "
        "('AIMessage', 'archive_unused')]\n"
    )


def test_001_the_store_carries_a_preference_across_threads() -> None:
    assert run("s001_in_memory_store") == (
        "(in English) Noted: I prefer French\n"
        "(in French) Noted: Book a table\n"
        "{'language': 'French'} preferences ('users', 'u1')\n"
        "True\n"
    )


def test_001_the_seeds_store_interface_subclass_defines_but_stays_abstract() -> None:
    # The seed's `class MemoryStore(BaseStore)` with `pass` bodies, imported as it does.
    code = "from engine.store import BaseStore\nfrom typing import Optional\n" + (
        "class MemoryStore(BaseStore):\n"
        "    async def aget(self, namespace: tuple[str, ...], key: str) -> Optional[dict]:\n        pass\n"
        "    async def aput(self, namespace: tuple[str, ...], key: str, value: dict) -> None:\n        pass\n"
        "    async def adelete(self, namespace: tuple[str, ...], key: str) -> None:\n        pass\n"
        "    async def asearch(self, namespace: tuple[str, ...], query: Optional[str] = None,\n"
        "                      filter: Optional[dict] = None, limit: int = 10) -> list[dict]:\n        pass\n"
    )
    _, ns = run_code(code, "store_interface")
    with pytest.raises(TypeError, match="abstract"):  # as LangGraph's (batch/abatch there)
        ns["MemoryStore"]()


# Seed 002: the ADR -----------------------------------------------------------------------------


def test_002_reducers_merge_three_parallel_writes_and_the_counter_is_rejected() -> None:
    assert run("s002_adr_reducers") == (
        "{'a': '1', 'b': '2', 'c': '3'}\n"
        "['a', 'b', 'c']\n"
        "{'score': 0.9}\n"
        "3\n" + conflict_line("current_iteration", "a", "b", "c") + "\n"
    )
