"""The command palette's retrace commands: every described binding of the screen and the app,
and on the debugger, ``Go to thread <id>`` for each loaded thread.

The palette and the ``?`` help read the same binding data, so a new binding shows up in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from rich.text import Text
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode
from textual.markup import escape as escape_markup

from tui.keys import bindings_of
from tui.messages import GoToThreadRequested
from tui.safe_text import escape_control, literal
from tui.thread_status import status_label
from tui.widgets.threads_table import ThreadsTable

# Bindings that only make sense as keys (moving in a list, closing a dialog).
_KEY_ONLY = {
    "cursor_down",
    "cursor_up",
    "scroll_top",
    "scroll_bottom",
    "dismiss",
    "command_palette",
    "screen.copy_text",
}


@dataclass(frozen=True)
class _Command:
    name: str
    """The binding's tooltip (a sentence), or its description."""
    short: str
    """The binding's description, as the footer shows it; matched too."""
    node: DOMNode
    binding: Binding


class RetraceCommands(Provider):
    """Commands of the focused pane (retrace's own), the screen the palette was opened from,
    and the app; one per action."""

    def _commands(self) -> list[_Command]:
        focused = self.screen.focused
        panes = [] if focused is None else [n for n in focused.ancestors_with_self if n is not self.screen]
        sources = [(n, bindings_of(type(n), ours_only=True)) for n in panes if not isinstance(n, type(self.app))]
        sources += [(self.screen, bindings_of(type(self.screen))), (self.app, bindings_of(type(self.app)))]
        commands: dict[str, _Command] = {}
        for node, bindings in sources:
            for binding in bindings:
                if binding.action not in _KEY_ONLY and binding.action not in commands:
                    name = binding.tooltip or binding.description
                    commands[binding.action] = _Command(name, binding.description, node, binding)
        return list(commands.values())

    def _run(self, command: _Command) -> partial:
        return partial(command.node.run_action, command.binding.action)

    def _key(self, command: _Command) -> str:
        return f"key: {self.app.get_key_display(command.binding)}"

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.name, self._run(command), help=self._key(command))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = max(matcher.match(command.name), matcher.match(command.short) * 0.8)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.name),
                    self._run(command),
                    text=command.name,
                    help=self._key(command),
                )


class ThreadCommands(Provider):
    """``Go to thread <id>`` for the threads the threads pane has loaded (it reads no database)."""

    async def search(self, query: str) -> Hits:
        screen = self.screen
        matcher = self.matcher(query)
        for thread in screen.query_one(ThreadsTable).items:
            name = f"Go to thread {escape_control(thread.thread_id)}"
            score = matcher.match(name)
            if score > 0:
                # Not matcher.highlight: it parses markup, and the id comes from the database.
                display = Text("Go to thread ").append_text(literal(thread.thread_id, limit=100))
                count = f"{thread.checkpoint_count:,} checkpoints"
                yield Hit(
                    score,
                    display,
                    partial(screen.post_message, GoToThreadRequested(thread.thread_id)),
                    text=name,
                    help=escape_markup(escape_control(f"{status_label(thread.status)} · {count}")),
                )
