"""Loading a graph the user names as ``module:attr``, to attach it to a debugging session.

This is the only place the debugger imports user code, and only a name the user typed on the
command line (``--graph``), never one read from a database: a thread records the name of the
graph that ran it (``metadata["graph"]``) so the debugger can say which ``--graph`` to pass.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

from engine.errors import EngineError
from engine.graph.compiled import CompiledStateGraph
from engine.graph.state import StateGraph

__all__ = ["GraphLoadError", "load_graph"]

_REF = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")


class GraphLoadError(EngineError):
    """``module:attr`` does not name a graph that can be loaded; the message says why."""


def load_graph(ref: str) -> CompiledStateGraph:
    """Import ``module`` and return ``attr`` as a compiled graph (a ``StateGraph`` builder is
    compiled, with no checkpointer). The current directory is importable, as with ``python -m``.

    The graph's ``graph_ref`` is set to ``ref``. Whatever checkpointer it was compiled with is
    not used by the debugger (it runs the graph on the database it opened).

    Raises:
        GraphLoadError: ``ref`` is not ``module:attr``, the module cannot be imported (its own
            error is quoted), it has no such attribute, or the attribute is not a graph.
    """
    if not _REF.match(ref):
        raise GraphLoadError(
            f"{ref!r} is not module:attr; name the graph like 'my_agent.graph:builder' "
            "(a module that can be imported, a colon, then the variable holding the graph)"
        )
    module_name, attr = ref.split(":", 1)
    cwd = str(Path.cwd())
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise GraphLoadError(
                f"cannot import {module_name!r} (for {ref}): no module named {exc.name!r} "
                f"(run retrace from the folder that holds it, or install it)"
            ) from None
        raise GraphLoadError(f"importing {module_name!r} (for {ref}) failed: {exc}") from None
    except Exception as exc:  # the user's module raised while importing: say so, no traceback
        raise GraphLoadError(
            f"importing {module_name!r} (for {ref}) failed: {type(exc).__name__}: {exc}"
        ) from None
    value: object = module
    for part in attr.split("."):
        if not hasattr(value, part):
            names = sorted(k for k, v in vars(module).items() if isinstance(v, StateGraph | CompiledStateGraph))
            hint = f"; graphs it has: {', '.join(names)}" if names else ""
            raise GraphLoadError(f"module {module_name!r} has no attribute {attr!r}{hint}")
        value = getattr(value, part)
    if isinstance(value, StateGraph):
        try:
            value = value.compile()
        except EngineError as exc:
            raise GraphLoadError(f"{ref} does not compile: {exc}") from None
    if not isinstance(value, CompiledStateGraph):
        raise GraphLoadError(
            f"{ref} is a {type(value).__name__}, not a graph: name a StateGraph or the result of "
            "its compile()"
        )
    value.graph_ref = ref
    return value
