"""Property: time travel never rewrites history, and every branch is a straight run.

Hypothesis draws random sequences of operations on two threads of one SQLite checkpoint
database (``AsyncSqliteSaver`` on a temporary file): runs with new input, resumes of the latest
checkpoint, replays from any checkpoint, ``update_state`` at any checkpoint (as any node), and
runs on from the thread's latest edit. Checked:

1. Append-only storage: after every operation, every row of ``checkpoints``, ``channel_values``
   and ``pending_writes`` seen before is still there, byte for byte (read with plain ``sqlite3``,
   read-only); rows are only ever added. (``threads`` is a summary row, updated on purpose.)
2. Structure: each operation's new checkpoints form one chain, on its own thread only, hanging
   off the right parent, one step at a time: a run's ``input`` checkpoint off the thread's
   latest; a replay's ``fork`` copy off the replayed checkpoint, one step on, with its values
   and next nodes (replaying an edit runs on from it directly, no copy); an update's one
   ``update`` checkpoint off the named checkpoint, one step on. What a run returns is the values
   of the last checkpoint it made.
3. Branches are straight runs: for every branch head (a checkpoint with no children), the
   operations that made its lineage (its ``parent_config`` chain), and only those, done in order
   on a fresh thread of an ``InMemorySaver`` graph, give checkpoint for checkpoint the same
   values, next nodes, step, source, writes and parent links.
"""

from __future__ import annotations

import asyncio
import operator
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.checkpoint.memory import InMemorySaver
from engine.checkpoint.sqlite import AsyncSqliteSaver
from engine.errors import InvalidUpdateError
from engine.graph import END, START, StateGraph

LIMIT = 3
THREADS = ("t1", "t2")
APPEND_ONLY = {
    "checkpoints": ("thread_id", "checkpoint_ns", "checkpoint_id"),
    "channel_values": ("thread_id", "checkpoint_ns", "channel", "version"),
    "pending_writes": ("thread_id", "checkpoint_ns", "checkpoint_id", "task_id", "idx"),
}


# --- the graph: START -> a -> (b -> a)* -> END while count < LIMIT; deterministic -----------------


class State(TypedDict):
    count: int
    log: Annotated[list[str], operator.add]


def node_a(state: State) -> dict[str, Any]:
    count = state.get("count", 0)
    return {"count": count + 1, "log": [f"a{count}"]}


def node_b(state: State) -> dict[str, Any]:
    return {"log": [f"b{state.get('count', 0)}"]}


def route(state: State) -> str:
    return "b" if state.get("count", 0) < LIMIT else END


builder = StateGraph(State).add_node("a", node_a).add_node("b", node_b)
builder.add_edge(START, "a").add_conditional_edges("a", route, ["b", END]).add_edge("b", "a")


def cfg(thread_id: str, checkpoint_id: str | None = None) -> dict:
    configurable = {"thread_id": thread_id}
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


def cid(config: dict | None) -> str | None:
    return config["configurable"]["checkpoint_id"] if config else None


# --- operations --------------------------------------------------------------------------------

threads = st.sampled_from(THREADS)
index = st.integers(min_value=0, max_value=30)  # taken modulo the thread's checkpoint count
update_values = st.one_of(
    st.fixed_dictionaries({"count": st.integers(0, LIMIT + 1)}),
    st.fixed_dictionaries({"log": st.lists(st.sampled_from(["x", "y"]), max_size=2)}),
    st.fixed_dictionaries({"count": st.integers(0, LIMIT + 1), "log": st.lists(st.just("z"), min_size=1, max_size=1)}),
)
# as_node None: the default (START on an input checkpoint, else the one node that last wrote)
update = st.tuples(st.just("update"), threads, index, update_values, st.sampled_from(["a", "b", START, None]))
operations = st.one_of(  # each a list: an edit is often run on at once, as a user would
    st.tuples(st.just("run"), threads, st.integers(0, LIMIT + 1)).map(lambda op: [op]),
    st.tuples(st.just("resume"), threads).map(lambda op: [op]),
    st.tuples(st.just("replay"), threads, index).map(lambda op: [op]),
    update.map(lambda op: [op]),
    st.tuples(update, st.sampled_from(["continue", "resume"])).map(lambda p: [p[0], (p[1], p[0][1])]),
    # an edit, then another with other values (of the same checkpoint while the index is below
    # the thread's checkpoint count: ids only grow, so older checkpoints keep their index)
    st.tuples(update, update_values).map(lambda p: [p[0], (*p[0][:3], p[1], p[0][4])]),
    st.tuples(st.just("continue"), threads).map(lambda op: [op]),
)
# Always start with a run, so most operations have checkpoints to work on.
programs = st.tuples(st.integers(0, LIMIT), st.lists(operations, min_size=1, max_size=8)).map(
    lambda drawn: [("run", "t1", drawn[0]), *(op for ops in drawn[1] for op in ops)]
)


@dataclass
class Done:
    """An operation as applied: its checkpoint argument (an id, or None for "the thread") and
    the ids of the checkpoints it made, oldest first."""

    kind: str
    thread: str
    args: tuple
    target: str | None
    created: list[str] = field(default_factory=list)


async def apply(graph, kind: str, thread: str, target: str | None, args: tuple) -> Any:
    """Do one operation on ``graph``; ``target`` is the checkpoint it names (if it names one)."""
    if kind == "run":
        (count,) = args
        return await graph.ainvoke({"count": count, "log": [f"in{count}"]}, cfg(thread))
    if kind == "resume":
        return await graph.ainvoke(None, cfg(thread))
    if kind in ("replay", "continue"):
        return await graph.ainvoke(None, cfg(thread, target))
    assert kind == "update"
    values, as_node = args
    return await graph.aupdate_state(cfg(thread, target), values, as_node=as_node)


async def history(graph, thread: str) -> list:
    """The thread's checkpoints, oldest first."""
    return [s async for s in graph.aget_state_history(cfg(thread))][::-1]


def by_id(snapshots: list) -> dict:
    return {cid(s.config): s for s in snapshots}


def shape(snapshot) -> tuple:
    """What must agree between a branch and its straight run (ids and times aside)."""
    md = snapshot.metadata
    return (
        snapshot.values, snapshot.next, tuple(t.name for t in snapshot.tasks),
        md["step"], md["source"], md["writes"], md.get("edited_as"),
    )


# --- 1. append-only storage ------------------------------------------------------------------------


def stored_rows(path: Path) -> dict[tuple, tuple]:
    """Every row of the append-only tables, keyed by (table, primary key), as raw column values."""
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        rows: dict[tuple, tuple] = {}
        for table, key in APPEND_ONLY.items():
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            at = [columns.index(k) for k in key]
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY {', '.join(key)}"):
                rows[(table, tuple(row[i] for i in at))] = tuple(row)
    finally:
        conn.close()
    return rows


def assert_append_only(before: dict[tuple, tuple], after: dict[tuple, tuple], what: str) -> None:
    for key, row in before.items():
        assert key in after, f"{what} deleted the {key[0]} row {key[1]}"
        assert after[key] == row, f"{what} rewrote the {key[0]} row {key[1]}:\n{row}\n->\n{after[key]}"
        assert [type(v) for v in after[key]] == [type(v) for v in row]
    assert len(after) >= len(before)


# --- 2. structure of what one operation made ------------------------------------------------------


def default_node(target) -> str | None:
    """Which node an update with no as_node stands for at ``target`` (None: it must be refused)."""
    if target is None or target.metadata["source"] == "input":
        return START
    last = list(target.metadata["writes"])
    return last[0] if len(last) == 1 else None


def check_structure(done: Done, snapshots: dict, result: Any) -> None:
    """``snapshots``: the thread's checkpoints by id, after ``done``; ``result``: what it returned."""
    new = [snapshots[c] for c in done.created]
    for older, newer in zip(new, new[1:]):
        assert cid(newer.parent_config) == cid(older.config)
        assert newer.metadata["step"] == older.metadata["step"] + 1
        assert newer.metadata["source"] == "loop"
    target = snapshots.get(done.target)
    if new:
        first = new[0]
        assert cid(first.parent_config) == done.target
        assert first.metadata["step"] == (target.metadata["step"] + 1 if target else -1 if done.kind == "run" else 0)

    if done.kind == "update":
        _, as_node = done.args
        (edit,) = new
        assert cid(result) == cid(edit.config)
        assert edit.metadata["source"] == "update"
        assert edit.metadata["edited_as"] == (as_node if as_node is not None else default_node(target))
        return
    if done.kind == "run":
        assert new and new[0].metadata["source"] == "input"
        assert new[0].next == (START,)  # the input waits in START: the state is the one run on
        assert new[0].values == (target.values if target else {"log": []})
    elif done.kind == "replay" and target.metadata["source"] != "update":
        fork = new[0]  # a copy of the replayed checkpoint, one step on
        assert fork.metadata["source"] == "fork"
        assert (fork.values, fork.next) == (target.values, target.next)
    else:  # resume, continue, or a replay of an edit: runs on from it directly
        assert bool(new) == bool(target.next)
        assert all(s.metadata["source"] == "loop" for s in new)
    assert result == (new[-1] if new else target).values
    assert new[-1].next == () if new else target.next == ()


# --- 3. every branch is a straight run ------------------------------------------------------------


async def check_branches(graph, log: list[Done], thread: str) -> int:
    """Redo each branch head's lineage alone on a fresh in-memory thread; compare; return the
    number of branch heads."""
    snapshots = by_id(await history(graph, thread))
    parent = {c: cid(s.parent_config) for c, s in snapshots.items()}
    maker = {c: i for i, done in enumerate(log) if done.thread == thread for c in done.created}
    assert set(maker) == set(snapshots)  # every checkpoint came from exactly one operation
    heads = [c for c in snapshots if c not in set(parent.values())]
    for head in heads:
        lineage = [head]
        while parent[lineage[-1]] is not None:
            lineage.append(parent[lineage[-1]])
        lineage.reverse()
        segments: list[tuple[int, list[str]]] = []
        for c in lineage:
            if segments and segments[-1][0] == maker[c]:
                segments[-1][1].append(c)
            else:
                segments.append((maker[c], [c]))
        assert len({i for i, _ in segments}) == len(segments), "an operation's checkpoints are not one chain"

        straight = builder.compile(checkpointer=InMemorySaver())
        twin: dict[str | None, str | None] = {None: None}
        for i, part in segments:
            done = log[i]
            assert part == done.created[: len(part)]
            before = [cid(s.config) for s in await history(straight, "straight")]
            if done.kind in ("run", "resume"):  # these work on the thread's latest checkpoint
                assert (before[-1] if before else None) == twin[done.target]
            await apply(straight, done.kind, "straight", twin[done.target], done.args)
            made = [cid(s.config) for s in await history(straight, "straight")][len(before):]
            assert len(made) == len(done.created), f"{done.kind} made {len(done.created)} checkpoints on the branch, {len(made)} alone"
            twin.update(zip(done.created, made))

        replayed = by_id(await history(straight, "straight"))
        assert len(replayed) == sum(len(log[i].created) for i, _ in segments)
        for c in lineage:
            mine, theirs = snapshots[c], replayed[twin[c]]
            assert shape(mine) == shape(theirs), f"checkpoint {c} (step {mine.metadata['step']}) differs from the straight run"
            assert cid(theirs.parent_config) == twin[parent[c]]
    return len(heads)


# --- the property ------------------------------------------------------------------------------


async def scenario(path: Path, program: list[tuple]) -> tuple[list[Done], int, int]:
    """Apply ``program``, checking after each operation; return what was done, how many edits
    were refused (as_node None where no single node wrote) and how many branch heads there are."""
    saver = await AsyncSqliteSaver.open(path)
    try:
        graph = builder.compile(checkpointer=saver)
        log: list[Done] = []
        refused = 0
        seen = stored_rows(path)
        for kind, thread, *args in program:
            before = {t: await history(graph, t) for t in THREADS}
            mine = before[thread]
            target: str | None
            if kind in ("run", "resume"):
                target = cid(mine[-1].config) if mine else None
            elif kind == "replay":
                target = cid(mine[args[0] % len(mine)].config) if mine else None
            elif kind == "update":
                target = cid(mine[args[0] % len(mine)].config) if mine else None
                args = args[1:]
            else:  # continue: from the thread's latest edit
                edits = [s for s in mine if s.metadata["source"] == "update"]
                target = cid(edits[-1].config) if edits else None
            if target is None and kind != "run" and kind != "update":
                continue  # nothing to resume, replay or continue from yet
            done = Done(kind, thread, tuple(args), target)
            if kind == "update" and args[1] is None and default_node(by_id(mine).get(target)) is None:
                with pytest.raises(InvalidUpdateError, match="as_node"):
                    await apply(graph, kind, thread, target, done.args)
                assert await history(graph, thread) == mine
                assert stored_rows(path) == seen  # a refused edit writes nothing
                refused += 1
                continue
            result = await apply(graph, kind, thread, target, done.args)

            after = {t: await history(graph, t) for t in THREADS}
            old = {cid(s.config) for s in mine}
            done.created = [cid(s.config) for s in after[thread] if cid(s.config) not in old]
            for other in THREADS:
                if other != thread:
                    assert [cid(s.config) for s in after[other]] == [cid(s.config) for s in before[other]]
            check_structure(done, by_id(after[thread]), result)
            log.append(done)

            rows = stored_rows(path)
            assert_append_only(seen, rows, f"{kind} {args} on {thread}")
            seen = rows
            summary = await saver.reader.get_thread(thread)  # the one row updated on purpose
            assert (summary.checkpoint_count, summary.latest_checkpoint_id) == (
                len(after[thread]), cid(after[thread][-1].config),
            )

        heads = sum([await check_branches(graph, log, thread) for thread in THREADS])
        return log, refused, heads
    finally:
        await saver.close()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(program=programs)
def test_time_travel_never_rewrites_a_row_and_every_branch_is_a_straight_run(program) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(scenario(Path(tmp) / "travel.db", program))


def test_a_hand_written_program_covers_every_operation() -> None:
    """One fixed program through the same checks, with every kind of operation and a few
    branches, so the property is exercised whatever hypothesis draws."""
    program = [
        ("run", "t1", 0),  # checkpoints 0-6: input, START, a, b, a, b, a (count 3: END)
        ("replay", "t1", 2),  # 7: the fork copy of 2, then b, a, b, a
        ("update", "t1", 7, {"log": ["x"]}, None),  # refused: nothing ran at a fork copy
        ("update", "t1", 8, {"log": ["y"]}, None),  # as b, the one node that wrote at 8
        ("update", "t1", 8, {"log": ["x", "y"]}, None),  # the same checkpoint edited again
        ("update", "t1", 3, {"count": 0, "log": ["z"]}, "a"),
        ("continue", "t1"),
        ("update", "t1", 40, {"log": ["x"]}, "b"),
        ("resume", "t1"),
        ("run", "t2", 1),
        ("update", "t2", 0, {"count": 2}, START),
        ("continue", "t2"),
        ("replay", "t2", 5),
        ("run", "t1", 2),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "travel.db"
        log, refused, heads = asyncio.run(scenario(path, program))
        rows = stored_rows(path)
    assert {key[0] for key in rows} == set(APPEND_ONLY)  # every table was written
    assert {d.kind for d in log if d.created} == {"run", "replay", "update", "continue", "resume"}
    assert refused == 1 and heads >= 6
    assert [d.target for d in log if d.kind == "update"][:2] == [log[1].created[1]] * 2
