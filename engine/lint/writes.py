"""What a node writes, read from its source with ``ast`` (nothing is run or imported).

:func:`static_writes` returns the state keys a node function can return: the keys of returned
dict literals (``{"a": 1}``, ``dict(a=1)``, ``{**x, "a": 1}``, a conditional ``**(... if ... else
...)``), of ``Command(update={...})``, of a local dict built up before it is returned
(``out = {}; out["a"] = 1; out.update(b=2); return out``), of ``state | {...}`` (every state
key: the whole state is returned), through early returns and through helpers of the same module
it returns the result of. Where it cannot tell (a dict made elsewhere), the answer is
:data:`UNKNOWN`, never a guess.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["ALL_KEYS", "UNKNOWN", "WriteSet", "static_writes"]

ALL_KEYS = "*"
"""In :attr:`WriteSet.keys`: the node returns the whole state (``state | {...}``)."""


@dataclass(frozen=True)
class WriteSet:
    """The keys a node can write (``ALL_KEYS`` among them: every state key), those it writes on
    every path (``sure``; None: the same as ``keys``), or ``known`` False with ``why`` when its
    source does not say (``keys`` then holds what it surely can write, if anything)."""

    keys: frozenset[str]
    known: bool = True
    why: str = ""
    sure: frozenset[str] | None = None

    @property
    def always(self) -> frozenset[str]:
        return self.keys if self.sure is None else self.sure


UNKNOWN = WriteSet(frozenset(), known=False, why="its source could not be read")

_MAX_HELPER_DEPTH = 3


def static_writes(fn: Callable[..., Any], *, depth: int = 0) -> WriteSet:
    """The :class:`WriteSet` of node function ``fn`` (a function, a lambda, a ``partial``, or an
    object with ``__call__``)."""
    if isinstance(fn, functools.partial):
        return static_writes(fn.func, depth=depth)
    if not inspect.isroutine(fn) and callable(fn):
        fn = type(fn).__call__
    node = _function_node(fn)
    if node is None:
        return UNKNOWN
    return _Reader(fn, depth).function(node)


def _function_node(fn: Callable[..., Any]) -> ast.AST | None:
    """The ``def`` or ``lambda`` node of ``fn`` in its source file, or None."""
    try:
        lines, start = inspect.getsourcelines(fn)
    except (OSError, TypeError):
        return None
    source = textwrap.dedent("".join(lines))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        # A lambda inside a longer expression: its lines alone may not parse; try the lambda.
        tree = _parse_fragment(source)
        if tree is None:
            return None
    code = getattr(fn, "__code__", None)
    name = getattr(fn, "__name__", "")
    if name == "<lambda>":
        lambdas = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)]
        if code is not None:
            on_line = [n for n in lambdas if n.lineno + start - 1 == code.co_firstlineno]
            lambdas = on_line or lambdas
        return lambdas[0] if len(lambdas) == 1 else None  # two lambdas on a line: can't tell which
    name = getattr(code, "co_name", name)  # the def's own name, even if __name__ was changed
    defs = [c for c in ast.walk(tree) if isinstance(c, ast.FunctionDef | ast.AsyncFunctionDef) and c.name == name]
    if code is not None:
        # A decorated def's code starts at its first decorator.
        at = [d for d in defs if min([d.lineno, *(x.lineno for x in d.decorator_list)]) + start - 1 == code.co_firstlineno]
        defs = at or defs
    return defs[0] if defs else None


def _parse_fragment(source: str) -> ast.AST | None:
    at = source.find("lambda")
    while at >= 0:
        for end in range(len(source), at, -1):
            try:
                return ast.parse(source[at:end].strip().rstrip(",)"), mode="eval")
            except SyntaxError:
                continue
        at = source.find("lambda", at + 1)
    return None


class _Reader:
    """Reads one function's returns; ``locals`` holds what its simple assignments bound."""

    def __init__(self, fn: Callable[..., Any], depth: int) -> None:
        self.fn = fn
        self.depth = depth
        self.globals = getattr(fn, "__globals__", {})
        self.locals: dict[str, WriteSet] = {}

    def function(self, node: ast.AST) -> WriteSet:
        if isinstance(node, ast.Lambda):
            return self.value(node.body)
        found: list[WriteSet] = []
        for statement in _own_statements(node):
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                self._assign(statement.targets[0], statement.value)
            elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                self._assign(statement.target, statement.value)
            elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
                self._method_call(statement.value)
            elif isinstance(statement, ast.Return):
                found.append(WriteSet(frozenset()) if statement.value is None else self.value(statement.value))
        return _either(found) if found else WriteSet(frozenset())

    def _assign(self, target: ast.AST, value: ast.AST) -> None:
        if isinstance(target, ast.Name):
            self.locals[target.id] = self.value(value)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and target.value.id in self.locals:
            key = _constant_key(target.slice)
            current = self.locals[target.value.id]
            self.locals[target.value.id] = (
                _union([current, WriteSet(frozenset({key}))]) if key is not None else _unknown("a key that is not a string literal")
            )

    def _method_call(self, call: ast.Call) -> None:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "update" and isinstance(func.value, ast.Name):
            name = func.value.id
            if name in self.locals:
                parts = [self.locals[name], *(self.value(a) for a in call.args)]
                parts += [WriteSet(frozenset({k.arg})) if k.arg else self.value(k.value) for k in call.keywords]
                self.locals[name] = _union(parts)

    def value(self, node: ast.AST) -> WriteSet:
        """The keys a returned expression can hold."""
        if isinstance(node, ast.Dict):
            parts = []
            for key, item in zip(node.keys, node.values, strict=True):
                if key is None:  # **spread
                    parts.append(self.value(item))
                else:
                    literal = _constant_key(key)
                    parts.append(WriteSet(frozenset({literal})) if literal is not None else _unknown("a key that is not a string literal"))
            return _union(parts) if parts else WriteSet(frozenset())
        if isinstance(node, ast.Constant) and node.value is None:
            return WriteSet(frozenset())
        if isinstance(node, ast.IfExp):
            return _either([self.value(node.body), self.value(node.orelse)])
        if isinstance(node, ast.BoolOp):
            return _either([self.value(v) for v in node.values])
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return _union([self._whole_state_or(node.left), self._whole_state_or(node.right)])
        if isinstance(node, ast.Name):
            if node.id in self.locals:
                return self.locals[node.id]
            if node.id in self._state_names():
                return WriteSet(frozenset({ALL_KEYS}))
            return _unknown(f"it returns {node.id!r}, made elsewhere")
        if isinstance(node, ast.Call):
            return self._call(node)
        return _unknown(f"it returns a {type(node).__name__} expression")

    def _whole_state_or(self, node: ast.AST) -> WriteSet:
        if isinstance(node, ast.Name) and node.id in self._state_names():
            return WriteSet(frozenset({ALL_KEYS}))
        return self.value(node)

    def _state_names(self) -> set[str]:
        try:
            params = list(inspect.signature(self.fn).parameters)
        except (TypeError, ValueError):
            return set()
        return set(params[:1])

    def _call(self, call: ast.Call) -> WriteSet:
        name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
        if name == "dict":
            parts = [self.value(a) for a in call.args]
            parts += [WriteSet(frozenset({k.arg})) if k.arg else self.value(k.value) for k in call.keywords]
            return _union(parts) if parts else WriteSet(frozenset())
        if name == "Command":
            update = next((k.value for k in call.keywords if k.arg == "update"), None)
            return WriteSet(frozenset()) if update is None else self.value(update)
        helper = self.globals.get(name) if isinstance(call.func, ast.Name) else None
        if helper is not None and inspect.isfunction(helper) and self.depth < _MAX_HELPER_DEPTH:
            found = static_writes(helper, depth=self.depth + 1)
            if ALL_KEYS in found.keys:  # the helper's "whole state" is its own first argument
                return found if _passes_state(call, self._state_names()) else _unknown(f"it returns what {name}() makes")
            return found
        return _unknown(f"it returns what {name or 'a call'}() makes")


def _passes_state(call: ast.Call, state_names: set[str]) -> bool:
    return bool(call.args) and isinstance(call.args[0], ast.Name) and call.args[0].id in state_names


def _own_statements(node: ast.AST) -> list[ast.stmt]:
    """The function's statements in source order, nested blocks included, nested functions and
    classes not (their returns are not the node's)."""
    found: list[ast.stmt] = []

    def visit(statements: list[ast.stmt]) -> None:
        for statement in statements:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            found.append(statement)
            for field in ("body", "orelse", "finalbody", "handlers"):
                inner = getattr(statement, field, None)
                if isinstance(inner, list):
                    visit([s for s in inner if isinstance(s, ast.stmt)] or [
                        s for h in inner if isinstance(h, ast.excepthandler) for s in h.body
                    ])
            for case in getattr(statement, "cases", []) or []:
                visit(case.body)

    visit(list(getattr(node, "body", [])))
    return found


def _constant_key(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _unknown(why: str) -> WriteSet:
    return WriteSet(frozenset(), known=False, why=why)


def _union(parts: list[WriteSet]) -> WriteSet:
    """Parts that are all there (the pieces of one dict): every key of each."""
    keys = frozenset().union(*(p.keys for p in parts))
    sure = frozenset().union(*(p.always for p in parts))
    unknown = next((p for p in parts if not p.known), None)
    return WriteSet(keys, unknown is None, unknown.why if unknown else "", sure)


def _either(parts: list[WriteSet]) -> WriteSet:
    """Alternatives (returns, the arms of a conditional): any key of any; sure: those of all."""
    merged = _union(parts)
    sure = frozenset.intersection(*(p.always for p in parts)) if parts else frozenset()
    return WriteSet(merged.keys, merged.known, merged.why, sure)
