"""The graph view (engine.debug.graph_view) and `retrace graph`: edges, Mermaid, the text drawing."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Literal, TypedDict

import pytest
from click.testing import CliRunner
from rich.cells import cell_len
from rich.text import Text

from engine.constants import END, START
from engine.debug.attach import load_graph
from engine.debug.graph_view import Edge, graph_edges, render_text, to_mermaid
from engine.graph import StateGraph
from engine.pregel.spec import GraphSpec
from engine.types import Command
from tui.cli import main
from tui.graph_text import NEXT_STYLE, RAN_STYLE, rich_lines

CALC = "sample_graphs.calculator_agent:graph"
HOSTILE = "\x1b[2J[bold]x[/]\nname"


class S(TypedDict):
    x: int


def spec_of(ref: str) -> GraphSpec:
    return load_graph(ref).spec


def build(edges: list[tuple], nodes: list[str], branches: list[tuple] = ()) -> GraphSpec:
    builder = StateGraph(S)
    for name in nodes:
        builder.add_node(name, lambda s: None)
    for start, end in edges:
        builder.add_edge(start, end)
    for args in branches:
        builder.add_conditional_edges(*args)
    return builder.compile().spec


def styles_at(line: Text, index: int) -> set[str]:
    return {str(span.style) for span in line.spans if span.start <= index < span.end}


def test_calculator_edges() -> None:
    assert graph_edges(spec_of(CALC)) == [
        Edge(START, "agent", "static"),
        Edge("agent", "tools", "conditional", "continue"),
        Edge("agent", END, "conditional", "end"),
        Edge("tools", "agent", "static"),
    ]


def test_join_edges_and_a_join_to_end() -> None:
    spec = build([(START, "a"), (START, "b"), (["a", "b"], "c"), (["c", "a"], END)], ["a", "b", "c"])
    assert graph_edges(spec) == [
        Edge(START, "a", "static"), Edge(START, "b", "static"),
        Edge("a", "c", "join", "a + b"), Edge("a", END, "static"),
        Edge("b", "c", "join", "a + b"), Edge("c", END, "static"),
    ]
    lines = [line.plain for line in render_text(spec).lines]
    assert "  a + b ══▶ c" in lines  # one line per join, not one per start


def test_a_router_with_unknown_destinations_goes_everywhere() -> None:
    spec = build([(START, "a"), ("b", END)], ["a", "b"], [("a", lambda s: "b")])
    assert graph_edges(spec) == [
        Edge(START, "a", "static"),
        Edge("a", "a", "conditional"), Edge("a", "b", "conditional"), Edge("a", END, "conditional"),
        Edge("b", END, "static"),
    ]
    plain = [line.plain for line in render_text(spec).lines]
    assert sum("a ┄┄▶" in line for line in plain) == 1
    assert any("any node or __end__" in line for line in plain)


def test_literal_destinations_have_no_label() -> None:
    def route(state: S) -> Literal["b", "__end__"]:
        return "b"

    spec = build([(START, "a"), ("b", END)], ["a", "b"], [("a", route)])
    assert [e for e in graph_edges(spec) if e.kind == "conditional"] == [
        Edge("a", "b", "conditional"), Edge("a", END, "conditional")
    ]
    assert "    a -.-> b;" in to_mermaid(spec).splitlines()


def test_mermaid_of_the_calculator() -> None:
    lines = to_mermaid(spec_of(CALC)).splitlines()
    assert "graph TD;" in lines
    for expected in ['__start__(["__start__"]):::first', 'agent("agent")', 'tools("tools")',
                     '__end__(["__end__"]):::last', "__start__ --> agent;", "agent -.->|continue| tools;",
                     "agent -.->|end| __end__;", "tools --> agent;"]:
        assert f"    {expected}" in lines, expected


def test_mermaid_quotes_names_that_are_not_identifiers() -> None:
    spec = build([(START, "end"), ("end", HOSTILE), (HOSTILE, 'say "hi"'), ('say "hi"', END)],
                 ["end", HOSTILE, 'say "hi"'])
    text = to_mermaid(spec)
    lines = text.splitlines()
    assert "\x1b" not in text and "[bold]" not in text
    assert '    node_0("end")' in lines  # "end" is a Mermaid keyword: it gets an id of its own
    assert '    node_1("#27;#91;2J#91;bold#93;x#91;/#93;#10;name")' in lines
    assert '    node_2("say #34;hi#34;")' in lines
    assert "    node_0 --> node_1;" in lines and "    node_2 --> __end__;" in lines


@pytest.mark.parametrize("ref", [CALC, "sample_graphs.parallel_search:graph", "sample_graphs.chat:graph"])
def test_the_text_drawing_has_a_box_for_every_node(ref: str) -> None:
    spec = spec_of(ref)
    drawing = render_text(spec)
    plain = [line.plain for line in drawing.lines]
    for name in [START, *spec.nodes, END]:
        line, start, end = drawing.boxes[name][1]
        assert plain[line][start:end].strip("│ ") == name
    for edge in graph_edges(spec):
        assert any(f"{edge.source} " in line and f"▶ {edge.target}" in line for line in plain), edge


def test_layers_go_down_the_graph() -> None:
    boxes = render_text(spec_of("sample_graphs.parallel_search:graph")).boxes
    row = {name: spans[0][0] for name, spans in boxes.items()}
    assert row[START] < row["web_search"] == row["doc_search"] < row["merge"] < row[END]

    plain = [line.plain for line in render_text(spec_of(CALC)).lines]
    calc = render_text(spec_of(CALC)).boxes
    assert calc[START][0][0] < calc["agent"][0][0] < calc["tools"][0][0] < calc[END][0][0]
    assert "  tools ──▶ agent ↑" in plain  # the loop back is marked


def test_ran_and_next_nodes_are_highlighted() -> None:
    drawing = render_text(spec_of(CALC), ran={"agent"}, next_={"tools"})
    lines = rich_lines(drawing)  # the roles the engine gives, as the TUI styles them
    for line, start, end in drawing.boxes["agent"]:
        assert all(RAN_STYLE in styles_at(lines[line], i) for i in range(start, end))
        assert lines[line].plain[start] in "┏┃┗"
    line, start, end = drawing.boxes["tools"][1]
    name_at = lines[line].plain.index("tools")
    assert NEXT_STYLE in " ".join(styles_at(lines[line], name_at))
    assert lines[line].plain[start] == "║"
    line, start, _ = drawing.boxes[START][1]
    assert not styles_at(lines[line], start + 2)
    assert any("ran in this step" in line.plain and "runs next" in line.plain for line in drawing.lines)
    assert not any("ran in this step" in line.plain for line in render_text(spec_of(CALC)).lines)


def test_a_wide_layer_wraps_to_the_width() -> None:
    workers = [f"worker_{i}" for i in range(12)]
    spec = build([(START, "plan"), *(("plan", w) for w in workers), (workers, "merge"), ("merge", END)],
                 ["plan", *workers, "merge"])
    drawing = render_text(spec, width=60)
    rows = {drawing.boxes[w][0][0] for w in workers}
    assert len(rows) >= 3
    assert all(cell_len(drawing.lines[r].plain) <= 60 for r in rows)
    merge_row = drawing.boxes["merge"][0][0]
    assert merge_row > max(rows)


def test_names_from_user_code_are_shown_literally() -> None:
    spec = build([(START, HOSTILE), (HOSTILE, END)], [HOSTILE])
    drawing = render_text(spec, ran={HOSTILE})
    plain = "\n".join(line.plain for line in drawing.lines)
    assert "\x1b" not in plain
    line, start, end = drawing.boxes[HOSTILE][1]
    assert drawing.lines[line].plain[start:end] == "┃ \\x1b[2J[bold]x[/]\\nname ┃"


def test_cli_prints_the_drawing() -> None:
    result = CliRunner().invoke(main, ["graph", CALC])
    assert result.exit_code == 0, result.output
    assert "│ agent │" in result.output and "│ tools │" in result.output
    assert "  agent ┄┄▶ tools    (continue)" in result.output.splitlines()


def test_cli_prints_mermaid() -> None:
    result = CliRunner().invoke(main, ["graph", CALC, "--mermaid"])
    assert result.exit_code == 0, result.output
    assert result.output == to_mermaid(spec_of(CALC))
    assert "    agent -.->|continue| tools;" in result.output.splitlines()


@pytest.mark.parametrize("ref, says", [("nope", "is not module:attr"),
                                       ("no_such_module_xyz:graph", "no module named 'no_such_module_xyz'")])
def test_cli_refuses_a_bad_graph_in_one_line(ref: str, says: str) -> None:
    result = CliRunner().invoke(main, ["graph", ref])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert result.output.startswith("retrace: error:") and says in result.output


@pytest.fixture
def hostile_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    (tmp_path / "hostile_graph_mod.py").write_text(
        "from typing import TypedDict\nfrom engine.graph import END, START, StateGraph\n"
        "class S(TypedDict):\n    x: int\n"
        f"graph = StateGraph(S)\ngraph.add_node({HOSTILE!r}, lambda s: None)\n"
        f"graph.add_edge(START, {HOSTILE!r})\ngraph.add_edge({HOSTILE!r}, END)\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield "hostile_graph_mod:graph"
    sys.modules.pop("hostile_graph_mod", None)


@pytest.mark.parametrize("flags, shown", [([], "│ \\x1b[2J[bold]x[/]\\nname │"),
                                          (["--mermaid"], '("#27;#91;2J#91;bold#93;x#91;/#93;#10;name")')])
def test_cli_neutralises_node_names(hostile_module: str, flags: list[str], shown: str) -> None:
    result = CliRunner().invoke(main, ["graph", hostile_module, *flags])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert shown in result.output


def _goto_b(state: dict) -> Command[Literal["b", "c"]]:
    return Command(goto="b")


class _X(TypedDict, total=False):
    x: int


def test_a_node_annotated_to_return_command_draws_its_goto_edges() -> None:
    route = _goto_b
    builder = StateGraph(_X)
    builder.add_node("r", route).add_node("b", lambda s: {}).add_node("c", lambda s: {})
    spec = builder.add_edge(START, "r").compile().spec

    goto = [(e.source, e.target, e.kind, e.label) for e in graph_edges(spec) if e.label == "goto"]
    assert goto == [("r", "b", "conditional", "goto"), ("r", "c", "conditional", "goto")]
    assert "r ┄┄▶ b  (goto)" in [line.plain.strip() for line in render_text(spec).lines]
