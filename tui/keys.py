"""Key bindings as data: every binding a class declares or inherits, for help and the palette."""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import DataTable, Tree

# Actions of Textual's own bindings that do nothing useful in retrace, by the kind of widget that
# inherits them. Only bindings Textual declares are left out: a binding of retrace's is always kept.
_UNUSED_INHERITED: tuple[tuple[type[DOMNode], frozenset[str]], ...] = (
    # Sideways: the panes cut their lines to fit (an ellipsis at the edge), so there is nothing to
    # the right to scroll to.
    (ScrollableContainer, frozenset({"scroll_left", "scroll_right", "page_left", "page_right"})),
    # retrace's tables have a row cursor (or none): moving between columns does nothing.
    (DataTable, frozenset({"cursor_left", "cursor_right"})),
    # "Next ancestor" puzzles more than it helps, and the state tree makes its children when a node
    # is first opened, so "expand all" opens one level, not all.
    (Tree, frozenset({"cursor_parent_next_sibling", "toggle_expand_all"})),
    # The debugger binds tab and shift+tab itself; a dialog has one thing to focus.
    (Screen, frozenset({"app.focus_next", "app.focus_previous"})),
)


def _unused(cls: type[DOMNode], binding: Binding) -> bool:
    """Whether ``binding``, which ``cls`` inherits from Textual, is noise in retrace's help."""
    if "super" in binding.key.split("+")[:-1]:
        return True  # the command key: terminals do not send it (ctrl+c does the same)
    return any(issubclass(cls, kind) and binding.action in actions for kind, actions in _UNUSED_INHERITED)


def bindings_of(cls: type[DOMNode], *, ours_only: bool = False) -> list[Binding]:
    """The bindings an instance of ``cls`` has, own and inherited, with a description.

    A subclass's binding for a key replaces its base class's; system bindings, those without a
    description and Textual's that do nothing useful in retrace (moving sideways in a pane that
    has nothing to the side, ``super+`` keys, ...) are left out. Bindings retrace declares come
    first, Textual's after (or not at all with ``ours_only``).
    """
    by_key: dict[str, tuple[bool, Binding]] = {}
    for klass in reversed(cls.__mro__):
        ours = klass.__module__.split(".")[0] == "tui"
        for binding in Binding.make_bindings(klass.__dict__.get("BINDINGS", [])):
            by_key.pop(binding.key, None)  # re-insert, so the override takes the subclass's place
            by_key[binding.key] = (ours, binding)
    found = [(ours, b) for ours, b in by_key.values() if b.description and not b.system]
    theirs = [] if ours_only else [b for ours, b in found if not ours and not _unused(cls, b)]
    return [b for ours, b in found if ours] + theirs


def by_action(bindings: list[Binding]) -> list[list[Binding]]:
    """``bindings`` grouped by the action they run (``j`` and ``down``: one group), in the order
    each action first appears, each group's bindings in their order."""
    groups: dict[str, list[Binding]] = {}
    for binding in bindings:
        groups.setdefault(binding.action, []).append(binding)
    return list(groups.values())
