"""``CompiledStateGraph``: a validated graph you can run, stream and inspect."""

from __future__ import annotations

import asyncio
import copy
import inspect
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from engine.channels import BaseChannel, EphemeralValue, NamedBarrierValue
from engine.checkpoint.base import (
    BaseCheckpointSaver,
    RunnableConfig,
    config_checkpoint_id,
    metadata_matches,
    config_thread_id,
)
from engine.constants import BRANCH_PREFIX, END, ERROR_CHANNEL, JOIN_PREFIX, NO_WRITES, START
from engine.errors import InvalidUpdateError, UnknownNodeError
from engine.graph.schema import build_state, state_to_dict, value_classes
from engine.graph.state import call_arguments
from engine.pregel.algo import Task, apply_writes, prepare_next_tasks
from engine.pregel.loop import SuperStepLoop
from engine.sync import iterate_sync, run_sync
from engine.types import PregelTask, StateSnapshot

if TYPE_CHECKING:
    from engine.checkpoint.base import CheckpointTuple
    from engine.graph.state import Branch, StateGraph

StreamMode = str


def join_channel(starts: tuple[str, ...], end: str) -> str:
    return f"{JOIN_PREFIX}{'+'.join(starts)}:{end}"


async def _call(fn: Any, arguments: tuple[tuple[Any, ...], dict[str, Any]], in_thread: bool) -> Any:
    """Call a node or router; sync ones run in a worker thread when siblings run beside them."""
    args, kwargs = arguments
    if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None)):
        return await fn(*args, **kwargs)
    result = await asyncio.to_thread(fn, *args, **kwargs) if in_thread else fn(*args, **kwargs)
    return await result if inspect.isawaitable(result) else result


class CompiledStateGraph:
    """A graph ready to run; made by :meth:`StateGraph.compile`.

    Same methods as LangGraph's compiled graph: ``ainvoke``/``invoke``, ``astream``/``stream``,
    ``aget_state``/``get_state``, ``aget_state_history``/``get_state_history``. ``config`` is
    ``{"configurable": {"thread_id": ..., "checkpoint_id": optional}, "recursion_limit": 25}``.
    """

    def __init__(self, builder: StateGraph, *, checkpointer: BaseCheckpointSaver | None, name: str) -> None:
        self.builder = builder
        self.checkpointer = checkpointer
        self.name = name
        self.state_keys = tuple(builder.fields)
        self.triggers: dict[str, tuple[str, ...]] = {START: (START,)}
        self.fixed_edges: dict[str, list[tuple[str, Any]]] = {}
        for name_ in builder.nodes:
            self.triggers[name_] = (f"{BRANCH_PREFIX}{name_}",)
        for start, end in sorted(builder.edges):
            if end != END:
                self.fixed_edges.setdefault(start, []).append((f"{BRANCH_PREFIX}{end}", None))
        for starts, end in sorted(builder.join_edges):
            if end == END:
                continue
            channel = join_channel(starts, end)
            self.triggers[end] += (channel,)
            for start in starts:
                self.fixed_edges.setdefault(start, []).append((channel, start))
        self.branches: dict[str, list[Branch]] = {}
        for branch in builder.branches:
            self.branches.setdefault(branch.source, []).append(branch)
        if checkpointer is not None:
            # Not just the schema: a field typed with another dataclass or model (``list[Point]``)
            # must come back from the checkpoint as that class too, not as a dict.
            for cls in value_classes(builder.state_schema):
                checkpointer.serde.allow(cls)

    def new_channels(self) -> dict[str, BaseChannel]:
        channels: dict[str, BaseChannel] = {k: f.new_channel() for k, f in self.builder.fields.items()}
        channels[START] = EphemeralValue()
        for name in self.builder.nodes:
            channels[f"{BRANCH_PREFIX}{name}"] = EphemeralValue()
        for starts, end in self.builder.join_edges:
            if end != END:
                channels[join_channel(starts, end)] = NamedBarrierValue(starts)
        return channels

    def restore_channels(self, channels: dict[str, BaseChannel], values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name in channels:
                channels[name].restore(value)

    def read_state_values(self, channels: dict[str, BaseChannel]) -> dict[str, Any]:
        return {k: channels[k].value for k in self.state_keys if channels[k].is_available()}

    def task_update(self, task: Task) -> dict[str, Any] | None:
        update = {c: v for c, v in task.writes if c in self.builder.fields}
        return update or None

    def state_keys_written(self, task: Task) -> list[str]:
        return sorted({c for c, _ in task.writes if c in self.builder.fields})

    def update_writes(self, name: str, result: Any) -> list[tuple[str, Any]]:
        if result is None:
            return []
        try:
            update = state_to_dict(result)
        except TypeError:
            raise InvalidUpdateError(
                f"node {name!r} returned {type(result).__name__}; a node must return a dict of "
                "state keys to update, or None"
            ) from None
        unknown = [k for k in update if k not in self.builder.fields]
        if unknown:
            raise InvalidUpdateError(
                f"node {name!r} returned key(s) {unknown} that are not in the state schema "
                f"{getattr(self.builder.state_schema, '__name__', '')} (keys: {list(self.state_keys)})"
            )
        return list(update.items())

    async def run_task(
        self, task: Task, channels: dict[str, BaseChannel], config: RunnableConfig, in_thread: bool
    ) -> list[tuple[str, Any]]:
        """Run one task and return its writes: state updates, then the edges it takes."""
        if task.name == START:
            update = state_to_dict(channels[START].value)
            writes = [(k, v) for k, v in update.items() if k in self.builder.fields]
        else:
            node = self.builder.nodes[task.name]
            state = build_state(self.builder.state_schema, self.read_state_values(channels))
            arguments = call_arguments(node.config_arg, state, config)
            writes = self.update_writes(task.name, await _call(node.fn, arguments, in_thread))
        return writes + await self.edge_writes(task.name, writes, channels, config, in_thread)

    async def edge_writes(
        self,
        node: str,
        writes: list[tuple[str, Any]],
        channels: dict[str, BaseChannel],
        config: RunnableConfig,
        in_thread: bool = False,
    ) -> list[tuple[str, Any]]:
        """The trigger writes of ``node``'s edges; its routers see the state with ``writes`` applied."""
        edges = list(self.fixed_edges.get(node, []))
        branches = self.branches.get(node, [])
        if branches:
            fresh = {k: copy.copy(channels[k]) for k in self.state_keys}
            for key, value in writes:
                if key in fresh:
                    fresh[key].update([value])
            state = build_state(self.builder.state_schema, self.read_state_values(fresh))
            for branch in branches:
                arguments = call_arguments(branch.config_arg, state, config)
                result = await _call(branch.router, arguments, in_thread)
                edges += [(f"{BRANCH_PREFIX}{d}", None) for d in self._destinations(branch, result)]
        return edges

    def _destinations(self, branch: Branch, result: Any) -> list[str]:
        results = list(result) if isinstance(result, list | tuple) else [result]
        destinations = []
        for item in results:
            if branch.path_map is not None:
                if item not in branch.path_map:
                    raise UnknownNodeError(
                        f"the router of {branch.source!r} returned {item!r}, which is not one of "
                        f"its destinations {sorted(map(str, branch.path_map))}"
                    )
                item = branch.path_map[item]
            if item == END:
                continue
            if item not in self.builder.nodes:
                raise UnknownNodeError(
                    f"the router of {branch.source!r} returned {item!r}, which is not a node "
                    f"(nodes: {sorted(self.builder.nodes)}, or END)"
                )
            destinations.append(item)
        return destinations

    async def astream(
        self, input: Any, config: RunnableConfig | None = None, *, stream_mode: StreamMode | list[StreamMode] = "values"
    ) -> AsyncIterator[Any]:
        """Run the graph, yielding as it goes.

        ``stream_mode="values"`` yields the whole state after every super-step (the input's
        first); ``"updates"`` yields ``{node: update}`` for each task. A list of modes yields
        ``(mode, chunk)`` pairs. Errors: see :meth:`SuperStepLoop.run`.
        """
        modes = [stream_mode] if isinstance(stream_mode, str) else list(stream_mode)
        for mode in modes:
            if mode not in ("values", "updates"):
                raise ValueError(f"unknown stream_mode {mode!r}; use 'values' or 'updates'")
        async for mode, chunk in SuperStepLoop(self, config).run(input):
            if mode in modes:
                yield chunk if isinstance(stream_mode, str) else (mode, chunk)

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None) -> dict[str, Any]:
        """Run the graph to the end and return the final state values (a dict).

        ``input=None`` resumes the thread from its latest checkpoint, or from
        ``config["configurable"]["checkpoint_id"]`` (replay from a past checkpoint: new checkpoints
        branch off it, the old ones are kept).
        """
        values: dict[str, Any] = {}
        loop = SuperStepLoop(self, config)
        async for mode, chunk in loop.run(input):
            if mode == "values":
                values = chunk
        return values or self.read_state_values(loop.channels)

    def invoke(self, input: Any, config: RunnableConfig | None = None) -> dict[str, Any]:
        """Sync form of :meth:`ainvoke`."""
        return run_sync(self.ainvoke(input, config))

    def stream(
        self, input: Any, config: RunnableConfig | None = None, *, stream_mode: StreamMode | list[StreamMode] = "values"
    ) -> Iterator[Any]:
        """Sync form of :meth:`astream`: yields each chunk as its super-step finishes."""
        return iterate_sync(self.astream(input, config, stream_mode=stream_mode))

    def _require_saver(self) -> BaseCheckpointSaver:
        if self.checkpointer is None:
            raise ValueError("this graph has no checkpointer: compile(checkpointer=...) to keep state")
        return self.checkpointer

    def _snapshot(self, saved: CheckpointTuple, *, apply_pending: bool = False) -> StateSnapshot:
        """``saved`` as a snapshot; with ``apply_pending`` (the latest checkpoint, as LangGraph's
        ``get_state``), what the finished tasks of a failed step wrote is in ``values`` and
        those tasks are no longer in ``next``."""
        cp = saved.checkpoint
        step = int(saved.metadata.get("step", -1))

        def restored() -> dict[str, BaseChannel]:
            channels = self.new_channels()
            self.restore_channels(channels, cp.channel_values)
            return channels

        channels = restored()
        planned = prepare_next_tasks(
            cp.id, step + 1, channels, cp.channel_versions, cp.versions_seen, self.triggers
        )
        finished: dict[str, list[tuple[str, Any]]] = {}
        for w in sorted(saved.pending_writes, key=lambda w: w.idx):
            if w.idx >= 0:  # error rows are -1 (see engine.pregel.loop.error_write)
                finished.setdefault(w.task_id, [])
                if w.channel != NO_WRITES:
                    finished[w.task_id].append((w.channel, w.value))
        errors = {
            w.task_id: w.value
            for w in saved.pending_writes
            if w.channel == ERROR_CHANNEL and w.task_id not in finished
        }
        next_nodes = saved.next
        done = [t for t in planned if t.id in finished]
        if apply_pending and done:
            for task in done:
                task.writes = finished[task.id]
            attempt = restored()
            try:
                apply_writes(
                    attempt, dict(cp.channel_versions), copy.deepcopy(cp.versions_seen), done,
                    end_of_step=False,
                )
            except InvalidUpdateError:
                pass  # the writes conflict (the reason the step failed): show the state as saved
            else:
                channels = attempt
                next_nodes = tuple(t.name for t in planned if t.id not in finished)
        tasks = tuple(
            PregelTask(
                t.id, t.name, t.path, errors.get(t.id),
                result=self.task_update(t) if t.id in finished and apply_pending else None,
            )
            for t in planned
        )
        return StateSnapshot(
            values=self.read_state_values(channels),
            next=next_nodes,
            config=saved.config,
            metadata=saved.metadata,
            created_at=cp.ts,
            parent_config=saved.parent_config,
            tasks=tasks,
        )

    async def aget_state(self, config: RunnableConfig) -> StateSnapshot:
        """The state at the checkpoint named in ``config``, or the thread's latest.

        A thread with no checkpoint gives an empty snapshot (``values == {}``).
        Raises ``ValueError`` when the graph has no checkpointer or ``config`` has no thread_id.
        """
        saved = await self._require_saver().aget_tuple(config)
        if saved is None:
            config_thread_id(config)
            return StateSnapshot({}, (), config, None, None, None, ())
        return self._snapshot(saved, apply_pending=config_checkpoint_id(config) is None)

    def get_state(self, config: RunnableConfig) -> StateSnapshot:
        return run_sync(self.aget_state(config))

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
        if config_checkpoint_id(config) is not None:
            saved = await self._require_saver().aget_tuple(config)
            if saved is not None and (limit is None or limit > 0) and metadata_matches(saved.metadata, filter):
                yield self._snapshot(saved)
            return
        async for saved in self._require_saver().alist(config, filter=filter, before=before, limit=limit):
            yield self._snapshot(saved)

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
            InvalidUpdateError: ``as_node`` is ambiguous, or ``values`` has unknown keys.
        """
        self._require_saver()
        return await SuperStepLoop(self, config).update(values, as_node)

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
