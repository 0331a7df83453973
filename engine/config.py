"""What a running node can reach without being passed it, as LangGraph's ``langgraph.config``:
:func:`get_config`, :func:`get_stream_writer` and :func:`get_store`.

The run loop sets the running task's :class:`~engine.pregel.nodes.RunContext` around each node
and router call (a sync node's worker thread sees it too).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.pregel.nodes import RunContext
    from engine.types import StreamWriter

CURRENT_RUN: ContextVar[RunContext | None] = ContextVar("retrace_current_run", default=None)


def _context(what: str) -> RunContext:
    context = CURRENT_RUN.get()
    if context is None:
        raise RuntimeError(f"{what}() can only be called inside a node or router while the graph runs")
    return context


def get_config() -> Any:
    """The running node's config (``{"configurable": {"thread_id": ...}, ...}``).

    Raises:
        RuntimeError: called outside a node or router run by the engine (as LangGraph).
    """
    return _context("get_config").config


def get_stream_writer() -> StreamWriter:
    """A function that sends its argument as a ``stream_mode="custom"`` chunk, as LangGraph's;
    when the run does not stream ``"custom"``, what it is given is dropped. Safe to call from a
    sync node (its worker thread).

    Raises:
        RuntimeError: called outside a node or router run by the engine (as LangGraph).
    """
    return _context("get_stream_writer").writer


def get_store() -> Any:
    """The graph's store (``compile(store=...)``), or None when it has none.

    Raises:
        RuntimeError: called outside a node or router run by the engine.
    """
    return _context("get_store").store
