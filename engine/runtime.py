"""``Runtime``: what a node is given besides its state, as LangGraph's ``langgraph.runtime``.

A node or router with a parameter named ``runtime`` receives a :class:`Runtime`: the run's
``context`` (``invoke(..., context=...)``, typed by ``StateGraph(..., context_schema=...)``),
the graph's ``store`` and the ``stream_writer`` for ``stream_mode="custom"``;
:func:`get_runtime` returns the same from anywhere inside the node.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from engine.config import CURRENT_RUN
from engine.types import Runtime

__all__ = ["Runtime", "coerce_context", "get_runtime"]


def get_runtime(context_schema: Any = None) -> Runtime[Any]:
    """The running node's :class:`Runtime`; ``context_schema`` is only for type checkers, as in
    LangGraph.

    Raises:
        RuntimeError: called outside a node or router run by the engine (as LangGraph).
    """
    context = CURRENT_RUN.get()
    if context is None:
        raise RuntimeError("get_runtime() can only be called inside a node or router while the graph runs")
    return Runtime(context=context.context, store=context.store, stream_writer=context.writer)


def coerce_context(schema: Any, given: Any) -> Any:
    """The run's context: ``given`` made into ``schema`` when it is a dict and ``schema`` a
    dataclass or Pydantic model (as LangGraph does), else ``given`` as it is.

    Raises:
        TypeError: the dict does not fit the dataclass (its message names the schema's fields).
        pydantic.ValidationError: it does not fit the Pydantic model.
    """
    if not isinstance(given, dict) or not isinstance(schema, type):
        return given
    if hasattr(schema, "model_validate"):
        return schema.model_validate(given)
    if dataclasses.is_dataclass(schema):
        try:
            return schema(**given)
        except TypeError as exc:
            fields = ", ".join(f.name for f in dataclasses.fields(schema))
            raise TypeError(
                f"context {sorted(given)} does not fit context_schema {schema.__name__} (fields: {fields}): {exc}"
            ) from exc
    return given
