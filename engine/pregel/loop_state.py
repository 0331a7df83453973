"""The run loop's state (channels, versions, the checkpoint it goes on from) and its persistence:
loading a checkpoint, planning the next tasks, committing a step, pausing.

:class:`~engine.pregel.loop.SuperStepLoop` drives it step by step.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

from engine.checkpoint.base import (
    BaseCheckpointSaver,
    PendingWrite,
    RunnableConfig,
    config_checkpoint_id,
    config_thread_id,
)
from engine.errors import EmptyInputError
from engine.pregel.algo import Task, prepare_next_tasks
from engine.pregel.commit import Committer
from engine.pregel.nodes import RunContext
from engine.pregel.runtime import (
    DEFAULT_ENV,
    Breakpoints,
    RunEnv,
    StepCommitted,
    StepHook,
    StepPlan,
)
from engine.pregel.spec import GraphSpec
from engine.pregel.stream import EventStream, checkpoint_payload

DEFAULT_RECURSION_LIMIT = 25


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class LoopState:
    """One run of a graph on one thread; iterate :meth:`run` to drive it, or call :meth:`update`.

    Holds the channels, their versions and the versions each node has seen, plus the config of
    the last saved checkpoint (the parent of the next one).
    """

    def __init__(
        self,
        spec: GraphSpec,
        saver: BaseCheckpointSaver | None,
        config: RunnableConfig | None,
        *,
        env: RunEnv = DEFAULT_ENV,
        hook: StepHook | None = None,
        graph_ref: str | None = None,
        breakpoints: Breakpoints = Breakpoints(),
        stream: frozenset[str] = frozenset(),
        store: Any = None,
        durability: str = "sync",
        parents: dict[str, str] | None = None,
        context: Any = None,
        cache: Any = None,
    ) -> None:
        self.spec = spec
        self.events = EventStream(stream, env.now)
        """What :meth:`run` yields besides values, updates and interrupts (``stream``:
        ``"debug"``, ``"custom"``)."""
        self.store = store
        self.breakpoints = breakpoints
        self.saver = saver
        self.env = env
        self.hook = hook
        self.durability = durability
        self.cache = cache
        """Where nodes with a ``cache_policy`` keep their writes (see :mod:`engine.cache`)."""
        self.run_context = context
        """The run's ``context`` (nodes get it as ``runtime.context``)."""
        self.parents = dict(parents or {})
        """A subgraph run's ancestors: ``{namespace: checkpoint_id}`` (``metadata["parents"]``)."""
        self.committer = Committer(spec, saver, env, graph_ref, durability, self.parents)
        self.config: RunnableConfig = dict(config or {})
        self.config.setdefault("configurable", {})
        self.recursion_limit = int(self.config.get("recursion_limit", DEFAULT_RECURSION_LIMIT))
        self.channels = spec.new_channels()
        self.versions: dict[str, str] = {}
        self.versions_seen: dict[str, dict[str, str]] = {}
        self.parent_config: RunnableConfig | None = None
        self.checkpoint_id = ""
        self.step = -1
        self.pending_writes: list[PendingWrite] = []
        self.sends: list[Any] = []
        """The checkpoint's pending ``Send``s: the pushed tasks of the next step."""
        self.metadata: dict[str, Any] = {}
        self.replaying = False
        """The config named a checkpoint and the input is None: a replay (a fork), or a run on
        from an edit."""
        self.replay_from: str | None = None
        """A replayed checkpoint that already has writes recorded against it (an edit run on
        before): the steps run from it get task ids of their own, so what the earlier run
        recorded is never overwritten."""
        self.run_id = env.token()
        """This run's token: it salts a replay's task ids and marks the attempts it makes."""
        self._input_task: Task | None = None
        self._loaded_parent: RunnableConfig | None = None

    @property
    def context(self) -> RunContext:
        """What nodes and routers may ask for (the config, the custom-chunk writer, the store) and
        where they run (for a subgraph they start): see :class:`RunContext`."""
        configurable = self.config["configurable"]
        return RunContext(
            self.config, self.events.write, self.store, saver=self.saver,
            thread_id=configurable.get("thread_id"), namespace=str(configurable.get("checkpoint_ns") or ""),
            checkpoint_id=self.checkpoint_id, parents=self.parents, events=self.events,
            durability=self.durability, context=self.run_context,
        )

    async def _load(self, *, resuming: bool = False) -> bool:
        """Restore the checkpoint named by the config (or the thread's latest); False if none.
        ``resuming``: the input is a Command, which goes on from the named checkpoint with what
        was recorded there (its answers included), as LangGraph does, rather than replaying."""
        if self.saver is None:
            return False
        config_thread_id(self.config)
        saved = await self.saver.aget_tuple(self.config)
        if saved is None:
            if config_checkpoint_id(self.config):
                raise EmptyInputError(
                    f"thread {self.config['configurable']['thread_id']!r} has no checkpoint "
                    f"{config_checkpoint_id(self.config)!r}"
                )
            return False
        self.channels = self.spec.restored_channels(saved.checkpoint.channel_values)
        self.versions = dict(saved.checkpoint.channel_versions)
        self.versions_seen = copy.deepcopy(saved.checkpoint.versions_seen)
        self.step = int(saved.metadata.get("step", -1))
        self.parent_config = saved.config
        self.checkpoint_id = saved.checkpoint.id
        self.sends = list(saved.checkpoint.pending_sends or [])
        self.metadata = saved.metadata
        self._loaded_parent = saved.parent_config
        # An explicit checkpoint_id with no Command is a replay (a fork): every step after that
        # checkpoint runs again, as in LangGraph. The writes saved against it come from the run
        # that went on from there before, so a replay does not reuse them.
        self.replaying = config_checkpoint_id(self.config) is not None and not resuming
        self.pending_writes = [] if self.replaying else list(saved.pending_writes)
        self.replay_from = saved.checkpoint.id if self.replaying and saved.pending_writes else None
        return True

    def _plan(self, checkpoint_id: str) -> list[Task]:
        key = checkpoint_id
        if checkpoint_id == self.replay_from:
            key = f"{checkpoint_id}|replay:{self.run_id}"
        return prepare_next_tasks(
            key, self.step + 1, self.channels, self.versions, self.versions_seen, self.spec.triggers, self.sends,
            self.spec.deferred,
        )

    def _at(self) -> RunnableConfig:
        """Where a failure is recorded: the last saved checkpoint, else the thread."""
        return self.parent_config or self.config

    async def _commit(
        self, source: str, tasks: list[Task], changed: set[str], *, edited_as: str | None = None
    ) -> list[Task]:
        """Save the checkpoint ``self.checkpoint_id``; tell the hook; return the next step's tasks."""
        next_tasks = self._plan(self.checkpoint_id)
        before = self.parent_config
        parent = self.parent_config or {
            "configurable": {k: v for k, v in self.config["configurable"].items() if k != "checkpoint_id"}
        }
        saved = await self.committer.save(
            parent, checkpoint_id=self.checkpoint_id, source=source, step=self.step, tasks=tasks,
            channels=self.channels, versions=self.versions, versions_seen=self.versions_seen,
            changed=changed, next_nodes=tuple(t.name for t in next_tasks), edited_as=edited_as,
            sends=self.sends,
        )
        if saved is not None:
            self.parent_config = saved
        if self.events.debug:
            self.events.debug_event("checkpoint", self.step, checkpoint_payload(
                saved, before, self.spec.state_values(self.channels),
                self.committer.metadata(source, self.step, tasks, edited_as), next_tasks,
            ))
        if self.hook is not None:
            committed = StepCommitted(
                self.step, source, saved, tuple(tasks), tuple(t.name for t in next_tasks),
                self.spec.state_values(self.channels),
            )
            await _maybe_await(self.hook.after_step(committed))
        return next_tasks

    async def _may_run(self, tasks: list[Task]) -> bool:
        if self.hook is None:
            return True
        plan = StepPlan(self.step + 1, self.parent_config, tuple(tasks))
        return await _maybe_await(self.hook.before_step(plan)) is not False

    async def _pause(self) -> None:
        """Stop at a breakpoint: the last checkpoint stays where the run goes on from, and the
        thread is marked ``interrupted``."""
        if self.parent_config is not None:
            await self.committer.record_interrupt(self.parent_config)

