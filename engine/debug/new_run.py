"""Starting a run from the debugger: the input to start from, and a thread id that is free.

Pure: the TUI's dialog shows these and sends what the person typed to
:meth:`engine.debug.session.DebugSession.start_run`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, get_origin

from engine.graph.message import add_messages
from engine.pregel.spec import GraphSpec

_EMPTY: dict[Any, Any] = {list: [], dict: {}, str: "", int: 0, float: 0.0, bool: False}


def input_template(spec: GraphSpec) -> str:
    """A JSON input with every state key, each empty for its type (a message list gets one
    human message to fill in), to edit before running."""
    template: dict[str, Any] = {}
    for name, field in spec.fields.items():
        if field.reducer is add_messages:
            template[name] = [["human", ""]]
        else:
            kind = get_origin(field.value_type) or field.value_type
            template[name] = _EMPTY.get(kind)
    return json.dumps(template, indent=2, ensure_ascii=True)


_GENERIC = frozenset({"graph", "app", "builder", "workflow", "agent", "LangGraph"})


def suggest_thread_id(graph: str, taken: Iterable[str]) -> str:
    """``<name>-<n>`` with the smallest ``n`` not among ``taken``; ``graph`` is its
    ``module:attr`` (the attribute names it, or the module when the attribute is a generic
    ``graph`` / ``app``) or its name."""
    used = set(taken)
    module, _, attr = graph.rpartition(":")
    name = module.rsplit(".", 1)[-1] if module and attr in _GENERIC else attr or graph
    base = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name).strip("-") or "run"
    n = 1
    while f"{base}-{n}" in used:
        n += 1
    return f"{base}-{n}"
