"""A compiled graph's shape: its edges, a Mermaid flowchart, and a layered text drawing.

No UI here: :func:`render_text` returns lines of plain text runs, each tagged with a role
(``"ran"``, ``"next-box"``, ``"next-name"`` or ``""``), that the CLI prints and a TUI styles, so
the nodes that ran in a step, or run next, can be highlighted.
Node names and router values come from user code, so every one shown is neutralised first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from engine.constants import END, START
from engine.pregel.nodes import Branch, node_destinations
from engine.pregel.spec import GraphSpec

__all__ = ["DrawnLine", "Edge", "GraphText", "cells", "graph_edges", "render_text", "shown_name", "to_mermaid"]

MAX_NAME = 40
"""Characters of a name shown in the text drawing at the most (the rest is cut to ``…``)."""

EdgeKind = Literal["static", "conditional", "join"]
_KINDS: tuple[EdgeKind, ...] = ("static", "conditional", "join")
_ARROWS = {"static": "──▶", "conditional": "┄┄▶", "join": "══▶"}
_LEGEND = {"static": "edge", "conditional": "conditional (the router's value)", "join": "join (after all its starts)"}
# Box corners and sides: top-left, horizontal, top-right, vertical, bottom-left, bottom-right.
_PLAIN, _ROUND, _RAN, _NEXT = "┌─┐│└┘", "╭─╮│╰╯", "┏━┓┃┗┛", "╔═╗║╚╝"


@dataclass(frozen=True)
class Edge:
    """One arrow of the graph, between node names (``START`` and ``END`` included).

    Attributes:
        kind: ``"static"`` (``add_edge``), ``"conditional"`` (a destination a router can choose)
            or ``"join"`` (``add_edge([a, b], end)``: ``end`` runs once all the starts have).
        label: a conditional edge's router values that lead here, ``", "``-joined (``None`` when
            the value is the target's own name or cannot be known); a join's starts, ``"a + b"``.
    """

    source: str
    target: str
    kind: EdgeKind
    label: str | None = None


def cells(text: str) -> int:
    """Terminal cells ``text`` takes (wide characters two, combining marks none)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text)


@dataclass
class DrawnLine:
    """One line of a drawing: runs of ``(text, role)``; ``role`` is ``"ran"`` (the box of a node
    that ran), ``"next-box"`` / ``"next-name"`` (the box / name of a node that runs next) or ``""``."""

    parts: list[tuple[str, str]] = field(default_factory=list)

    def append(self, text: str, role: str = "") -> DrawnLine:
        self.parts.append((text, role))
        return self

    @property
    def plain(self) -> str:
        return "".join(text for text, _ in self.parts)

    def __len__(self) -> int:
        return len(self.plain)

    @classmethod
    def joined(cls, sep: str, lines: Iterable[DrawnLine]) -> DrawnLine:
        out = cls()
        for i, line in enumerate(lines):
            if i:
                out.append(sep)
            out.parts += line.parts
        return out


@dataclass(frozen=True)
class GraphText:
    """The text drawing of a graph.

    Attributes:
        lines: the layers, top to bottom, then a legend; one :class:`DrawnLine` per line.
        boxes: node name -> its box as ``(line index, start, end)`` character spans of ``lines``,
            one per line of the box (three), for a UI to find or restyle a node.
    """

    lines: tuple[DrawnLine, ...]
    boxes: Mapping[str, tuple[tuple[int, int, int], ...]]


def graph_edges(spec: GraphSpec) -> list[Edge]:
    """Every edge of ``spec``, without duplicates, ordered by source then target (``START``
    first, the nodes in the order they were added, ``END`` last), then kind.

    A conditional edge whose destinations cannot be known (a router with neither a path map nor a
    ``Literal`` return annotation) is drawn to every node and to ``END``, as it can go anywhere.
    """
    edges = [Edge(s, t, "static") for s, t in spec.edges]
    for starts, end in spec.join_edges:
        edges += [Edge(s, end, "join", " + ".join(starts)) for s in starts]
    for branches in spec.branches.values():
        for branch in branches:
            edges += _branch_edges(spec, branch)
    for node in spec.nodes.values():  # a node declared to go there by goto (destinations=, or -> Command[Literal[...]])
        edges += [Edge(node.name, d, "conditional", "goto") for d in node_destinations(node, list(spec.nodes)) or ()]
    order = _order(spec)
    return sorted(dict.fromkeys(edges), key=lambda e: (order[e.source], order[e.target], _KINDS.index(e.kind)))


def _branch_edges(spec: GraphSpec, branch: Branch) -> list[Edge]:
    if branch.path_map is None:
        return [Edge(branch.source, target, "conditional") for target in [*spec.nodes, END]]
    values: dict[str, list[str]] = {}
    for value, target in branch.path_map.items():
        values.setdefault(target, []).append(str(value))
    return [
        Edge(branch.source, target, "conditional", None if keys == [target] else ", ".join(keys))
        for target, keys in values.items()
    ]


def _order(spec: GraphSpec) -> dict[str, int]:
    return {START: 0, **{name: i + 1 for i, name in enumerate(spec.nodes)}, END: len(spec.nodes) + 1}


# ---------------------------------------------------------------------------------------- Mermaid

_MERMAID_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Words Mermaid's flowchart grammar reads as keywords where a node id stands ("end" ends a block).
_MERMAID_WORDS = frozenset(
    "end graph subgraph flowchart style classdef class click linkstyle default direction call href".split()
)
_MERMAID_PLAIN = re.compile(r"[\w .,/-]")


def to_mermaid(spec: GraphSpec) -> str:
    """``spec`` as a Mermaid ``graph TD`` flowchart, in the shape of LangGraph's ``draw_mermaid()``:
    ``START``/``END`` as round ``__start__``/``__end__`` nodes, static and join edges ``-->``,
    conditional ones ``-.->`` with the router's value as label. A name that is not a plain
    identifier (or is a Mermaid keyword) gets an id ``node_N``; in node and edge labels every
    character but letters, digits, space and ``_.,/-`` is a ``#NN;`` code, so none is syntax."""
    ids = _mermaid_ids(spec)
    lines = ["---", "config:", "  flowchart:", "    curve: linear", "---", "graph TD;"]
    lines.append(f'    {ids[START]}(["{_mermaid_text(START)}"]):::first')
    lines += [f'    {ids[name]}("{_mermaid_text(name)}")' for name in spec.nodes]
    lines.append(f'    {ids[END]}(["{_mermaid_text(END)}"]):::last')
    for edge in graph_edges(spec):
        source, target = ids[edge.source], ids[edge.target]
        if edge.kind != "conditional":
            lines.append(f"    {source} --> {target};")
        elif edge.label is None:
            lines.append(f"    {source} -.-> {target};")
        else:
            lines.append(f"    {source} -.->|{_mermaid_text(edge.label)}| {target};")
    lines += ["    classDef default fill:#f2f0ff,line-height:1.2", "    classDef first fill-opacity:0",
              "    classDef last fill:#bfb6fc"]
    return "\n".join(lines) + "\n"


def _mermaid_ids(spec: GraphSpec) -> dict[str, str]:
    names = [START, *spec.nodes, END]
    plain = {n for n in names if _MERMAID_ID.fullmatch(n) and n.lower() not in _MERMAID_WORDS}
    ids = {n: n for n in plain}
    for i, name in enumerate(n for n in names if n not in plain):
        ids[name] = f"node_{i}"
        while ids[name] in plain:  # a user's node may itself be called node_0
            ids[name] += "_"
    return ids


def _mermaid_text(text: str) -> str:
    return "".join(c if c.isprintable() and _MERMAID_PLAIN.fullmatch(c) else f"#{ord(c)};" for c in text)


# ------------------------------------------------------------------------------------ text drawing

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def shown_name(name: str) -> str:
    """``name`` as one line of literal text, the way ``tui.safe_text.escape_control`` shows it
    (the engine does not import the UI): control and format characters as ``\\x1b``-style
    escapes, ``\\`` doubled; at most :data:`MAX_NAME` characters, a longer one cut to ``…``."""
    text = "".join(_NAMED.get(ch) or (ch if ch.isprintable() else _code(ord(ch))) for ch in name[: MAX_NAME + 1])
    return text if len(text) <= MAX_NAME else text[: MAX_NAME - 1] + "…"


def _code(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


BREAKPOINT_MARK = "● "


def render_text(
    spec: GraphSpec, *, ran: Collection[str] = (), next_: Collection[str] = (), width: int | None = None,
    breakpoints: Collection[str] = (),
) -> GraphText:
    """``spec`` drawn as text: its nodes as boxes in layers (each below the ones it comes from),
    each layer followed by the edges out of it as ``a ──▶ b`` lines, then a legend.

    ``ran`` nodes get the role ``"ran"`` on their whole box and a heavy border; ``next_`` nodes
    ``"next-box"`` / ``"next-name"`` and a double border (so it shows without colour too).
    With ``width``, a layer wider than that many cells is laid out on several rows.
    ``breakpoints`` nodes have :data:`BREAKPOINT_MARK` before their name (role ``"breakpoint"``).
    """
    edges = graph_edges(spec)
    rows, back = _layers(spec, edges)
    marked = set(breakpoints)
    size = {name: cells(shown_name(name)) + 4 + len(BREAKPOINT_MARK) * (name in marked) for row in rows for name in row}
    wrapped = [_wrap(row, size, width) for row in rows]
    full = max(_row_width(part, size) for parts in wrapped for part in parts)
    layer_of = {name: i for i, row in enumerate(rows) for name in row}
    anywhere = {b.source for bs in spec.branches.values() for b in bs if b.path_map is None}
    # Drawn one by one, the edges of a router with no declared destinations would list every node.
    drawn = [e for e in edges if e.kind != "join" and not (e.source in anywhere and e.kind == "conditional")]
    loops = any((e.source, e.target) in back for e in drawn) or any(
        (s, end) in back for starts, end in spec.join_edges for s in starts)
    lines: list[DrawnLine] = []
    boxes: dict[str, tuple[tuple[int, int, int], ...]] = {}
    for i, (row, parts) in enumerate(zip(rows, wrapped)):
        for part in parts:
            _draw_boxes(part, size, full, lines, boxes, set(ran), set(next_), marked)
        # A join is one line, under the layer of its last start, not one per start.
        joins = [j for j in spec.join_edges if max(layer_of[s] for s in j[0]) == i]
        lines += _edge_lines([e for e in drawn if e.source in row], joins, [n for n in row if n in anywhere], back)
        lines.append(DrawnLine())
    lines += _legend({e.kind for e in edges}, loops, bool(ran or next_), bool(marked))
    return GraphText(tuple(lines), boxes)


def _layers(spec: GraphSpec, edges: list[Edge]) -> tuple[list[list[str]], set[tuple[str, str]]]:
    """The nodes in layers, ``START`` on top and ``END`` alone at the bottom, and the edges that
    go back up (a loop's way back, chosen by Eades, Lin and Smyth's greedy ordering)."""
    order = _order(spec)
    succ = {n: {e.target for e in edges if e.source == n} - {n} for n in order}
    pred = {n: {e.source for e in edges if e.target == n} - {n} for n in order}
    remaining = dict.fromkeys(order)  # an ordered set: ties go to the node added first
    first: list[str] = []
    last: list[str] = []
    while remaining:
        sink = next((n for n in reversed(remaining) if not succ[n] & remaining.keys()), None)
        source = next((n for n in remaining if not pred[n] & remaining.keys()), None)
        if sink is not None:
            last.append(sink)
            del remaining[sink]
            continue
        if source is None:  # no source, no sink: take the node with the most edges out, net
            source = max(remaining, key=lambda n: len(succ[n] & remaining.keys()) - len(pred[n] & remaining.keys()))
        first.append(source)
        del remaining[source]
    place = {name: i for i, name in enumerate(first + last[::-1])}
    back = {(e.source, e.target) for e in edges if place[e.target] <= place[e.source]}
    level = dict.fromkeys(order, 0)
    for node in sorted(order, key=place.__getitem__):  # longest path along the edges going down
        for nxt in succ[node]:
            if place[nxt] > place[node]:
                level[nxt] = max(level[nxt], level[node] + 1)
    level[END] = max(v for k, v in level.items() if k != END) + 1
    rows: list[list[str]] = [[] for _ in range(level[END] + 1)]
    for name in order:
        rows[level[name]].append(name)
    # Order each layer by the mean place of the nodes above that lead to it: fewer crossings.
    column: dict[str, float] = {}
    for row in rows:
        above = {n: [column[p] for p in pred[n] if p in column] for n in row}
        row.sort(key=lambda n: (sum(above[n]) / len(above[n]) if above[n] else 0.0, order[n]))
        column.update({name: i - (len(row) - 1) / 2 for i, name in enumerate(row)})
    return [row for row in rows if row], back


def _row_width(part: list[str], size: Mapping[str, int]) -> int:
    return sum(size[n] for n in part) + 2 * (len(part) - 1)


def _wrap(row: list[str], size: Mapping[str, int], width: int | None) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for name in row:
        if parts[-1] and width is not None and _row_width([*parts[-1], name], size) > width:
            parts.append([])
        parts[-1].append(name)
    return parts


def _draw_boxes(
    part: list[str], size: Mapping[str, int], full: int, lines: list[DrawnLine],
    boxes: dict[str, tuple[tuple[int, int, int], ...]], ran: set[str], next_: set[str], marked: set[str],
) -> None:
    """Append the three lines of a row of boxes, centred in ``full`` cells; record their spans."""
    top, mid, bottom = (DrawnLine().append(" " * ((full - _row_width(part, size)) // 2)) for _ in range(3))
    for i, name in enumerate(part):
        if i:
            for line in (top, mid, bottom):
                line.append("  ")
        shown = shown_name(name)
        corners = _RAN if name in ran else _NEXT if name in next_ else _ROUND if name in (START, END) else _PLAIN
        box_style = "ran" if name in ran else "next-box" if name in next_ else ""
        name_style = "next-name" if name in next_ and name not in ran else box_style
        start = [len(line) for line in (top, mid, bottom)]
        mark = BREAKPOINT_MARK if name in marked else ""
        bar = corners[1] * (cells(shown) + len(mark) + 2)
        top.append(corners[0] + bar + corners[2], box_style)
        mid.append(f"{corners[3]} ", box_style)
        if mark:
            mid.append(mark, "breakpoint")
        mid.append(shown, name_style).append(f" {corners[3]}", box_style)
        bottom.append(corners[4] + bar + corners[5], box_style)
        boxes[name] = tuple((len(lines) + j, start[j], len(line)) for j, line in enumerate((top, mid, bottom)))
    lines += [top, mid, bottom]


def _edge_lines(
    edges: list[Edge], joins: list[tuple[tuple[str, ...], str]], anywhere: list[str], back: set[tuple[str, str]]
) -> list[DrawnLine]:
    """``  a ──▶ b ↑  (label)`` per edge (``↑``: it goes back up) and per router whose destinations
    are not declared, in columns; then ``  a + b ══▶ c`` per join."""
    rows = [(shown_name(e.source), f"{_ARROWS[e.kind]} {shown_name(e.target)}{' ↑' * ((e.source, e.target) in back)}",
             "" if e.label is None else f"({shown_name(e.label)})") for e in edges]
    rows += [(name, f"{_ARROWS['conditional']} any node or {END}", "(no path map: it can go anywhere)")
             for name in map(shown_name, anywhere)]
    pad = [max((cells(row[i]) for row in rows), default=0) for i in (0, 1)]
    out = [DrawnLine().append(f"  {s}{' ' * (pad[0] - cells(s))} {t}" + (note and f"{' ' * (pad[1] - cells(t))}  {note}"))
           for s, t, note in rows]
    return out + [DrawnLine().append(f"  {' + '.join(map(shown_name, starts))} {_ARROWS['join']} {shown_name(end)}"
                                     + " ↑" * any((s, end) in back for s in starts)) for starts, end in joins]


def _legend(kinds: set[str], loops: bool, highlights: bool, breakpoints: bool = False) -> list[DrawnLine]:
    items = [DrawnLine().append(f"{_ARROWS[k]} {_LEGEND[k]}") for k in _KINDS if k in kinds]
    if loops:
        items.append(DrawnLine().append("↑ goes back up (a loop)"))
    if breakpoints:
        items.append(DrawnLine().append(BREAKPOINT_MARK.strip(), "breakpoint").append(" breakpoint (b)"))
    highlight = [DrawnLine().append(_RAN[:3], "ran").append(" ran in this step"),
                 DrawnLine().append(_NEXT[:3], "next-name").append(" runs next")]
    return [DrawnLine.joined("   ", items)] + ([DrawnLine.joined("   ", highlight)] if highlights else [])
