"""Reserved names shared by the graph builder, the super-step loop and the checkpoint reader."""

from __future__ import annotations

START = "__start__"
"""The virtual node a run begins at; its edges say which nodes run first."""

END = "__end__"
"""The virtual node a run ends at."""

ERROR_CHANNEL = "__error__"
"""Pending-write channel that records a task's exception."""

NO_WRITES = "__no_writes__"
"""Pending-write channel that records that a task finished without writing anything."""

BRANCH_PREFIX = "branch:to:"
"""Trigger channel of each node: ``branch:to:<node>`` is written by every edge into the node."""

JOIN_PREFIX = "join:"
"""Barrier channel of a join edge: ``join:<a>+<b>:<node>`` fills as ``a`` and ``b`` finish."""

RESERVED_CHARACTERS = (":", "|")


def is_internal_channel(name: str) -> bool:
    """True for the engine's bookkeeping channels (triggers, barriers, the input channel) and
    the attempts row (shown as timings instead)."""
    return name in (START, ATTEMPTS) or name.startswith(BRANCH_PREFIX) or name.startswith(JOIN_PREFIX)

INTERRUPT = "__interrupt__"
"""Pending-write channel of a task's interrupts (``[{"id", "value"}, ...]``), and the key under
which a paused run's result lists them (as in LangGraph)."""

RESUME = "__resume__"
"""Pending-write channel of the resume values a task has been given, in the order it asked."""

TASKS = "__pregel_tasks"
"""Write channel of a task's ``Send``s: each becomes a task of the next super-step (kept in the
checkpoint's ``pending_sends`` as ``{"node", "arg"}``, in the order they were sent)."""

PUSH, PULL = "__pregel_push", "__pregel_pull"
"""First element of a task's path: pushed by a ``Send`` or pulled by its triggers (LangGraph's)."""

INPUT_TASK = "__input__"
"""The pseudo-task whose writes are a resume command's ``update``: applied before the step runs."""

SENT = "__sent__"
"""Pending-write channel of a pushed task's input (its ``Send``'s argument), so a step's record
says what each pushed task was given."""

ATTEMPTS = "__attempts__"
"""Pending-write channel of a task's attempts, in order: ``[{"run": token, "started_at": ISO
8601 UTC, "ms": float, "error"?: {"type", "message"}, "interrupted"?: True}, ...]`` (``run``
tells the attempts of a resumed step from earlier ones). What the debugger's timing bars and
retry rows show; LangGraph keeps no timings."""

ERROR_IDX = -1
INTERRUPT_IDX = -3
RESUME_IDX = -4
SENT_IDX = -5
ATTEMPTS_IDX = -6
"""Pending-write indices of a task's bookkeeping rows, below every real write (index >= 0), so
a row at index >= 0 always means the task finished."""
