"""A graph drawing (:mod:`engine.debug.graph_view`) as Rich text: its roles made styles."""

from __future__ import annotations

from rich.text import Text

from engine.debug.graph_view import GraphText

RAN_STYLE = "bold reverse"
"""Style of the box of a node that ran in the selected step."""
NEXT_STYLE = "bold underline"
"""Style of the name of a node that runs next."""
STYLES = {"ran": RAN_STYLE, "next-box": "bold", "next-name": NEXT_STYLE, "breakpoint": "bold red", "": ""}


def rich_lines(drawing: GraphText) -> list[Text]:
    """One ``Text`` per line of ``drawing`` (its text is already neutralised by the engine)."""
    out = []
    for line in drawing.lines:
        text = Text()
        for part, role in line.parts:
            text.append(part, STYLES.get(role, ""))
        out.append(text)
    return out
