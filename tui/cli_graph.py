"""``retrace graph module:attr``: print a graph's shape, as a layered text drawing or as Mermaid."""

from __future__ import annotations

import click

from engine.debug.attach import GraphLoadError, load_graph
from engine.debug.graph_view import render_text, to_mermaid
from tui.cli_errors import fail
from tui.safe_text import escape_control


@click.command(name="graph")
@click.argument("ref", metavar="GRAPH")
@click.option("--mermaid", is_flag=True, help="Print a Mermaid flowchart instead (plain text, to pipe or paste).")
def graph_command(ref: str, mermaid: bool) -> None:
    """Draw GRAPH (module:attr, a StateGraph or a compiled one): its nodes in layers, each
    followed by its edges. The module is imported, so its top-level code runs."""
    try:
        spec = load_graph(ref).spec
    except GraphLoadError as exc:
        fail(str(exc))
    if mermaid:
        # Names are already written as Mermaid character codes; escaping again is for the terminal.
        for line in to_mermaid(spec).splitlines():
            click.echo(escape_control(line))
        return
    # render_text shows names neutralised as escape_control does (it cannot import tui), so its
    # lines are printed as they are: escaping them again would double their backslashes.
    for line in render_text(spec).lines:
        click.echo(line.plain)
