"""``?`` help as a user meets it: sections headed, the focused pane's first, Textual's noise left
out, a filter; and the colours of dimmed text on a light theme.

Every test waits for the app's workers and messages to finish (``settle``), never for time.
"""

from __future__ import annotations

from pathlib import Path

from rich.style import Style
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.color import Color
from textual.widgets import Input, Static
from tui_helpers import SIZE, column, open_thread, press, screen_text, settle

from tui.app import RetraceApp
from tui.dialogs.help import BindingsTable, HelpDialog
from tui.dialogs.value_viewer import ValueViewer
from tui.keys import bindings_of
from tui.screens.debugger import DebuggerScreen
from tui.widgets.checkpoint_header import CheckpointHeader
from tui.widgets.history_table import HistoryTable
from tui.widgets.state_tree import StateTree
from tui.widgets.threads_table import ThreadsTable

# The sections this file knows; other parts of the debugger may add more.
SECTIONS = ["Everywhere", "Debugger", "Threads pane", "History pane", "State pane", "Value viewer"]

# Textual's inherited bindings that do nothing in retrace's panes (the examples).
NOISE = {
    "Cursor right",
    "Cursor left",
    "Page Left",
    "Page Right",
    "Scroll Left",
    "Scroll Right",
    "Cursor to next ancestor",
    "Expand or collapse all",
    "Focus Next",
    "Focus Previous",
}


def help_table(app: App) -> BindingsTable:
    assert isinstance(app.screen, HelpDialog)
    return app.screen.query_one(BindingsTable)


def headings(app: App) -> list[str]:
    """The section headings the help table shows, top to bottom."""
    assert isinstance(app.screen, HelpDialog)
    names = {where[:1].upper() + where[1:] for where, _ in app.screen.sections}
    return [key for key in column(help_table(app), 0) if key in names]


def sections(app: App) -> dict[str, list[tuple[str, str]]]:
    """The help table read back: heading -> its (keys, action) rows."""
    table = help_table(app)
    names = set(headings(app))
    out: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for key, text in zip(column(table, 0), column(table, 1), strict=True):
        if key in names:
            current = out.setdefault(key, [])
        else:
            assert current is not None, f"a row before any heading: {key!r} {text!r}"
            current.append((key, text))
    return out


def rows_of(app: App) -> list[tuple[str, str]]:
    return [row for rows in sections(app).values() for row in rows]


def text_of(cls: type, key: str) -> str:
    """What the help says ``key`` does, from ``cls``'s binding for it."""
    binding = next(b for b in bindings_of(cls) if b.key == key)
    return binding.tooltip or binding.description


async def type_text(pilot, text: str) -> None:
    await press(pilot, *[{" ": "space", "?": "question_mark"}.get(ch, ch) for ch in text])


def old_row_count() -> int:
    """How many rows the help had before: one per described binding, inherited ones included."""
    count = 0
    for cls in (RetraceApp, DebuggerScreen, ThreadsTable, HistoryTable, StateTree, ValueViewer):
        by_key = {}
        for klass in reversed(cls.__mro__):
            for binding in Binding.make_bindings(klass.__dict__.get("BINDINGS", [])):
                by_key[binding.key] = binding
        count += sum(1 for b in by_key.values() if b.description and not b.system)
    return count


# Rows: fewer, grouped, no noise -------------------------------------------------------------


async def test_help_groups_rows_under_a_heading_per_section_without_noise(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        shown = sections(app)
        assert set(SECTIONS) <= set(shown)
        assert sum(1 + len(rows) for rows in shown.values()) == help_table(app).row_count
        # Far fewer rows than one per binding: Textual's noise is gone, one row per action.
        known = [row for where in SECTIONS for row in shown[where]]
        assert old_row_count() - len(known) >= 30  # 79 rows before, 40 now
        rows = rows_of(app)
        keys = [key for key, _ in rows]
        assert not [key for key in keys if "super" in key]
        assert not NOISE & {text for _, text in rows}
        assert not [key for key in keys if key in {"←", "→", "^pgup", "^pgdn", "shift+→", "shift+space"}]
        # One row per action: j and down together, and each key listed once in its section.
        assert ("j, ↓", "Down") in shown["Threads pane"]
        assert ("q, ^q", "Quit retrace") in shown["Everywhere"]
        for section_rows in shown.values():
            section_keys = [k for key, _ in section_rows for k in key.split(", ")]
            assert len(section_keys) == len(set(section_keys))
        # The useful inherited keys stay: page up/down, home/end with ctrl, enter, space.
        threads = dict(shown["Threads pane"])
        assert threads["pgup"] == "Page up" and threads["pgdn"] == "Page down"
        assert threads["home, g, ^home"] == "First row" and threads["end, G, ^end"] == "Last loaded row"
        assert threads["⏎"] == text_of(ThreadsTable, "enter")
        state = dict(shown["State pane"])
        assert state["space"] == text_of(StateTree, "space")
        assert state["⏎, v"] == text_of(StateTree, "enter")
        assert state["shift+←"] == "Cursor to parent"
        # Keys by their readable names, not Textual's.
        debugger = dict(shown["Debugger"])
        assert debugger["["] == text_of(DebuggerScreen, "left_square_bracket")
        assert debugger["]"] == text_of(DebuggerScreen, "right_square_bracket")
        assert not [key for key in keys if "_" in key]


def test_bindings_of_keeps_every_binding_retrace_declares() -> None:
    """Only Textual's bindings are ever left out, never ours (even with the same action)."""
    for cls in (RetraceApp, DebuggerScreen, ThreadsTable, HistoryTable, StateTree, ValueViewer):
        ours = bindings_of(cls, ours_only=True)
        assert ours == bindings_of(cls)[: len(ours)]
    assert "app.focus_next" in {b.action for b in bindings_of(DebuggerScreen)}  # ours, "Next pane"
    assert "app.focus_next" not in {b.action for b in bindings_of(ValueViewer)}  # Textual's
    assert "super+c" not in {b.key for b in bindings_of(DebuggerScreen)}
    assert "ctrl+c" in {b.key for b in bindings_of(DebuggerScreen)}  # copies text selected with the mouse


# The focused pane first ---------------------------------------------------------------------


async def test_the_focused_panes_section_comes_first(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "2", "question_mark")
        # The history pane's keys, then those that work there too: the app's few, the screen's.
        assert headings(app)[:3] == ["History pane", "Everywhere", "Debugger"]
        assert {"Threads pane", "State pane", "Value viewer"} <= set(headings(app)[3:])
        table = help_table(app)
        assert column(table, 0)[0] == "History pane" and column(table, 1)[0] == "focused"
        assert column(table, 1)[1:].count("focused") == 0
        assert ("⏎", text_of(HistoryTable, "enter")) in sections(app)["History pane"]
        await press(pilot, "escape", "3", "question_mark")
        assert headings(app)[:3] == ["State pane", "Everywhere", "Debugger"]
        await press(pilot, "escape", "1", "question_mark")
        assert headings(app)[:3] == ["Threads pane", "Everywhere", "Debugger"]
        assert "Open the command palette" in screen_text(app)  # on screen without scrolling


async def test_over_the_value_viewer_its_keys_come_first(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "search-buggy")
        await press(pilot, "3", "j", "enter")
        assert isinstance(app.screen, ValueViewer)
        # What ? runs (the viewer is modal, so the app's ? does not reach it yet).
        app.action_help()
        await settle(pilot)
        assert headings(app) == ["Value viewer", "Everywhere"]
        await press(pilot, "escape")
        assert isinstance(app.screen, ValueViewer)


class _Pane(Static, can_focus=True):
    HELP_SECTION = "second"


class _HelpApp(App[None]):
    """The smallest app with help: two named sections and a pane that names its own."""

    def compose(self) -> ComposeResult:
        yield _Pane("pane")

    def show_help(self, focused_section: str | None = None) -> None:
        first = [Binding("a", "bell", "Ring")]
        second = [Binding("b", "bell", "Ring again")]
        self.push_screen(HelpDialog([("first", first), ("second", second)], focused_section))


async def test_a_pane_may_name_its_section_and_a_caller_may_choose_the_first() -> None:
    app = _HelpApp()
    async with app.run_test() as pilot:
        app.query_one(_Pane).focus()
        app.show_help()
        await pilot.pause()
        assert app.screen.focused_section == "second"
        assert column(help_table(app), 0) == ["Second", "b", "First", "a"]
        app.pop_screen()
        app.show_help("first")
        await pilot.pause()
        assert column(help_table(app), 0) == ["First", "a", "Second", "b"]


# The filter ---------------------------------------------------------------------------------


async def test_typing_in_the_filter_narrows_the_rows(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert isinstance(app.focused, Input)  # ready to type
        before = help_table(app).row_count
        everything = rows_of(app)
        await type_text(pilot, "reload")
        assert sections(app) == {"Debugger": [("r", text_of(DebuggerScreen, "r"))]}
        await press(pilot, *["backspace"] * 6)
        assert help_table(app).row_count == before
        # Any case; every word must match; a word may be part of a description or a key name.
        await type_text(pilot, "FOCUS history")
        assert ("2", "Focus the history pane") in sections(app)["Debugger"]
        assert len(rows_of(app)) < 3
        await press(pilot, *["backspace"] * 13)
        await type_text(pilot, "page")
        found = rows_of(app)
        assert ("pgup", "Page up") in sections(app)["Threads pane"]
        assert ("pgdn", "Page Down") in sections(app)["State pane"]
        assert {text.split()[0] for _, text in found} == {"Page"} and len(found) < len(everything) / 3
        # One character names a key: "?" is typed into the filter (the dialog stays open) and
        # finds the help key, not every description with a question mark.
        await press(pilot, *["backspace"] * 4)
        await type_text(pilot, "?")
        assert isinstance(app.screen, HelpDialog)
        assert ("?", text_of(RetraceApp, "question_mark")) in rows_of(app)
        assert {key for key, _ in rows_of(app)} == {"?"}  # the app's, and the viewer's own
        await type_text(pilot, " nothing-like-this")
        assert help_table(app).row_count == 1
        assert "No key or action matches" in column(help_table(app), 1)[0]


async def test_escape_clears_the_filter_then_closes(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        before = help_table(app).row_count
        await type_text(pilot, "reload")
        await press(pilot, "escape")
        assert isinstance(app.screen, HelpDialog)
        assert app.screen.query_one(Input).value == ""
        assert help_table(app).row_count == before
        await press(pilot, "escape")
        assert isinstance(app.screen, DebuggerScreen)
        # From the list (enter leaves the filter), q and ? close as they did; / filters again.
        await press(pilot, "question_mark", "enter")
        assert isinstance(app.focused, BindingsTable)
        await press(pilot, "slash")
        assert isinstance(app.focused, Input)
        await press(pilot, "tab", "q")
        assert isinstance(app.screen, DebuggerScreen)
        await press(pilot, "question_mark", "enter", "question_mark")
        assert isinstance(app.screen, DebuggerScreen)


async def test_the_list_scrolls_while_the_filter_has_focus(demo_db: Path) -> None:
    app = RetraceApp(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        table = help_table(app)

        async def scroll_after(key: str) -> float:
            await press(pilot, key)
            await pilot.wait_for_scheduled_animations()
            return table.scroll_y

        assert isinstance(app.focused, Input)
        assert [await scroll_after(key) for key in ("down", "down", "up")] == [1, 2, 1]
        assert await scroll_after("pagedown") > 3
        assert await scroll_after("pageup") == 1
        assert app.screen.query_one(Input).value == ""


# Dimmed text on a light theme ---------------------------------------------------------------


def _luminance(color: Color) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)


def _contrast(style: Style, background: Color) -> float:
    assert style.color is not None, "a dimmed part without a colour of its own"
    fg = _luminance(Color.from_rich_color(style.color))
    bg = _luminance(background)
    return (max(fg, bg) + 0.05) / (min(fg, bg) + 0.05)


async def test_dimmed_text_is_readable_and_dimmed_on_light_and_dark_themes(demo_db: Path) -> None:
    """Header labels, tree notes, pending threads and the input checkpoint are coloured from the
    theme: not white on a light theme (``$text-muted`` is ``auto 60%``, which a component style
    cannot resolve), and dimmer than the text around them on both."""
    app = RetraceApp(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_thread(pilot, "search-buggy")
        for theme in ("textual-light", "textual-dark"):
            app.theme = theme
            await settle(pilot)
            screen = app.screen
            variables = app.get_css_variables()
            surface = Color.parse(variables["surface"])
            foreground = Style(color=Color.parse(variables["foreground"]).rich_color)
            header = screen.query_one(CheckpointHeader)
            tree = screen.query_one(StateTree)
            dimmed = {
                "header label": header.get_component_rich_style("checkpoint-header--label", partial=True),
                "tree note": tree.get_component_rich_style("state-tree--muted", partial=True),
                "pending thread": screen.query_one(ThreadsTable).get_component_rich_style(
                    "threads-table--pending", partial=True
                ),
                "input checkpoint": screen.query_one(HistoryTable).get_component_rich_style(
                    "history-table--input", partial=True
                ),
            }
            for what, style in dimmed.items():
                assert 3 < _contrast(style, surface) < _contrast(foreground, surface), (theme, what, style)
            # What is on screen was made again in the new theme's colours.
            label = next(span.style for span in header.content.spans if "bold" not in str(span.style))
            assert label == dimmed["header label"]
