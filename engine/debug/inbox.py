"""The interrupt inbox: threads waiting for a person, what each waits for, and the answers.

Read from the database alone (no graph code): a paused step's tasks record their interrupts as
pending-write rows (see :mod:`engine.pregel.pending`), and the thread's status is
``interrupted``. A thread stopped at a breakpoint, or by single-stepping, waits too, with no
interrupt (``kind == "breakpoint"``): it goes on with ``c``.

Answers follow LangGraph's Agent Inbox convention (``HumanInterrupt`` payloads with an
``action_request``; ``HumanResponse`` answers ``{"type": "accept" | "edit" | "response" |
"ignore", "args": ...}``), which :mod:`sample_graphs.approval` uses; a graph with payloads of
its own gets the same shapes, and ``E`` lets a person type any JSON answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from engine.checkpoint.base import PendingWrite
from engine.debug.model import ThreadSummary
from engine.pregel.pending import task_outcomes

MAX_INBOX = 500
"""At most this many waiting threads are listed (newest first)."""


@dataclass(frozen=True)
class PendingInterrupt:
    """One unanswered ``interrupt()``: its id (for ``Command(resume={id: value})``), the value
    the node passed (the payload a person reads), and the node and task that asked."""

    interrupt_id: str
    value: Any
    node: str
    task_id: str


@dataclass(frozen=True)
class WaitingThread:
    """A thread waiting at its newest checkpoint: its interrupts (empty: a breakpoint pause)."""

    thread: ThreadSummary
    interrupts: tuple[PendingInterrupt, ...]

    @property
    def kind(self) -> str:
        return "interrupt" if self.interrupts else "breakpoint"


def pending_interrupts(writes: list[PendingWrite]) -> tuple[PendingInterrupt, ...]:
    """The unanswered interrupts among a checkpoint's pending writes, in task order."""
    found = []
    for outcome in task_outcomes(writes).values():
        for item in outcome.waiting:
            found.append(PendingInterrupt(str(item.get("id", "")), item.get("value"), outcome.node, outcome.task_id))
    return tuple(found)


class _Source(Protocol):
    async def list_threads(self, *, limit: int | None = None, offset: int = 0, status: str | None = None) -> list[ThreadSummary]: ...

    async def get_pending_writes(self, thread_id: str, checkpoint_id: str, *, checkpoint_ns: str = "") -> list[PendingWrite]: ...


async def waiting_threads(source: _Source, *, limit: int = MAX_INBOX) -> list[WaitingThread]:
    """Every thread whose status is ``interrupted``, newest first, with what it waits for."""
    waiting = []
    for thread in await source.list_threads(limit=limit, status="interrupted"):
        writes = (
            await source.get_pending_writes(thread.thread_id, thread.latest_checkpoint_id)
            if thread.latest_checkpoint_id else []
        )
        waiting.append(WaitingThread(thread, pending_interrupts(writes)))
    return waiting


def _request(value: Any) -> dict[str, Any] | None:
    """The Agent Inbox ``action_request`` of a payload (or of a one-item list of them)."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    request = value.get("action_request") if isinstance(value, dict) else None
    return request if isinstance(request, dict) else None


SUMMARY_CHARS = 300


def payload_summary(value: Any) -> tuple[str, str]:
    """(what is asked, the description) of an interrupt payload, as plain text to neutralise:
    ``("delete_database(name='production')", "... cannot be undone ...")`` for an Agent Inbox
    request, else the payload as compact JSON (cut to :data:`SUMMARY_CHARS`) and ``""``."""
    request = _request(value)
    if request is not None:
        args = request.get("args")
        shown = ", ".join(f"{k}={v!r}" for k, v in args.items()) if isinstance(args, dict) else ""
        description = value[0] if isinstance(value, list) else value
        return f"{request.get('action')}({shown})"[:SUMMARY_CHARS], str(description.get("description") or "")[:SUMMARY_CHARS]
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return (text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"), ""


def asked(interrupts: Any) -> str:
    """What the interrupts (anything with a ``.value``) ask, one line: their summaries, ``; ``-joined."""
    return "; ".join(payload_summary(i.value)[0] for i in interrupts)


def answers_for(waiting: WaitingThread, answer: Any) -> Any:
    """The resume value giving ``answer`` to every interrupt the thread waits on: ``answer``
    itself for one, ``{interrupt_id: answer, ...}`` for several."""
    if len(waiting.interrupts) <= 1:
        return answer
    return {i.interrupt_id: answer for i in waiting.interrupts}


def approve_answer() -> dict[str, Any]:
    """The answer that approves a request: ``{"type": "accept", "args": None}``."""
    return {"type": "accept", "args": None}


def reject_answer(reason: str) -> dict[str, Any]:
    """The answer that declines with a reason: ``{"type": "response", "args": reason}`` (the
    tool does not run; the reason goes back to the agent)."""
    return {"type": "response", "args": reason}


def _edit_template(value: Any) -> Any:
    request = _request(value)
    if request is None:
        return approve_answer()
    return {"type": "edit", "args": {"action": request.get("action"), "args": request.get("args", {})}}


def edit_answer_text(waiting: WaitingThread) -> str:
    """The JSON a person starts editing from: for an Agent Inbox request, an ``edit`` answer
    holding its action and arguments; otherwise an ``accept`` answer; for several interrupts,
    ``{interrupt_id: answer, ...}``."""
    if len(waiting.interrupts) == 1:
        answer = _edit_template(waiting.interrupts[0].value)
    else:
        answer = {i.interrupt_id: _edit_template(i.value) for i in waiting.interrupts}
    return json.dumps(answer, indent=2, ensure_ascii=True, default=str)


class AnswerError(ValueError):
    """An answer typed as JSON does not parse; ``line`` and ``column`` are where (1-based)."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


def parse_answer(text: str, what: str = "the answer") -> Any:
    """The answer (or input: ``what``) a person typed, as JSON.

    Raises:
        AnswerError: the text is not JSON (the message says where and what to do).
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # json's "Invalid control character at" means a string left open (a raw newline in it).
        msg = exc.msg.removesuffix(" at").replace("Invalid control character", "a string is not closed (or has a raw control character)")
        raise AnswerError(
            f"{what} is not valid JSON: {msg} at line {exc.lineno}, column {exc.colno}; "
            "fix it, or press esc to cancel (nothing is written)",
            exc.lineno, exc.colno,
        ) from None
