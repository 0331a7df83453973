"""The state half of :class:`~engine.graph.compiled.CompiledStateGraph`: reading a thread's
state and history (a subgraph's too) and writing an update, as LangGraph's compiled graph does."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from engine.checkpoint.base import (
    BaseCheckpointSaver,
    RunnableConfig,
    config_checkpoint_id,
    config_checkpoint_ns,
    config_thread_id,
    metadata_matches,
)
from engine.graph.snapshot import snapshot_of
from engine.sync import iterate_sync, run_sync
from engine.types import StateSnapshot

if TYPE_CHECKING:
    from engine.checkpoint.base import CheckpointTuple


class StateAccess:
    """``aget_state``/``get_state``, ``aget_state_history``/``get_state_history``,
    ``aupdate_state``/``update_state`` (a mixin of ``CompiledStateGraph``, whose ``spec``,
    ``checkpointer``, ``env``, ``loop()`` and ``with_checkpointer()`` it uses)."""

    spec: Any
    checkpointer: Any
    env: Any

    def _require_saver(self) -> BaseCheckpointSaver:
        if not isinstance(self.checkpointer, BaseCheckpointSaver):
            raise ValueError("this graph has no checkpointer: compile(checkpointer=...) to keep state")
        return self.checkpointer

    def _snapshot(self, saved: CheckpointTuple, *, apply_pending: bool = False) -> StateSnapshot:
        return snapshot_of(self.spec, saved, apply_pending=apply_pending)

    def _graph_at(self, namespace: str) -> Any:
        """The subgraph whose checkpoints are under ``namespace`` (``node:task_id`` levels
        joined by ``|``), bound to this graph's checkpointer; this graph for ``""``; None when a
        level names no subgraph node (a subgraph run from inside a node's function)."""
        graph: Any = self
        for level in filter(None, namespace.split("|")):
            node = graph.spec.nodes.get(level.split(":", 1)[0])
            if node is None or node.subgraph is None:
                return None
            graph = node.subgraph
        return graph if graph is self else graph.with_checkpointer(self.checkpointer, env=self.env)

    async def _with_subgraphs(self, snapshot: StateSnapshot, *, expand: bool) -> StateSnapshot:
        """Each subgraph task's ``state``: the config of its namespace, or (``expand``, as
        LangGraph's ``subgraphs=True``) the subgraph's own snapshot there, its tasks' too."""
        namespace = config_checkpoint_ns(snapshot.config)
        thread = config_thread_id(snapshot.config)
        tasks = []
        for task in snapshot.tasks:
            node = self.spec.nodes.get(task.name)
            if node is None or node.subgraph is None:
                tasks.append(task)
                continue
            own = task.name if node.subgraph.checkpointer is True else f"{task.name}:{task.id}"
            child_ns = f"{namespace}|{own}" if namespace else own
            state: Any = {"configurable": {"thread_id": thread, "checkpoint_ns": child_ns}}
            child = node.subgraph.with_checkpointer(self.checkpointer, env=self.env)
            saved = await self._require_saver().aget_tuple(state) if expand else None
            if saved is not None:
                state = await child._with_subgraphs(child._snapshot(saved, apply_pending=True), expand=True)
            tasks.append(task._replace(state=state))
        return snapshot._replace(tasks=tuple(tasks))

    async def aget_state(self, config: RunnableConfig, *, subgraphs: bool = False) -> StateSnapshot:
        """The state at the checkpoint named in ``config``, or the thread's latest.

        A thread with no checkpoint gives an empty snapshot (``values == {}``). A subgraph task's
        ``state`` is the config of the subgraph's namespace (pass it here for the subgraph's
        state, or to :meth:`aget_state_history` for its history); with ``subgraphs=True`` it is
        the subgraph's snapshot, as in LangGraph.

        Raises ``ValueError`` when the graph has no checkpointer or ``config`` has no thread_id.
        """
        graph = self._graph_at(config_checkpoint_ns(config))
        saved = await self._require_saver().aget_tuple(config)
        if saved is None or graph is None:
            config_thread_id(config)
            return StateSnapshot({}, (), config, None, None, None, ())
        snapshot = graph._snapshot(saved, apply_pending=config_checkpoint_id(config) is None)
        return await graph._with_subgraphs(snapshot, expand=subgraphs)

    def get_state(self, config: RunnableConfig, *, subgraphs: bool = False) -> StateSnapshot:
        return run_sync(self.aget_state(config, subgraphs=subgraphs))

    async def aget_state_history(
        self,
        config: RunnableConfig,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[StateSnapshot]:
        """The thread's checkpoints as :class:`StateSnapshot`, newest first; ``filter`` keeps
        those whose metadata matches (``{"source": "loop"}``), ``limit`` caps how many.

        Same as LangGraph: a ``checkpoint_id`` in ``config`` gives that checkpoint alone (if it
        exists and matches ``filter``), not the history up to it.
        """
        graph = self._graph_at(config_checkpoint_ns(config))
        if graph is None:
            return
        if config_checkpoint_id(config) is not None:
            saved = await self._require_saver().aget_tuple(config)
            if saved is not None and (limit is None or limit > 0) and metadata_matches(saved.metadata, filter):
                yield await graph._with_subgraphs(graph._snapshot(saved), expand=False)
            return
        async for saved in self._require_saver().alist(config, filter=filter, before=before, limit=limit):
            yield await graph._with_subgraphs(graph._snapshot(saved), expand=False)

    async def aupdate_state(
        self, config: RunnableConfig, values: dict[str, Any] | Any | None, as_node: str | None = None
    ) -> RunnableConfig:
        """Write ``values`` into the thread as if node ``as_node`` had returned them.

        Same as LangGraph's ``update_state``: the values go through the state's reducers, the
        node's edges decide what runs next, and a new checkpoint (source ``update``) is saved on
        top of the checkpoint ``config`` names (or the latest one: on an older one, this forks the
        thread). ``as_node`` defaults to the node that ran the last step, when only one did, and to
        ``START`` on a run's input checkpoint (or an empty thread), as in LangGraph.
        Returns the new checkpoint's config; ``ainvoke(None, config)`` then runs on from it.

        Raises:
            ValueError: the graph has no checkpointer, or ``config`` has no thread_id.
            UnknownNodeError: ``as_node`` is not a node.
            InvalidUpdateError: ``as_node`` is ambiguous, or ``values`` has unknown keys, or a
                value does not fit its key's declared type (checked with pydantic, strict, on
                keys without a reducer; LangGraph does not check): nothing is written.
        """
        self._require_saver()
        return await self.loop(config).update(values, as_node)  # type: ignore[attr-defined]

    def update_state(
        self, config: RunnableConfig, values: dict[str, Any] | Any | None, as_node: str | None = None
    ) -> RunnableConfig:
        """Sync form of :meth:`aupdate_state`."""
        return run_sync(self.aupdate_state(config, values, as_node))

    def get_state_history(
        self,
        config: RunnableConfig,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[StateSnapshot]:
        """Sync form of :meth:`aget_state_history`."""
        return iterate_sync(self.aget_state_history(config, filter=filter, before=before, limit=limit))
