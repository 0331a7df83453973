"""Where a state schema declares each field, and the concurrency-safety comment it carries
(seed 002's rule 4: ``# SAFE: <why>`` or ``# PARALLEL-SAFE: <reducer>``), read from its source
with ``ast`` and ``tokenize`` (nothing is run)."""

from __future__ import annotations

import ast
import inspect
import io
import textwrap
import tokenize
from dataclasses import dataclass
from typing import Any

__all__ = ["FieldSource", "SAFETY_TAGS", "field_sources"]

SAFETY_TAGS = ("SAFE:", "PARALLEL-SAFE:")


@dataclass(frozen=True)
class FieldSource:
    """A field's file and line (1-based), and its safety comment (the comment on its line, or
    on the line above; None when neither is a ``SAFE:`` / ``PARALLEL-SAFE:`` comment)."""

    file: str
    line: int
    comment: str | None


def field_sources(schema: Any) -> dict[str, FieldSource]:
    """Field name -> :class:`FieldSource` for ``schema`` and the classes it inherits fields from
    (the nearest declaration wins); ``{}`` when the source cannot be read."""
    found: dict[str, FieldSource] = {}
    for cls in reversed([c for c in getattr(schema, "__mro__", [schema]) if c is not object]):
        found.update(_own_fields(cls))
    return found


def _own_fields(cls: Any) -> dict[str, FieldSource]:
    try:
        lines, start = inspect.getsourcelines(cls)
        file = inspect.getsourcefile(cls) or "?"
    except (OSError, TypeError):
        return {}
    source = textwrap.dedent("".join(lines))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    comments, alone = _comments(source)
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    found = {}
    for statement in body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            line = statement.lineno
            comment = comments.get(statement.end_lineno or line) or alone.get(line - 1)
            tagged = comment if comment and any(comment.startswith(t) for t in SAFETY_TAGS) else None
            found[statement.target.id] = FieldSource(file, start + line - 1, tagged)
    return found


def _comments(source: str) -> tuple[dict[int, str], dict[int, str]]:
    """(line -> the comment at its end, line -> a comment alone on its line), without ``#``."""
    found: dict[int, str] = {}
    alone: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                text = token.string.lstrip("#").strip()
                (alone if token.line.strip().startswith("#") else found)[token.start[0]] = text
    except (tokenize.TokenError, IndentationError):
        pass
    return found, alone
