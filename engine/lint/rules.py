"""The lint's rules over one compiled graph: who may run together (:mod:`engine.lint.together`),
what each node writes (:mod:`engine.lint.writes`, widened by recorded runs), and the schema's
declarations (:mod:`engine.lint.schema_source`)."""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any, get_args, get_origin

from engine.graph.checks import GraphChecks
from engine.lint.schema_source import field_sources
from engine.lint.together import concurrency
from engine.lint.writes import ALL_KEYS, WriteSet, static_writes
from engine.pregel.nodes import node_destinations
from engine.pregel.schema import StateField
from engine.pregel.spec import GraphSpec

__all__ = ["Finding", "Observed", "findings_of", "write_sets"]

_SCALARS = (int, float, str, bool, bytes)
_SEQUENTIAL_CONCEPT = re.compile(r"^(current_)?(iteration|step)(_count|_number|_index)?s?$|^(iteration|step)_counter$")


@dataclass(frozen=True)
class Finding:
    """One lint finding: the ``rule`` (``"R1"``..``"R4"``), ``severity`` (``"error"``: the run
    will fail; ``"warning"``), the ``channel`` and ``nodes`` concerned, the ``message`` (with the
    path that makes it possible), the suggested ``fix``, and where the field is declared."""

    rule: str
    severity: str
    channel: str | None
    nodes: tuple[str, ...]
    message: str
    fix: str
    file: str | None = None
    line: int | None = None

    def to_data(self) -> dict[str, Any]:
        """The finding as JSON-ready data (``retrace lint --json``)."""
        return {
            "rule": self.rule, "severity": self.severity, "channel": self.channel, "nodes": list(self.nodes),
            "message": self.message, "fix": self.fix, "file": self.file, "line": self.line,
        }


@dataclass
class Observed:
    """What recorded runs showed: ``writes`` node -> the keys it wrote; ``together``: ``(a, b,
    where)`` for nodes that ran in one super-step (``a == b``: several tasks of it);
    ``warnings``: the steps' warnings (e.g. a dropped key)."""

    writes: dict[str, set[str]] = field(default_factory=dict)
    together: list[tuple[str, str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def write_sets(spec: GraphSpec, observed: Observed) -> dict[str, WriteSet]:
    """Node -> what it can write: its source's keys (a subgraph: the keys its state shares with
    this graph's) and what recorded runs saw it write; every state key for ``state | {...}``."""
    found: dict[str, WriteSet] = {}
    for name, node in spec.nodes.items():
        if node.subgraph is not None:
            ws = WriteSet(frozenset(k for k in node.subgraph.spec.fields if k in spec.fields))
        else:
            ws = static_writes(node.fn)
        def expand(keys: frozenset[str]) -> frozenset[str]:
            return (keys - {ALL_KEYS}) | frozenset(spec.schema_keys) if ALL_KEYS in keys else keys

        seen = observed.writes.get(name)
        known = ws.known or seen is not None  # what the runs wrote stands in for an unread source
        found[name] = WriteSet(expand(ws.keys) | frozenset(seen or ()), known, "" if known else ws.why, expand(ws.always))
    return found


def findings_of(spec: GraphSpec, observed: Observed, rules: tuple[str, ...]) -> list[Finding]:
    """The findings of ``rules`` on ``spec``; subgraphs are linted on their own schema too."""
    sources = field_sources(spec.state_schema)
    writes = write_sets(spec, observed)
    found: list[Finding] = []
    if "R1" in rules or "R2" in rules:
        found += _conflicts(spec, writes, observed, sources, rules)
    if "R2" in rules:
        found += _sequential_concepts(spec, writes, sources)
    if "R3" in rules:
        found += _undocumented(spec, sources)
    if "R4" in rules:
        found += _structure(spec, writes, observed)
    for name, node in spec.nodes.items():
        if node.subgraph is not None:
            for inner in findings_of(node.subgraph.spec, Observed(), rules):
                found.append(Finding(inner.rule, inner.severity, inner.channel, inner.nodes,
                                     f"in subgraph {name}: {inner.message}", inner.fix, inner.file, inner.line))
    return found


def _where(sources: dict, channel: str) -> dict[str, Any]:
    source = sources.get(channel)
    return {"file": source.file, "line": source.line} if source is not None else {}


def _conflicts(
    spec: GraphSpec, writes: dict[str, WriteSet], observed: Observed, sources: dict, rules: tuple[str, ...]
) -> list[Finding]:
    together = concurrency(spec, observed.together)
    plain = {k for k, f in spec.fields.items() if f.reducer is None}
    by_channel: dict[str, tuple[set[str], str]] = {}
    unknown: dict[str, set[str]] = {}
    for (a, b), why in sorted(together.pairs.items()):
        if a not in writes or b not in writes:
            continue
        for channel in sorted(writes[a].keys & writes[b].keys & plain):
            nodes, first = by_channel.setdefault(channel, (set(), why))
            nodes.update({a, b})
        for x, y in ((a, b), (b, a)):
            if not writes[x].known and writes[y].keys & plain:
                unknown.setdefault(x, set()).add(y)
    found = []
    for channel, (nodes, why) in by_channel.items():
        rule = "R2" if _is_scalar(spec.fields[channel].value_type) else "R1"
        if rule not in rules:
            continue
        names = sorted(nodes)
        who = f"{names[0]} (several tasks of it)" if len(names) == 1 else " and ".join(names)
        kind = "a scalar field" if rule == "R2" else "a channel"
        found.append(Finding(
            rule, "error", channel, tuple(names),
            f"{channel!r} is {kind} without a reducer, and {who} can both write it in one super-step: "
            f"{why}. That step fails with InvalidUpdateError.",
            _fix(spec.fields[channel]), **_where(sources, channel),
        ))
    if "R1" in rules:
        for node, others in sorted(unknown.items()):
            found.append(Finding(
                "R1", "warning", None, (node, *sorted(others - {node})),
                f"cannot tell what {node} writes ({writes[node].why}); it may run in one super-step "
                f"with {', '.join(sorted(others))}, which write channels without a reducer",
                "return a dict literal from the node, or run the graph and lint with --db to use what it wrote",
            ))
    if not together.complete:
        found.append(Finding("R1", "warning", None, (), "the graph has too many possible super-steps to "
                             "explore them all; pairs beyond the first ones were not checked", "split the graph into subgraphs"))
    return found


def _is_scalar(value_type: Any) -> bool:
    if value_type in _SCALARS:
        return True
    if get_origin(value_type) in (typing.Union, types.UnionType):
        args = [a for a in get_args(value_type) if a is not type(None)]
        return bool(args) and all(a in _SCALARS for a in args)
    return typing.get_origin(value_type) is typing.Literal


def _fix(state_field: StateField) -> str:
    """The reducer to declare, by the field's type (seed 002's reducer reference)."""
    value_type, name = state_field.value_type, state_field.name
    origin = get_origin(value_type) or value_type
    shown = getattr(value_type, "__name__", None) or str(value_type).replace("typing.", "")
    if name == "messages" or "Message" in str(value_type):
        return f"declare it `{name}: Annotated[list, add_messages]` (engine.graph.add_messages)"
    if origin in (list, tuple, set):
        return f"declare it `{name}: Annotated[{shown}, operator.add]`: every task's items are kept"
    if origin is dict:
        return f"declare it `{name}: Annotated[{shown}, lambda a, b: {{**a, **b}}]`: every task's keys are merged"
    if value_type in (int, float):
        return (f"declare it `{name}: Annotated[{shown}, operator.add]` if the tasks' values add up, or with a "
                "custom reducer (max, min, ...) that says which value wins; or let one node write it")
    return (f"declare it `{name}: Annotated[{shown}, reducer]` with a custom reducer that says which value "
            "wins, or let one node write it")


def _sequential_concepts(spec: GraphSpec, writes: dict[str, WriteSet], sources: dict) -> list[Finding]:
    found = []
    for channel in spec.fields:
        if not _SEQUENTIAL_CONCEPT.match(channel):
            continue
        writers = sorted(n for n, ws in writes.items() if channel in ws.keys)
        if len(writers) > 1:
            found.append(Finding(
                "R2", "warning", channel, tuple(writers),
                f"{channel!r} assumes one step at a time (an iteration counter, a current step), and "
                f"{', '.join(writers)} write it; when nodes run in parallel it is undefined (seed 002, rule 3)",
                "replace it with `execution_path: Annotated[list[str], operator.add]` that each node appends "
                "to, and derive the depth as len(execution_path)",
                **_where(sources, channel),
            ))
    return found


def _undocumented(spec: GraphSpec, sources: dict) -> list[Finding]:
    found = []
    for channel in spec.schema_keys:
        source = sources.get(channel)
        if source is not None and source.comment is not None:
            continue
        found.append(Finding(
            "R3", "warning", channel, (),
            f"{channel!r} has no concurrency-safety comment (seed 002, rule 4)",
            "add `# SAFE: <why only one node writes it>` or `# PARALLEL-SAFE: <its reducer>` on its line",
            **_where(sources, channel),
        ))
    return found


def _structure(spec: GraphSpec, writes: dict[str, WriteSet], observed: Observed) -> list[Finding]:
    view = GraphChecks()
    view.nodes, view.fields = dict(spec.nodes), dict(spec.fields)
    view.edges = set(spec.edges) - {(s, e) for starts, e in spec.join_edges for s in starts}
    view.join_edges, view._problems = set(spec.join_edges), []
    view.branches = [b for branches in spec.branches.values() for b in branches]
    found = [Finding("R4", "warning", None, (), text, "see the message") for text in view.warnings()]
    for name in spec.nodes:
        joins_out = any(name in starts for starts, _ in spec.join_edges)
        if not any(s == name for s, _ in spec.edges) and name not in spec.branches and not joins_out \
                and not node_destinations(spec.nodes[name], list(spec.nodes)):
            found.append(Finding("R4", "warning", None, (name,), f"node {name!r} has no edge out: a run ends "
                                 "after it (LangGraph allows this)", f"add_edge({name!r}, END) says so"))
    for name, ws in writes.items():
        for key in sorted(ws.always - set(spec.fields)):  # a key returned on some paths only may be guarded
            found.append(Finding("R4", "warning", key, (name,), f"node {name!r} returns key {key!r}, not in the "
                                 "state: dropped", f"add {key!r} to the state schema, or stop returning it"))
    for text in sorted(set(observed.warnings)):
        found.append(Finding("R4", "warning", None, (), f"seen in a recorded run: {text}", "see the message"))
    return found
