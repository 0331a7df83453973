"""Random small graphs for checking the lint against real runs: fan-outs from START, static
edges, routers that pick one or several destinations, ``Send`` fan-outs and join edges, whose
nodes write random subsets of two plain channels and one reducer channel.

A graph is written out as a module's source (so the lint reads its nodes as it would a user's)
and imported from a temporary folder; :func:`run_all_routes` runs it under every routing choice
and returns the channels that failed with ``InvalidUpdateError``.
"""

from __future__ import annotations

import importlib.util
import itertools
import random
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.debug.lint_view import conflicting_channels
from engine.errors import InvalidUpdateError

CHANNELS = ("p1", "p2", "r1")
PLAIN = ("p1", "p2")
MAX_ROUTES = 64


@dataclass
class Plan:
    """A graph: ``writes[i]`` the channels node ``i`` writes; ``starts`` START's targets;
    ``outs[i]`` how node ``i`` goes on: ``("edges", [j...])``, ``("router", [j or -1 for END])``,
    ``("multi", [j...])`` or ``("send", j)``; ``join``: ``((a, b), c)`` or None."""

    writes: list[list[str]]
    starts: list[int]
    outs: list[tuple[str, Any]] = field(default_factory=list)
    join: tuple[tuple[int, int], int] | None = None


def random_plan(rng: random.Random) -> Plan:
    n = rng.randint(2, 5)
    writes = [sorted(rng.sample(CHANNELS, rng.randint(0, 2))) for _ in range(n)]
    starts = sorted(rng.sample(range(n), rng.randint(1, min(3, n))))
    outs: list[tuple[str, Any]] = []
    for i in range(n):
        later = list(range(i + 1, n))
        kind = rng.choice(["end", "edges", "router", "multi", "send"]) if later else "end"
        if kind == "edges":
            outs.append(("edges", sorted(rng.sample(later, rng.randint(1, len(later))))))
        elif kind == "router":
            outs.append(("router", sorted(rng.sample([*later, -1], min(len(later) + 1, rng.randint(2, 3))))))
        elif kind == "multi" and len(later) >= 2:
            outs.append(("multi", sorted(rng.sample(later, 2))))
        elif kind == "send":
            outs.append(("send", rng.choice(later)))
        else:
            outs.append(("end", None))
    join = None
    if n >= 3 and rng.random() < 0.3:
        a, b = sorted(rng.sample(range(n - 1), 2))
        join = ((a, b), rng.randint(b + 1, n - 1))
    return Plan(writes, starts, outs, join)


def source_of(plan: Plan, plain: tuple[str, ...] = PLAIN) -> str:
    """The plan as a module defining ``builder()``; the channels of :data:`PLAIN` not in
    ``plain`` get a reducer too."""
    declared = [f"    {k}: str" if k in plain else f"    {k}: Annotated[str, lambda a, b: b]" for k in PLAIN]
    lines = [
        "import operator",
        "from typing import Annotated, TypedDict",
        "from engine.graph import END, START, StateGraph",
        "from engine.types import Send",
        "",
        "class S(TypedDict, total=False):",
        *declared,
        "    r1: Annotated[list, operator.add]",
    ]
    for i, keys in enumerate(plan.writes):
        body = ", ".join(f'"{k}": ["n{i}"]' if k == "r1" else f'"{k}": "n{i}"' for k in keys)
        lines += ["", f"def n{i}(state):", f"    return {{{body}}}"]
    for i, (kind, _) in enumerate(plan.outs):
        if kind == "router":
            lines += ["", f"def route_n{i}(state, config) -> str:", f'    return config["configurable"]["choices"]["n{i}"]']
        elif kind == "multi":
            lines += ["", f"def route_n{i}(state, config) -> list[str]:", f'    return config["configurable"]["choices"]["n{i}"]']
        elif kind == "send":
            target = plan.outs[i][1]
            lines += ["", f"def route_n{i}(state, config) -> list[Send]:",
                      f'    return [Send("n{target}", {{}}) for _ in range(config["configurable"]["choices"]["n{i}"])]']
    lines += ["", "def builder():", "    b = StateGraph(S)"]
    lines += [f'    b.add_node("n{i}", n{i})' for i in range(len(plan.writes))]
    lines += [f'    b.add_edge(START, "n{i}")' for i in plan.starts]
    for i, (kind, arg) in enumerate(plan.outs):
        if kind == "edges":
            lines += [f'    b.add_edge("n{i}", "n{j}")' for j in arg]
        elif kind in ("router", "multi"):
            dests = ", ".join("END" if j < 0 else f'"n{j}"' for j in arg)
            lines.append(f'    b.add_conditional_edges("n{i}", route_n{i}, [{dests}])')
        elif kind == "send":
            lines.append(f'    b.add_conditional_edges("n{i}", route_n{i}, ["n{arg}"])')
    if plan.join is not None:
        (a, b), c = plan.join
        lines.append(f'    b.add_edge(["n{a}", "n{b}"], "n{c}")')
    lines.append("    return b")
    return "\n".join(lines) + "\n"


def load(plan: Plan, folder: Path, name: str, plain: tuple[str, ...] = PLAIN) -> Any:
    """Write the plan's module into ``folder`` and return its ``builder()``."""
    path = folder / f"{name}.py"
    path.write_text(source_of(plan, plain))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.builder()


def routes(plan: Plan) -> list[dict[str, Any]]:
    """Every routing choice (at most :data:`MAX_ROUTES`): router -> what it returns."""
    options: dict[str, list[Any]] = {}
    for i, (kind, arg) in enumerate(plan.outs):
        if kind == "router":
            options[f"n{i}"] = ["__end__" if j < 0 else f"n{j}" for j in arg]
        elif kind == "multi":
            names = [f"n{j}" for j in arg]
            options[f"n{i}"] = [[names[0]], [names[1]], names]
        elif kind == "send":
            options[f"n{i}"] = [1, 2]
    keys = list(options)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.islice(itertools.product(*options.values()), MAX_ROUTES)]


def run_all_routes(plan: Plan, builder: Any) -> set[str]:
    """The channels that failed with ``InvalidUpdateError`` under some routing choice."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # random graphs have unreachable nodes: lint says so, not compile
        graph = builder.compile()
    failed: set[str] = set()
    for choices in routes(plan):
        try:
            graph.invoke({}, {"configurable": {"choices": choices}, "recursion_limit": 50})
        except InvalidUpdateError as exc:
            failed |= conflicting_channels(str(exc))
    return failed


def real_conflicts(plan: Plan, folder: Path, name: str) -> set[str]:
    """The plain channels that some run fails on: each checked in a variant of the graph where
    it is the only plain channel (so an earlier failure on another cannot hide it)."""
    found = set()
    for channel in PLAIN:
        builder = load(plan, folder, f"{name}_{channel}", plain=(channel,))
        found |= run_all_routes(plan, builder) & {channel}
    return found
