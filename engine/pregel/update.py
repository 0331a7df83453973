"""Which node a state update comes from (``update_state``'s ``as_node``), as LangGraph decides."""

from __future__ import annotations

from typing import Any

from engine.constants import START
from engine.errors import InvalidUpdateError, UnknownNodeError
from engine.pregel.spec import GraphSpec


def update_node(spec: GraphSpec, as_node: str | None, metadata: dict[str, Any] | None) -> str:
    """``as_node`` checked, or the default at a checkpoint with ``metadata`` (None: the thread
    has none); see :func:`default_as_node`.

    Raises:
        UnknownNodeError: ``as_node`` is not a node of the graph (nor ``START``).
        InvalidUpdateError: no ``as_node`` and the last step does not say which node it is.
    """
    if as_node is not None:
        if as_node != START and as_node not in spec.nodes:
            raise UnknownNodeError(
                f"as_node={as_node!r} is not a node of this graph "
                f"(nodes: {sorted(spec.nodes)}, or START)"
            )
        return as_node
    node = default_as_node(spec, metadata)
    if node is None:
        last = list((metadata or {}).get("writes") or {})
        ran = f"the last step ran {sorted(last)}" if last else "no node ran in the last step"
        raise InvalidUpdateError(
            f"cannot tell which node this update comes from: {ran}; pass as_node=<node name>"
        )
    return node


def default_as_node(spec: GraphSpec, metadata: dict[str, Any] | None) -> str | None:
    """The node an update with no ``as_node`` comes from, at a checkpoint with ``metadata``
    (None: the thread has none), as LangGraph decides it: ``START`` before anything ran (an
    empty thread, or a run's input checkpoint), the only node of a one-node graph, else the one
    node that ran the last step; None when that is ambiguous (the caller must name one)."""
    if metadata is None or metadata.get("source") == "input":
        return START
    if len(spec.nodes) == 1:
        return next(iter(spec.nodes))
    writes = metadata.get("writes")
    last = list(writes) if isinstance(writes, dict) else []
    # A name the graph does not have (renamed since, or a hostile file) is no answer.
    return last[0] if len(last) == 1 and (last[0] in spec.nodes or last[0] == START) else None
