"""The state pane's tree: a checkpoint's channel values and the writes that made and follow it.

Values nest (dicts, lists, messages); a node's children are made when it is first expanded, so a
channel holding 100,000 items costs nothing until it is opened. Which nodes are open is kept by
path, so stepping to another checkpoint keeps the same values in view. Labels are cut to the
tree's width, and made again when it changes.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.theme import Theme
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from engine.checkpoint.base import PendingWrite
from engine.constants import ERROR_CHANNEL, NO_WRITES, START, is_internal_channel
from engine.debug.inbox import payload_summary
from engine.debug.model import CheckpointDetail
from engine.pregel.pending import TaskOutcome, task_outcomes
from tui.detail_text import attempts_note
from tui.guard import Guarded
from tui.messages import ChannelNoteShown, ValueRequested
from tui.safe_text import clip, literal
from tui.thread_status import describe_damage
from tui.value_format import (
    LARGE_LIST,
    MAX_CHILDREN,
    child_count,
    children,
    has_children,
)
from tui.widgets.inbox_list import WAITING_MARK
from tui.widgets.state_view import Entry, Path, StateView
from tui.widgets.value_label import value_label

PREVIEW = 100
"""Characters of a value shown in its label before the tree is laid out; then as many as fit."""

FINDING_MARK = "⚠"
"""Before a channel the lint has a finding on (its note shows when the channel is selected)."""


class StateTree(Guarded, Tree[Entry]):
    """Channel values, what each node of this step wrote, then (when the next step failed or
    stopped) what its finished tasks wrote and the error."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter", "view_value", "View value", tooltip="Show the whole value, scrollable", id="state.view"
        ),
        Binding("v", "view_value", "View value", show=False, id="state.view_v"),
        Binding(
            "space",
            "toggle_node",
            "Fold",
            tooltip="Open or close the value under the cursor",
            id="state.fold",
        ),
        Binding("j", "cursor_down", "Down", show=False, id="state.down"),
        Binding("k", "cursor_up", "Up", show=False, id="state.up"),
        Binding("g,home", "first_line", "First line", show=False, id="state.first"),
        Binding("G,end", "last_line", "Last line", show=False, id="state.last"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "state-tree--key",
        "state-tree--role",
        "state-tree--muted",
        "state-tree--error",
        "state-tree--heading",
    }

    show_internal: reactive[bool] = reactive(False)
    """Show the engine's bookkeeping channels (``__start__``, ``branch:to:*``, ``join:*``)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("state"), id=id)
        self.show_root = False
        self.auto_expand = True
        self.view: StateView | None = None
        self._note_shown: str | None = None
        self._open: dict[Path, bool] = {}
        self._labels_width = 0
        """The width the labels were cut to fit."""

    def on_mount(self) -> None:
        # Labels hold their component styles' colours as they were built: build them again.
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: Theme) -> None:
        self._rebuild()

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"state-tree--{name}", partial=True)

    # Filling the tree.

    def show_state(self, view: StateView | None) -> None:
        """Show ``view`` (None: an empty tree), keeping open what was open and the cursor's path."""
        self.view = view
        self._rebuild()

    def watch_show_internal(self) -> None:
        self._rebuild()

    def _rebuild(self) -> None:
        cursor = self.cursor_node
        cursor_path = cursor.data.path if cursor is not None and cursor.data is not None else None
        self._labels_width = self.scrollable_content_region.width
        self.clear()
        if self.view is None:
            return
        self._add_channels(self.view.detail)
        self._add_findings(self.view.findings)
        self._add_step_writes(self.view)
        if self.view.next_writes:
            waits = any(o.waiting for o in task_outcomes(self.view.next_writes).values())
            verb = "failed" if self.view.error is not None else "waits for input" if waits else "stopped"
            title = f"The next step {verb}: " + ("what its tasks wrote and asked" if waits else "what its finished tasks wrote")
            self._add_writes(("next",), title, "(pending writes)", self.view.next_writes)
        if self.view.error is not None:
            section = self._heading(("error",), "Why the next step failed", "enter: whole message")
            self._add_value(section, ("error", "error"), "error", self.view.error, error=True, title="error")
        if self.view.detail.pending_sends:
            sends = self._heading(
                ("sends",), f"Sends queued for the next step ({len(self.view.detail.pending_sends)})"
            )
            for i, send in enumerate(self.view.detail.pending_sends):
                self._add_value(sends, ("sends", str(i)), str(i), send, title=f"send {i}")
        self._restore_cursor(cursor_path)

    def _restore_cursor(self, path: Path | None) -> None:
        _ = self.last_line  # lays out the lines, so each node knows its line
        target = self._find(path) if path else None
        self.cursor_line = target.line if target is not None and target.line >= 0 else 0

    def _find(self, path: Path) -> TreeNode[Entry] | None:
        node = self.root
        for depth in range(1, len(path) + 1):
            node = next((c for c in node.children if c.data and c.data.path == path[:depth]), None)
            if node is None:
                return None
        return node

    def _heading(self, path: Path, title: str, note: str = "") -> TreeNode[Entry]:
        label = Text()
        label.append(title, style=self._style("heading"))  # the heading alone: not the note after it
        if note:
            label.append(f"  {note}", style=self._style("muted"))
        node = self.root.add(label, data=Entry(path, is_value=False, loaded=True))
        self._set_open(node, default=True)
        return node

    def _add_channels(self, detail: CheckpointDetail) -> None:
        values = detail.channel_values
        internal = [name for name in values if is_internal_channel(name)]
        shown = [name for name in values if self.show_internal or not is_internal_channel(name)]
        note = ""
        if internal:
            verb = "shown" if self.show_internal else "hidden"
            note = f"{len(internal)} internal {verb} (i to toggle)"
        section = self._heading(("state",), f"State: {len(shown)} channel{'s' * (len(shown) != 1)}", note)
        if not shown:
            hint = (
                "nothing but internal channels; press i to show them"
                if internal
                else "no channel has a value yet"
            )
            self._note(section, hint)
        summary = detail.summary
        changed = set() if summary.source in ("input", "fork") else {k for keys in summary.writes.values() for k in keys}
        for name in sorted(shown, key=is_internal_channel):
            value = values[name]
            large = isinstance(value, list | tuple) and len(value) > LARGE_LIST
            self._add_value(
                section, ("state", name), name, value, default_open=not large, title=name,
                note="changed in this step" if name in changed else "",
                newest_first=large, finding=self.view.findings.get(name) if self.view else None,
            )

    def _add_findings(self, findings: dict[str, str]) -> None:
        """The channels the lint flags, with or without a value yet (a step that fails on one
        never gives it one)."""
        if not findings:
            return
        count = len(findings)
        section = self._heading(("lint",), f"Lint: {count} channel{'s' * (count != 1)} parallel tasks can break",
                                "L lists every finding")
        for channel, note in findings.items():
            label = Text.assemble(Text(f"{FINDING_MARK} ", style=self._style("error")), literal(channel, limit=80),
                                  Text("  "), literal(note, style=self._style("muted"), limit=300))
            section.add_leaf(label, data=Entry(("lint", channel), is_value=False, finding=note))

    def _add_step_writes(self, view: StateView) -> None:
        title, path, detail = "Written in this step", ("step",), view.detail
        if view.step_writes:
            self._add_writes(path, title, "", view.step_writes)
        elif detail.summary.source == "fork":
            self._note(self._heading(path, title), "nothing ran: a copy of its parent, where a replay starts")
        elif view.step_writes is not None:
            known = bool(detail.summary.metadata)  # the metadata names the step's tasks
            note = "no writes recorded for this step" if known else "unknown: this checkpoint's metadata cannot be read"
            self._note(self._heading(path, title), note)
        elif detail.summary.source == "input":
            section = self._heading(path, title, "nothing ran: this checkpoint holds the run's input")
            if START in detail.channel_values:
                value = detail.channel_values[START]
                self._add_value(section, (*path, "input"), "input", value, title="the run's input")
        else:
            self._note(self._heading(path, title), "nothing: no checkpoint before this one")

    def _add_writes(self, path: Path, title: str, note: str, writes: list[PendingWrite]) -> None:
        outcomes = task_outcomes(writes)
        finished = sum(o.finished for o in outcomes.values())
        waiting = sum(bool(o.waiting) for o in outcomes.values())
        failed = len(outcomes) - finished - waiting
        if failed or waiting:
            stopped = [f"{failed} failed"] * bool(failed) + [f"{waiting} waiting for input"] * bool(waiting)
            tasks = f"by {finished} finished task{'s' * (finished != 1)}, {', '.join(stopped)}"
        else:
            tasks = f"by {finished} task{'s' * (finished != 1)}"
        section = self._heading(path, title, f"{tasks} {note}".strip())
        for task_id, outcome in outcomes.items():
            self._add_task_writes(section, (*path, task_id), outcome)

    def _note(self, parent: TreeNode[Entry], text: str, name: str = "-") -> None:
        path = (*parent.data.path, name) if parent.data else (name,)
        parent.add_leaf(Text(text, style=self._style("muted")), data=Entry(path, is_value=False))

    def _add_task_writes(self, section: TreeNode[Entry], path: Path, outcome: TaskOutcome) -> None:
        """One task: what it wrote, whether it failed (and was then resumed), its rows' damage."""
        rows = [w for w in outcome.rows if w.channel != NO_WRITES]
        visible = [w for w in rows if self.show_internal or not is_internal_channel(w.channel)]
        written = [w.channel for w in visible if w.idx >= 0]
        label = literal(outcome.node, style=self._style("key"))
        if outcome.pushed:  # a Send's task: what it was given
            label.append("  sent ", style=self._style("muted"))
            label.append_text(literal(payload_summary(outcome.sent)[0], limit=60))
        if outcome.waiting:
            label.append(f"  {WAITING_MARK} waiting for input", style=self._style("error"))
        elif outcome.interrupts and outcome.finished:
            label.append("  asked for input, was answered, then wrote ", style=self._style("muted"))
            label.append_text(literal(", ".join(written) or "nothing"))
        elif outcome.failed_then_finished:
            label.append("  failed once, then succeeded when the step was resumed; wrote ", style=self._style("muted"))
            label.append_text(literal(", ".join(written) or "nothing"))
        elif outcome.error is not None:
            label.append("  failed", style=self._style("error"))
        elif not rows:
            label.append("  finished without writing anything", style=self._style("muted"))
        else:
            label.append("  wrote ", style=self._style("muted"))
            label.append_text(literal(", ".join(written) or "internal channels only"))
        if note := attempts_note(outcome):
            label.append(f"  {note}", style=self._style("muted"))
        damage = tuple(problem for w in outcome.rows for problem in w.damage)
        if damage:
            label.append_text(literal(f"  {describe_damage(damage)}", style=self._style("error"), limit=300))
        node = section.add(label, data=Entry(path, is_value=False, loaded=True))
        self._set_open(node, default=True)
        for write in visible:
            is_error = write.channel == ERROR_CHANNEL
            key = "error" if is_error else write.channel
            self._add_value(
                node,
                (*path, f"{write.channel}#{write.idx}"),
                key,
                write.value,
                error=is_error,
                title=f"{outcome.node} wrote {key}",
            )

    def _add_value(
        self,
        parent: TreeNode[Entry],
        path: Path,
        key: str,
        value: Any,
        *,
        title: str,
        default_open: bool = False,
        error: bool = False,
        note: str = "",
        newest_first: bool = False,
        finding: str | None = None,
    ) -> None:
        label = self._label(key, value, error=error, depth=len(path))
        if finding is not None:  # the lint's marker, before the key (a long value is cut at the edge)
            flagged = Text.assemble(Text(f"{FINDING_MARK} ", style=self._style("error")), label)
            flagged.style = label.style
            label = flagged
        if note:
            marked = Text.assemble(Text("● ", style=self._style("role")), label, Text(f"  {note}", style=self._style("muted")))
            marked.style = label.style  # the key's style stays the label's own (a theme change restyles it)
            label = marked
        if newest_first:
            label.append(f"  {len(value):,} items, newest first when opened", style=self._style("muted"))
        entry = Entry(path, value, title=title, newest_first=newest_first, finding=finding)
        if has_children(value):
            node = parent.add(label, data=entry)
            self._set_open(node, default=default_open)
        else:
            parent.add_leaf(label, data=entry)

    def _set_open(self, node: TreeNode[Entry], *, default: bool) -> None:
        if node.data is not None and self._open.get(node.data.path, default):
            self._fill(node)
            node.expand()

    def _fill(self, node: TreeNode[Entry]) -> None:
        entry = node.data
        if entry is None or entry.loaded:
            return
        entry.loaded = True
        for key, item in children(entry.value, newest_first=entry.newest_first):
            self._add_value(node, (*entry.path, key), key, item, title=f"{entry.title} › {key}")
        hidden = child_count(entry.value) - MAX_CHILDREN
        if hidden > 0:
            self._note(node, f"… {hidden:,} more: press enter on the parent to see them all", "…")

    def _preview_width(self, key: str, depth: int) -> int:
        """How many characters of a value fit after its key on a line of the tree."""
        width = self.scrollable_content_region.width
        if not width:
            return PREVIEW
        return max(24, width - 4 * (depth - 1) - len(key) - 20)

    def _label(self, key: str, value: Any, *, error: bool = False, depth: int = 1) -> Text:
        return value_label(key, value, self._style, preview=self._preview_width(key, depth), error=error)

    def render_label(self, node: TreeNode[Entry], base_style: Style, style: Style) -> Text:
        # A row longer than the pane ends in "…" at its edge rather than being cut off there.
        label = super().render_label(node, base_style, style)
        depth = len(node.data.path) if node.data is not None else 1
        room = self.scrollable_content_region.width - self.guide_depth * (depth - 1)
        return clip(label, room) if room > 0 else label

    # Events and actions.

    def on_resize(self, event: events.Resize) -> None:
        if self.scrollable_content_region.width != self._labels_width:
            self._rebuild()  # previews were cut to the old width

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[Entry]) -> None:
        note = event.node.data.finding if event.node.data is not None else None
        if note != self._note_shown:
            self._note_shown = note
            self.post_message(ChannelNoteShown(note))

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Entry]) -> None:
        if event.node.data is not None:
            self._fill(event.node)
            self._open[event.node.data.path] = True

    def on_tree_node_collapsed(self, event: Tree.NodeCollapsed[Entry]) -> None:
        if event.node.data is not None:
            self._open[event.node.data.path] = False

    def action_first_line(self) -> None:
        self.cursor_line = 0

    def action_last_line(self) -> None:
        self.cursor_line = self.last_line

    def action_view_value(self) -> None:
        node = self.cursor_node
        if node is None or node.data is None or not node.data.is_value:
            self.notify("That is a heading: move to a value (j/k), then press v", timeout=3)
            return
        self.post_message(ValueRequested(node.data.title or "value", node.data.value))
