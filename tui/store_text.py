"""How the memory store reads in the Store tab: a value as JSON, an item's heading, the viewer.

Store values are plain JSON (the reader decodes them with ``json.loads`` alone, so a
``{"__retrace__": ...}`` tag stays the dict it is), so they are shown as the JSON they are, not
in the checkpoint notation of the state pane. Strings from the database are made inert as the
JSON is written (:func:`json_text`); work on a value stops at what is shown.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from rich.text import Text

from engine.checkpoint.serde import Undecodable
from engine.debug.source import StoreNamespace, StoreRecord
from engine.debug.store import item_count
from tui.dialogs.value_viewer import ValueViewer
from tui.full_text import MAX_FULL_CHARS
from tui.safe_text import escape_control, literal
from tui.thread_status import describe_damage
from tui.value_format import unreadable_text

EMPTY = (
    "This database has no memory store: no store items are saved in it. A graph compiled with "
    "store=AsyncSqliteStore(...) on this file keeps them here; r reads the file again."
)

PANE_CHARS = 20_000
"""Characters of a value the Store tab shows under the items; enter shows more (the viewer's limit)."""


class _Full(Exception):
    """Raised once the text is longer than its limit."""


def json_text(value: Any, limit: int, *, indent: int | None = 2) -> tuple[str, bool]:
    """``value`` (JSON data) as JSON text of at most ``limit`` characters, and whether it was cut;
    on one line when ``indent`` is None.

    Every string (keys too) is written through :func:`~tui.safe_text.escape_control`, so it
    reads as JSON does (``\\n``, ``\\\\``, ``\\"``) with escape sequences shown (``\\x1b``): the
    text is inert as it is and goes into a ``Text`` without being escaped again. It is written
    piece by piece, a string only as far as the limit, so a huge value costs what is shown.
    """
    out: list[str] = []
    size = 0

    def put(piece: str) -> None:
        nonlocal size
        out.append(piece)
        size += len(piece)
        if size > limit:
            raise _Full

    def string(text: str) -> None:
        put('"' + escape_control(text, limit=limit - size + 1).replace('"', '\\"') + '"')

    def write(item: Any, depth: int) -> None:
        if isinstance(item, str):
            string(item)
        elif isinstance(item, (dict, list)) and item:
            opening, closing = "{}" if isinstance(item, dict) else "[]"
            inner = "" if indent is None else "\n" + " " * (indent * (depth + 1))
            put(opening)
            pairs = item.items() if isinstance(item, dict) else ((None, v) for v in item)
            for i, (key, child) in enumerate(pairs):
                put(("," if i else "") + (inner or (" " if i else "")))
                if key is not None:
                    string(key)
                    put(": ")
                write(child, depth + 1)
            put(inner[: len(inner) - (indent or 0)] + closing)
        else:
            put(json.dumps(item))  # {}, [], a number, true, false, null

    try:
        write(value, 0)
    except _Full:
        return "".join(out)[:limit], True
    return "".join(out), False


def namespace_text(namespace: tuple[str, ...]) -> str:
    """``alice › preferences`` (an empty label as ``""``); not yet made literal."""
    return " › ".join(label or '""' for label in namespace)


def item_path(item: StoreRecord) -> str:
    """``alice › preferences › settings``: where the item is, for headings."""
    return namespace_text((*item.namespace, item.key))


def moment(iso: str) -> str:
    """``2026-12-04 21:15:38.052 UTC`` from the stored ISO 8601 text (other text as it is)."""
    try:
        when = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    offset = when.utcoffset()
    zone = "" if offset is None else " UTC" if not offset else when.strftime(" %z")
    return when.strftime("%Y-%m-%d %H:%M:%S.") + f"{when.microsecond // 1000:03d}{zone}"


def preview(item: StoreRecord, limit: int) -> str:
    """The value on one line, at most ``limit`` characters; inert (see :func:`json_text`)."""
    if isinstance(item.value, Undecodable):
        return escape_control(unreadable_text(item.value), limit=limit)
    text, cut = json_text(item.value, limit - 1, indent=None)
    return text + "…" if cut else text


def item_heading(item: StoreRecord, styles: dict[str, str]) -> Text:
    """Where the item is and its version, when it was made and last written and, for a row the
    reader could not fully read, what was wrong."""
    heading = literal(item_path(item), style=styles.get("key", ""), limit=300)
    heading.append(f"  (version {item.version:,})")
    for label, iso in (("created", item.created_at), ("updated", item.updated_at)):
        heading.append(f"\n{label} ", style=styles.get("muted", ""))
        heading.append_text(literal(moment(iso), limit=100))
    if item.damage:
        heading.append("\n")
        heading.append_text(literal(describe_damage(item.damage, what="item"), style=styles.get("error", ""), limit=600))
    return heading


def value_body(value: Any, limit: int, styles: dict[str, str], *, more: str = "") -> Text:
    """A value as the pane or viewer shows it: indented JSON, cut at ``limit`` characters (said
    so, and ``more`` after that), or why it could not be read."""
    if isinstance(value, Undecodable):
        return literal(unreadable_text(value), style=styles.get("error", ""), keep_newlines=True, limit=limit)
    text, cut = json_text(value, limit)
    body = Text(text, end="")
    if cut:
        body.append(f"\n… cut at {limit:,} characters" + (f": {more}" if more else ""), style=styles.get("muted", ""))
    return body


def store_caption(namespaces: Sequence[StoreNamespace], *, complete: bool) -> str:
    """What the tab says over the tree: the store is the file's as it is now (not the selected
    checkpoint's), and how much is in it; :data:`EMPTY` when nothing is."""
    if not namespaces:
        return EMPTY
    more = "" if complete else "+"
    items, spaces = item_count(namespaces), len(namespaces)
    return (
        f"As it is now, not at this checkpoint · {items:,}{more} item{'s' * (items != 1)} "
        f"in {spaces:,}{more} namespace{'s' * (spaces != 1)}"
    )


def namespace_note(path: tuple[str, ...], namespace: StoreNamespace | None) -> str | None:
    """What the items pane says above the items of ``path`` (None: nothing to say)."""
    if namespace is None:
        return f"No items in {namespace_text(path)} itself: they are in the namespaces under it."
    if namespace.damage:
        return describe_damage(namespace.damage, what="namespace")
    return None


class StoreValueViewer(ValueViewer):
    """The value viewer for a store item: its JSON (``t``: the indented text notation); ``c``
    copies the JSON as stored."""

    def shown(self) -> Text:
        if self.as_json:
            return value_body(self.value, MAX_FULL_CHARS, {"muted": "dim", "error": "bold"})
        return super().shown()

    def shown_text(self) -> str:
        if self.as_json and not isinstance(self.value, Undecodable):
            return json.dumps(self.value, indent=2, ensure_ascii=False)[:MAX_FULL_CHARS]
        return super().shown_text()
