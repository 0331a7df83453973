"""The Store tab, driven by Pilot: the memory store's namespaces as a tree, an item's value,
version and times; hostile strings inert; a file without a store; huge values cut; a reload that
keeps the selection. Then the pure parts: the JSON text and the tree's nodes.

Every test waits for the app's workers and messages to finish (``settle``), never for time.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from textual.widgets import Static, TabbedContent
from tui_helpers import (
    HOSTILE,
    HOSTILE_SHOWN,
    SIZE,
    column,
    press,
    screen_text,
    settle,
    shout_graph,
    static_text,
    tree_labels,
)

from engine.checkpoint.sqlite import AsyncSqliteSaver, schema
from engine.debug.source import StoreNamespace
from engine.debug.store import namespace_nodes
from engine.store.sqlite import AsyncSqliteStore
from tui.app import RetraceApp
from tui.full_text import MAX_FULL_CHARS
from tui.store_text import EMPTY, PANE_CHARS, StoreValueViewer, json_text
from tui.widgets.store_view import PREVIEW_CHARS, NamespaceTree, StoreItemsTable
from tui.widgets.text_tab import TextTab


def store_rows(path: Path) -> list[tuple]:
    """(namespace, key, version, created_at, updated_at) of every item, read-only."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute(
            "SELECT namespace, key, version, created_at, updated_at FROM store_items ORDER BY write_order DESC"
        ).fetchall()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def write_store(path: Path, *items: tuple[tuple[str, ...], str, dict]) -> None:
    async with AsyncSqliteStore.from_conn_string(path) as store:
        for namespace, key, value in items:
            await store.aput(namespace, key, value)


def tree(app: RetraceApp) -> NamespaceTree:
    return app.screen.query_one(NamespaceTree)


def items(app: RetraceApp) -> StoreItemsTable:
    return app.screen.query_one(StoreItemsTable)


def value_shown(app: RetraceApp) -> str:
    return app.screen.query_one("#store-value", TextTab).shown


def heading(app: RetraceApp) -> str:
    return static_text(app.screen.query_one("#store-item-head", Static))


def store_notice(app: RetraceApp) -> str:
    return static_text(app.screen.query_one("#store-notice", Static))


# The demo's store ---------------------------------------------------------------------------


async def test_S_shows_the_demos_namespaces_and_an_items_value_version_and_times(demo_db: Path) -> None:
    rows = store_rows(demo_db)
    assert rows, "the demo writes store items (sample_graphs/preferences.py)"
    before = digest(demo_db)
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "S")
        assert app.screen.query_one("#detail", TabbedContent).active == "store"
        assert isinstance(app.focused, NamespaceTree)
        # Every label of every namespace is a node; namespaces show their item counts.
        labels = tree_labels(tree(app))
        for namespace in {row[0] for row in rows}:
            count = sum(1 for row in rows if row[0] == namespace)
            *over, last = namespace.split(".")
            assert f"{last} ({count})" in labels
            assert set(over) <= set(labels)
        assert f"{len(rows)} item" in store_notice(app) and "not at this checkpoint" in store_notice(app)
        # The cursor starts on the first namespace that holds items: its items are listed, the
        # most recently written first.
        first = min(row[0] for row in rows)
        namespace, key, version, created, updated = next(row for row in rows if row[0] == first)
        assert items(app).namespace == tuple(namespace.split("."))
        assert key in column(items(app), 0)
        # The item under the cursor: where it is, its version, both times, and its value as JSON.
        shown = heading(app)
        assert shown.startswith(" › ".join([*namespace.split("."), key])) and f"(version {version})" in shown
        assert f"created {created[:10]} {created[11:23]}" in shown
        assert f"updated {updated[:10]} {updated[11:23]}" in shown
        with sqlite3.connect(f"file:{demo_db}?mode=ro", uri=True) as conn:
            stored = conn.execute("SELECT value FROM store_items WHERE namespace = ? AND key = ?", (namespace, key)).fetchone()[0]
        assert value_shown(app) == json.dumps(json.loads(stored), indent=2, ensure_ascii=False)
        # enter goes to the items; enter there shows the whole value; escape comes back.
        await press(pilot, "enter")
        assert isinstance(app.focused, StoreItemsTable)
        assert column(items(app), 1)[items(app).cursor_row] == str(version)
        await press(pilot, "enter")
        assert isinstance(app.screen, StoreValueViewer)
        assert json.loads(app.screen.shown().plain) == json.loads(stored)
        await press(pilot, "escape", "escape")
        assert isinstance(app.focused, NamespaceTree)
        # 3 comes back to the tab's tree; s leaves the tab and the checkpoint's header returns.
        await press(pilot, "1", "3")
        assert isinstance(app.focused, NamespaceTree)
        await press(pilot, "s")
        assert not app.screen.query_one("#state-pane").has_class("-store")
    assert digest(demo_db) == before  # reading the store never wrote to the file


# Hostile strings ----------------------------------------------------------------------------


async def test_hostile_namespaces_keys_and_values_are_shown_inert(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    tag = {"__retrace__": "pickle", "data": "gASVAAAA"}  # plain JSON to the store: never decoded
    await write_store(path, ((HOSTILE, "[b]evil[/b]"), HOSTILE, {HOSTILE: HOSTILE, "tag": tag}))
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "S")
        assert tree_labels(tree(app)) == [HOSTILE_SHOWN, "[b]evil[/b] (1)"]
        assert column(items(app), 0) == [HOSTILE_SHOWN]
        assert heading(app).startswith(f"{HOSTILE_SHOWN} › [b]evil[/b] › {HOSTILE_SHOWN}")
        shown = value_shown(app)
        assert f'"{HOSTILE_SHOWN}": "{HOSTILE_SHOWN}"' in shown
        assert '"__retrace__": "pickle"' in shown
        assert "\x1b" not in shown + heading(app) + "".join(tree_labels(tree(app)))
        on_screen = screen_text(app)
        assert "\x1b" not in on_screen and "[bold red]x[/]" in on_screen and "[b]evil[/b]" in on_screen
        await press(pilot, "enter", "enter")
        assert isinstance(app.screen, StoreValueViewer)
        assert f'"{HOSTILE_SHOWN}": "{HOSTILE_SHOWN}"' in app.screen.shown().plain
        assert app.screen.shown().spans == []  # the value's text has no style of its own: no markup ran


# No store -----------------------------------------------------------------------------------


async def make_version_1_database(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database as retrace made it before the store: migration 1 only, no store table."""
    with monkeypatch.context() as patch:
        patch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
        patch.setattr(schema, "SCHEMA_VERSION", 1)
        async with AsyncSqliteSaver.from_conn_string(path) as saver:
            await shout_graph().compile(checkpointer=saver).ainvoke({"note": "hi"}, {"configurable": {"thread_id": "t"}})


@pytest.mark.parametrize("kind", ["no store table", "an empty store"])
async def test_a_database_without_store_items_says_so(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "runs.db"
    if kind == "no store table":
        await make_version_1_database(path, monkeypatch)
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            assert not conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'store_items'").fetchall()
    else:
        async with AsyncSqliteSaver.from_conn_string(path) as saver:
            await shout_graph().compile(checkpointer=saver).ainvoke({"note": "hi"}, {"configurable": {"thread_id": "t"}})
    before = digest(path)
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "S")
        assert store_notice(app) == EMPTY
        assert "This database has no memory store" in screen_text(app)
        assert not app.screen.query_one("#store-top").display
        assert not app.screen.query_one("#store-value-pane").display
        assert app.focused is None or not isinstance(app.focused, (NamespaceTree, StoreItemsTable))
        await press(pilot, "r")  # read again: still nothing, still said
        assert store_notice(app) == EMPTY
    assert digest(path) == before


# Huge values --------------------------------------------------------------------------------


async def test_a_huge_value_is_cut_to_what_is_shown(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    big = {"text": "x" * 3_000_000, "after": 1}
    too_big = {"text": "y" * 9_000_000}  # over the reader's 8 MiB: never read at all
    await write_store(path, (("big",), "big", big), (("big",), "too-big", too_big))
    app = RetraceApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "S", "enter")
        keys = column(items(app), 0)
        assert set(keys) == {"big", "⚠ too-big"}
        previews = column(items(app), len(items(app).columns) - 1)
        assert all(len(cell) <= PREVIEW_CHARS for cell in previews)
        table = items(app)
        table.move_cursor(row=keys.index("big"))
        await settle(pilot)
        shown = value_shown(app)
        assert shown.startswith('{\n  "text": "xxx')
        assert f"… cut at {PANE_CHARS:,} characters" in shown and len(shown) < PANE_CHARS + 200
        assert '"after"' not in shown
        await press(pilot, "enter")
        viewer = app.screen.shown().plain
        assert isinstance(app.screen, StoreValueViewer) and MAX_FULL_CHARS <= len(viewer) < MAX_FULL_CHARS + 200
        await press(pilot, "escape")
        table.move_cursor(row=keys.index("⚠ too-big"))
        await settle(pilot)
        assert "too large to read" in value_shown(app) and "yyy" in value_shown(app)
        assert len(value_shown(app)) < 1000


# Reading again ------------------------------------------------------------------------------


async def test_r_reads_the_store_again_and_keeps_the_chosen_namespace_and_item(demo: Path) -> None:
    await write_store(demo, (("zeta",), "first", {"n": 1}), (("zeta",), "second", {"n": 2}))
    app = RetraceApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "S", "G")
        assert tree(app).cursor_path == ("zeta",)
        await press(pilot, "enter", "j")  # the most recently written first: second, then first
        assert items(app).current.key == "first"
        # Another process: a namespace that sorts first (every line below moves), a new item, and
        # the chosen item written again.
        await write_store(demo, (("a-new", "space"), "note", {"n": 1}), (("zeta",), "first", {"changed": True}),
                          (("zeta",), "third", {"n": 3}))
        await press(pilot, "r")
        assert "space (1)" in tree_labels(tree(app)) and "zeta (3)" in tree_labels(tree(app))
        assert tree(app).cursor_path == ("zeta",) and items(app).namespace == ("zeta",)
        assert column(items(app), 0) == ["third", "first", "second"]
        assert items(app).current.key == "first" and isinstance(app.focused, StoreItemsTable)
        assert "(version 2)" in heading(app)
        assert json.loads(value_shown(app)) == {"changed": True}


# The pure parts -----------------------------------------------------------------------------


SAMPLE = {"a": [1, 2.5, None, True, False, "é"], "b": {}, "c": [], "d": {"e": {"f": "g"}}, "h": -3}


def test_json_text_reads_as_json_within_its_limit() -> None:
    assert json_text(SAMPLE, 10_000) == (json.dumps(SAMPLE, indent=2, ensure_ascii=False), False)
    assert json_text(SAMPLE, 10_000, indent=None) == (json.dumps(SAMPLE, ensure_ascii=False), False)
    assert json_text('a"b\\c\n', 100) == ('"a\\"b\\\\c\\n"', False)
    assert json_text(HOSTILE, 100) == (f'"{HOSTILE_SHOWN}"', False)
    assert json_text({"\u202ekey": 1}, 100) == ('{\n  "\\u202ekey": 1\n}', False)
    text, cut = json_text({"k": "z" * 50_000_000}, 40)
    assert cut and len(text) == 40 and text.startswith('{\n  "k": "zzz')
    assert json_text([1, 2, 3], 5, indent=None) == ("[1, 2", True)


def test_namespace_nodes_are_labels_then_namespaces_parents_first() -> None:
    def space(*labels: str) -> StoreNamespace:
        return StoreNamespace(labels, 1, "")

    page = [space("a"), space("a", "b", "c"), space("d", "e")]
    nodes = namespace_nodes(page)
    assert [(n.path, n.namespace is not None) for n in nodes] == [
        (("a",), True), (("a", "b"), False), (("a", "b", "c"), True), (("d",), False), (("d", "e"), True),
    ]
    later = namespace_nodes([space("a", "b", "d"), space("d", "e", "f")], shown={n.path for n in nodes})
    assert [n.path for n in later] == [("a", "b", "d"), ("d", "e", "f")]
