"""``e``: edit the state at a checkpoint as JSON, and save it as a fork (an ``update`` checkpoint).

The dialog holds no rules: the debugger core (:class:`engine.debug.session.DebugSession`)
turns the text into an update and writes it, or says what is wrong and on which line. Nothing
is written until the save succeeds; ``escape`` leaves with nothing written.
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Select, Static, TextArea

from engine.debug.edit import EditError
from engine.debug.model import CheckpointSummary
from engine.debug.session import DebugSession, EditStart
from engine.errors import EngineError
from tui.guard import Guarded
from tui.safe_text import literal

HINT = "ctrl+s: save as a new checkpoint (a fork) · ctrl+z: undo · esc: cancel, nothing is written"


class EditStateDialog(Guarded, ModalScreen[str | None]):
    """Dismissed with the new checkpoint's id once saved, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", tooltip="Save the edit as a new checkpoint", priority=True, id="edit.save"),
        # priority: in the TextArea, escape would only move the focus out of the editor
        Binding(
            "escape", "cancel", "Cancel", tooltip="Close without writing anything", priority=True, id="edit.cancel"
        ),
    ]

    def __init__(self, session: DebugSession, checkpoint: CheckpointSummary, start: EditStart) -> None:
        super().__init__()
        self.session = session
        self.checkpoint = checkpoint
        self.start = start
        self.saving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="edit-dialog", classes="dialog"):
            yield Static(
                literal(f"Edit the state at step {self.checkpoint.step} of {self.checkpoint.thread_id}"),
                classes="dialog-title",
            )
            with Horizontal(id="edit-as-row"):
                yield Label("as node ")
                options = [(node, node) for node in self.start.as_node_choices]
                yield Select(
                    options, value=self.start.default_as_node or Select.BLANK, id="edit-as-node",
                    prompt="choose the node this edit comes from", allow_blank=self.start.default_as_node is None,
                )
            yield TextArea.code_editor(self.start.text, language="json", id="edit-text")
            yield Static(id="edit-error")
            yield Static(HINT, classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#edit-error", Static).display = False
        area = self.query_one("#edit-text", TextArea)
        area.focus()
        # Most edits change the newest message: start there.
        lines = self.start.text.splitlines()
        newest = max((i for i, line in enumerate(lines) if '"__retrace__": "message"' in line), default=0)
        area.move_cursor((newest, 0), center=True)

    def show_error(self, error: EditError | EngineError) -> None:
        line = getattr(error, "line", None)
        where = f"line {line}: " if line else ""
        box = self.query_one("#edit-error", Static)
        box.update(literal(f"Not saved: {where}{error}"))
        box.display = True
        if line:
            area = self.query_one("#edit-text", TextArea)
            area.move_cursor((line - 1, 0))
            area.focus()

    def action_save(self) -> None:
        if self.saving:
            return
        self.saving = True
        node = self.query_one("#edit-as-node", Select).value
        self.save(self.query_one("#edit-text", TextArea).text, None if node is Select.BLANK else str(node))

    @work(group="edit", exclusive=True, exit_on_error=False)
    async def save(self, text: str, as_node: str | None) -> None:
        try:
            saved = await self.session.edit(self.checkpoint, self.start, text, as_node)
        except Exception as exc:  # noqa: BLE001 - shown under the editor; ctrl+s works again
            self.show_error(exc if isinstance(exc, EngineError) else EditError(f"{type(exc).__name__}: {exc}"))
            return
        finally:
            self.saving = False
        self.dismiss(saved["configurable"]["checkpoint_id"])

    def action_cancel(self) -> None:
        if self.saving:
            self.notify("Saving… wait a moment, then press esc again", timeout=3)
            return
        self.dismiss(None)
