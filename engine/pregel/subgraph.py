"""Subgraphs: a compiled graph run by a task of another graph, as a node or from inside a node's
function, saved in the parent's checkpointer under a checkpoint namespace of its own.

Same rules as LangGraph 1.2.22 (checked side by side):

- the namespace is ``node:task_id`` of the task that runs it (below the parent's own, levels
  joined by ``|``), on the parent's thread; its checkpoints' ``metadata["parents"]`` is
  ``{parent_namespace: checkpoint_id, ...}``, every ancestor's checkpoint its step started from;
- the subgraph gets the parent's state (its own keys of it); a node that is a subgraph returns
  the subgraph's final values of the keys the two schemas share, through the parent's reducers;
- an interrupt inside pauses the parent task too; when the parent task runs again (resumed, or
  its step resumed after a failure), the subgraph goes on from its own unfinished checkpoint in
  that namespace, with the answers the parent task was given, instead of starting over.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Container, Mapping
from dataclasses import dataclass
from typing import Any

from engine.config import CURRENT_RUN
from engine.pregel.pending import task_outcomes
from engine.pregel.schema import state_to_dict
from engine.types import Command


@dataclass(frozen=True)
class NestedRun:
    """Where a subgraph run goes: the parent's saver, its thread and the child namespace.

    Attributes:
        saver: the checkpointer (the parent's, unless the subgraph has its own).
        config: ``{"configurable": {"thread_id", "checkpoint_ns"}, "recursion_limit"?}``.
        parents: ``metadata["parents"]`` of its checkpoints.
        namespace: the child namespace (``node:task_id``, joined by ``|`` below the root).
        answers: the resume answers the parent task was given (``{interrupt_id: value}``).
        events: the parent's event stream (for ``subgraphs=True``); wants: what it streams.
        store, durability, context: inherited from the parent run.
    """

    saver: Any
    config: dict[str, Any]
    parents: dict[str, str]
    namespace: str
    answers: Mapping[str, Any]
    events: Any
    store: Any
    durability: str
    context: Any = None

    @property
    def path(self) -> tuple[str, ...]:
        """The namespace as LangGraph's stream tuple: ``("sub:<task id>", ...)``."""
        return tuple(self.namespace.split("|"))


def nested_run(own_checkpointer: Any) -> NestedRun | None:
    """The nested run a graph starts now, if it is called inside a running task (else None).

    ``own_checkpointer`` is what the subgraph was compiled with, as in LangGraph: None, the
    parent's saver under ``node:task_id``; a saver of its own, that one, in the same namespace;
    ``True``, the parent's saver under ``node`` (the subgraph's state carries over from one call
    to the next on the thread); ``False``, nothing saved (the subgraph cannot pause)."""
    parent = CURRENT_RUN.get()
    if parent is None or not parent.task_id:
        return None
    namespace = parent.child_namespace(persistent=own_checkpointer is True)
    config: dict[str, Any] = {"configurable": {"thread_id": parent.thread_id, "checkpoint_ns": namespace}}
    if "recursion_limit" in (parent.config or {}):
        config["recursion_limit"] = parent.config["recursion_limit"]
    if own_checkpointer is None or own_checkpointer is True:
        saver = parent.saver
    else:
        saver = own_checkpointer or None
    if saver is not None and parent.thread_id is None:
        saver = None  # the parent keeps nothing: neither does its subgraph
    if saver is not None and parent.subgraphs is not None and namespace not in parent.subgraphs:
        parent.subgraphs.append(namespace)
    return NestedRun(
        saver=saver, config=config, parents={**parent.parents, parent.namespace: parent.checkpoint_id},
        namespace=namespace, answers=parent.answers, events=parent.events, store=parent.store,
        durability=parent.durability, context=parent.context,
    )


async def nested_input(run: NestedRun, input: Any) -> Any:
    """What the subgraph run starts with: ``input`` the first time; when the namespace has an
    unfinished checkpoint (the subgraph paused or failed there), None to go on from it, or
    ``Command(resume={id: answer})`` with the parent task's answers to what it waits for."""
    if run.saver is None:
        return input
    saved = await run.saver.aget_tuple(run.config)
    if saved is None or not saved.next:
        return input
    waiting = {str(i.get("id")) for o in task_outcomes(saved.pending_writes).values() for i in o.waiting}
    mine = {i: v for i, v in run.answers.items() if i in waiting}
    return Command(resume=mine) if mine else None


def subgraph_node(graph: Any, parent_keys: Container[str]) -> Callable[[Any], Awaitable[dict[str, Any]]]:
    """The node function of a compiled ``graph`` added as a node of a graph whose state has
    ``parent_keys`` (the builder's fields, read when it runs: keys added after the node count):
    it runs ``graph`` on the parent's state and returns the subgraph's final values of the
    shared keys (the keys only the subgraph has stay in it)."""

    async def run(state: Any) -> dict[str, Any]:
        out = await graph.ainvoke(state_to_dict(state))
        return {k: v for k, v in out.items() if k in parent_keys}

    run.__name__ = getattr(graph, "name", "subgraph")
    return run
