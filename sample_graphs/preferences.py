"""Seed 000's "optimistic concurrency for Memory Store": a user's preference updates merged in
the store, by two concurrent writers, one of which gets ``ConflictError``, re-reads and retries.

``load`` makes sure the user has preferences (:data:`DEFAULTS`, put with
``expected_version=0``: only if there are none). ``fan_out`` sends each entry of ``updates``
to its own ``write_preference`` task (``Send``), so the writers run in one super-step. Each
reads the item (value and ``version``), merges its update into what it read, and puts it back
with ``expected_version`` set to the version it read. The race is made deterministic by an
:class:`Interleaving`: every writer reads before any of them writes, then they write one at a
time in the order of ``updates``. So the first writer's put succeeds and the second's raises
``ConflictError`` (the item moved on since it read it); it re-reads, merges its update into the
new value and puts again, and succeeds. ``report`` reads the merged item: both updates are in
it.

The graph state records it all: ``log`` (each writer's reads, puts and conflict, in the order
the tasks were sent), ``conflicts`` (one entry per ``ConflictError``) and, from ``report``,
``preferences`` and ``version``.

Nodes get the store by declaring a ``store`` parameter (``compile(store=...)``): the demo
compiles the graph with an ``AsyncSqliteStore`` on the demo database, so the items sit in the
file's ``store_items`` table beside the checkpoints. The module-level :data:`graph` (what the
debugger attaches) has an ``InMemoryStore`` of its own: a replay from the debugger runs on that
store, not the database's.
"""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, Any, TypedDict

from engine.graph import END, START, StateGraph
from engine.store import BaseStore, ConflictError, InMemoryStore
from engine.types import Send

KEY = "settings"
"""The key of a user's preferences in their namespace :func:`namespace`."""

DEFAULTS = {"theme": "light", "language": "english", "font_size": 14}
"""What ``load`` puts for a user who has no preferences yet."""

MAX_ATTEMPTS = 3
"""Puts a writer tries before it gives up and lets the ``ConflictError`` fail its task."""

GUARD_S = 5.0
"""How long a writer waits for the others to read before it goes on alone. Never reached in a
run where all writers run (the waits end as soon as the others read): it keeps a run in which
one writer runs alone (a resumed step) from waiting forever."""


def namespace(user_id: str) -> tuple[str, ...]:
    return (user_id, "preferences")


class Preferences(TypedDict, total=False):
    user_id: str  # SAFE: the input, never written by a node
    updates: dict[str, dict[str, Any]]  # SAFE: the input (writer -> preferences it sets)
    log: Annotated[list[str], operator.add]  # PARALLEL-SAFE: every writer appends
    conflicts: Annotated[list[dict[str, Any]], operator.add]  # PARALLEL-SAFE: one per ConflictError
    preferences: dict[str, Any]  # SAFE: only report writes
    version: int  # SAFE: only report writes


class Update(TypedDict):
    user_id: str
    writer: str
    update: dict[str, Any]
    writers: list[str]  # all writers of the step, in write order


class _Round:
    """One step's writers in one thread: who has read, and whose turn it is to write."""

    def __init__(self, writers: list[str]) -> None:
        self.writers = writers
        self.read: set[str] = set()
        self.all_read = asyncio.Event()
        self.turn = {w: asyncio.Event() for w in writers}
        self.done: set[str] = set()


class Interleaving:
    """Makes the writers' race come out the same way on every run, without sleeps: each writer
    calls :meth:`read_done` after its read and waits until all the step's writers have read,
    then :meth:`my_turn` waits until every writer before it (in ``writers`` order) has made its
    first put (:meth:`attempted`). Retries after a conflict do not wait.

    Rounds are kept per event loop and per thread (a module-level graph runs in many loops and
    threads); ``history`` records ``(writer, event)`` as they happen, for tests.
    """

    def __init__(self) -> None:
        self._rounds: dict[tuple[int, str], _Round] = {}
        self.history: list[tuple[str, str]] = []

    def _round(self, thread: str, writers: list[str]) -> _Round:
        key = (id(asyncio.get_running_loop()), thread)
        found = self._rounds.get(key)
        if found is None or found.writers != writers:
            found = self._rounds[key] = _Round(writers)
        return found

    async def read_done(self, thread: str, writer: str, writers: list[str]) -> None:
        current = self._round(thread, writers)
        current.read.add(writer)
        self.history.append((writer, "read"))
        if current.read >= set(writers):
            current.all_read.set()
        await _guarded(current.all_read.wait())

    async def my_turn(self, thread: str, writer: str, writers: list[str]) -> None:
        current = self._round(thread, writers)
        if writers.index(writer) == 0:
            current.turn[writer].set()
        await _guarded(current.turn[writer].wait())

    def attempted(self, thread: str, writer: str, writers: list[str], outcome: str) -> None:
        current = self._round(thread, writers)
        self.history.append((writer, outcome))
        current.done.add(writer)
        at = writers.index(writer)
        if at + 1 < len(writers):
            current.turn[writers[at + 1]].set()
        if current.done >= set(writers):  # the round is over: the next step starts afresh
            self._rounds = {k: r for k, r in self._rounds.items() if r is not current}


async def _guarded(wait: Any) -> None:
    try:
        await asyncio.wait_for(wait, GUARD_S)
    except TimeoutError:
        pass  # a writer that runs alone (see GUARD_S) goes on uncoordinated


def make_graph(interleaving: Interleaving | None = None) -> StateGraph:
    """load -> a ``write_preference`` task per update (one super-step) -> report."""
    race = interleaving or Interleaving()

    async def load(state: Preferences, store: BaseStore) -> dict:
        ns = namespace(state["user_id"])
        try:
            await store.aput(ns, KEY, DEFAULTS, expected_version=0)  # only if there are none
        except ConflictError:
            item = await store.aget(ns, KEY)
            return {"log": [f"load: found version {item.version}: {item.value}"]}
        return {"log": [f"load: created the defaults (version 1): {DEFAULTS}"]}

    def fan_out(state: Preferences) -> list[Send]:
        writers = list(state["updates"])
        return [
            Send("write_preference", Update(user_id=state["user_id"], writer=w, update=u, writers=writers))
            for w, u in state["updates"].items()
        ]

    async def write_preference(task: Update, config: dict, store: BaseStore) -> dict:
        """Read, merge, put with ``expected_version``; on ``ConflictError`` re-read and retry."""
        thread = str(config.get("configurable", {}).get("thread_id", ""))
        ns, writer, writers = namespace(task["user_id"]), task["writer"], task["writers"]
        log: list[str] = []
        conflicts: list[dict[str, Any]] = []
        for attempt in range(1, MAX_ATTEMPTS + 1):
            item = await store.aget(ns, KEY)
            version, current = (item.version, item.value) if item else (0, {})
            log.append(f"{writer}: read version {version}")
            if attempt == 1:
                await race.read_done(thread, writer, writers)
                await race.my_turn(thread, writer, writers)
            merged = {**current, **task["update"]}
            try:
                await store.aput(ns, KEY, merged, expected_version=version)
            except ConflictError as exc:
                if attempt == 1:
                    race.attempted(thread, writer, writers, "conflict")
                conflicts.append({"writer": writer, "attempt": attempt, "expected": exc.expected, "found": exc.found})
                log.append(f"{writer}: ConflictError (expected version {exc.expected}, found {exc.found}): re-read and retry")
                if attempt == MAX_ATTEMPTS:
                    raise
                continue
            if attempt == 1:
                race.attempted(thread, writer, writers, "wrote")
            else:
                race.history.append((writer, "retried and wrote"))
            log.append(f"{writer}: wrote version {version + 1}: {task['update']}")
            break
        return {"log": log, "conflicts": conflicts}

    async def report(state: Preferences, store: BaseStore) -> dict:
        item = await store.aget(namespace(state["user_id"]), KEY)
        return {"preferences": item.value, "version": item.version}

    builder = StateGraph(Preferences)
    builder.add_node("load", load).add_node("write_preference", write_preference).add_node("report", report)
    builder.add_edge(START, "load")
    builder.add_conditional_edges("load", fan_out, ["write_preference"])
    return builder.add_edge("write_preference", "report").add_edge("report", END)


UPDATES = {
    "user_id": "alice",
    "updates": {"theme_writer": {"theme": "dark"}, "language_writer": {"language": "python"}},
}
"""The demo's input: seed 000's two updates of alice's settings, by two writers at once."""

EXPECTED = {"theme": "dark", "language": "python", "font_size": 14}
"""alice's preferences after :data:`UPDATES`, from :data:`DEFAULTS`: both updates kept."""

builder = make_graph()
graph = builder.compile(store=InMemoryStore())
"""What the debugger attaches (an in-memory store of its own; see the module docstring)."""
