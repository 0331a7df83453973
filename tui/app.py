"""``RetraceApp``: the debugger on one checkpoint database."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Static

from engine.debug.session import DebugSession
from engine.debug.source import CheckpointSource, open_source
from engine.errors import CheckpointStoreError
from engine.graph.compiled import CompiledStateGraph
from tui.commands import RetraceCommands
from tui.dialogs.help import HelpDialog
from tui.guard import Guarded
from tui.keys import bindings_of
from tui.messages import DatabaseFailed, DatabaseOpened, ReaderReopened
from tui.safe_text import escape_control
from tui.screens.debugger import DebuggerScreen
from tui.screens.debugger_text import OPENED_AS, READ_ONLY_REASONS
from tui.screens.open_error import OpenErrorScreen


class RetraceApp(Guarded, App[None]):
    """Opens ``db_path`` in a worker (never creating it), then shows the debugger or why it could not."""

    CSS_PATH = "retrace.tcss"
    TITLE = "retrace · ? for keys"
    """The footer cuts keys off in a narrow terminal: the header always says where help is."""
    COMMANDS = App.COMMANDS | {RetraceCommands}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", tooltip="Quit retrace", id="app.quit"),
        Binding("question_mark", "help", "Help", tooltip="Show every key binding", id="app.help"),
        Binding(
            "ctrl+p", "command_palette", "Palette", tooltip="Open the command palette", show=False, id="app.palette"
        ),
    ]

    def __init__(self, db_path: str | Path, graphs: Sequence[CompiledStateGraph] = ()) -> None:
        super().__init__()
        self.db_path = Path(db_path)
        self.graphs = list(graphs)
        """Attached graphs (``--graph``): write actions run them on this database."""
        self.session: DebugSession | None = None
        self.reader: CheckpointSource | None = None
        """The reader the screens use, closed on exit."""
        self.sub_title = escape_control(str(db_path))
        self.failures: list[BaseException] = []
        """Errors of handlers and reads that were shown to the user instead of ending the app."""

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Opening {escape_control(str(self.db_path))}…"), id="opening")

    def on_mount(self) -> None:
        self.open_database()

    @work(group="open", exclusive=True, exit_on_error=False)
    async def open_database(self) -> None:
        try:
            reader = await open_source(self.db_path)
        except CheckpointStoreError as exc:
            self.post_message(DatabaseFailed(str(exc)))
        except Exception as exc:  # anything else is still the user's file, not our traceback
            self.post_message(DatabaseFailed(f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(DatabaseOpened(reader))

    def on_database_opened(self, message: DatabaseOpened) -> None:
        self.reader = message.reader
        read_only = READ_ONLY_REASONS.get(message.reader.how)
        self.session = DebugSession(self.db_path, self.graphs, read_only=read_only)
        self.push_screen(DebuggerScreen(message.reader, self.session))
        if message.reader.how in OPENED_AS:
            self.notify(OPENED_AS[message.reader.how], title="Read-only directory", timeout=10)

    def on_reader_reopened(self, message: ReaderReopened) -> None:
        self.reader = message.reader

    def on_database_failed(self, message: DatabaseFailed) -> None:
        self.push_screen(OpenErrorScreen(self.db_path, message.reason))

    async def on_unmount(self) -> None:
        # Awaited in a handler only here: the app is closing and nothing on screen waits on it.
        readers = {id(r): r for r in [self.reader, *(getattr(s, "reader", None) for s in self.screen_stack)] if r}
        try:
            for reader in readers.values():  # the screens' own (a reload may have replaced it)
                await reader.close()
        finally:
            self.reader = None
            if self.session is not None:
                await self.session.close()

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Save an SVG of the screen into ``path``, else the Downloads folder if there is one,
        else the current directory (Textual's own fails when ~/Downloads does not exist)."""
        if path is None:
            downloads = Path.home() / "Downloads"
            path = str(downloads if downloads.is_dir() else Path.cwd())
        super().action_screenshot(filename, path)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpDialog):
            return
        # Each screen lists the bindings of what can be open on it (none on the open-error screen).
        screen_sections = getattr(self.screen, "help_sections", list)
        self.push_screen(HelpDialog([("everywhere", bindings_of(type(self))), *screen_sections()]))

    def get_system_commands(self, screen: Screen) -> list[SystemCommand]:
        # RetraceCommands offers Quit (as a binding), and `?` lists the keys (Textual's key panel
        # squeezes the panes and escape does not close it); keep the others (theme, ...).
        replaced = {self.action_quit, self.action_show_help_panel, self.action_hide_help_panel}
        return [command for command in super().get_system_commands(screen) if command.callback not in replaced]
