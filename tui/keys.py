"""Key bindings as data: every binding a class declares or inherits, for help and the palette."""

from __future__ import annotations

from textual.binding import Binding
from textual.dom import DOMNode


def bindings_of(cls: type[DOMNode], *, ours_only: bool = False) -> list[Binding]:
    """The bindings an instance of ``cls`` has, own and inherited, with a description.

    A subclass's binding for a key replaces its base class's; system bindings and those without
    a description are left out. Bindings retrace declares come first, Textual's after (or not at
    all with ``ours_only``).
    """
    by_key: dict[str, tuple[bool, Binding]] = {}
    for klass in reversed(cls.__mro__):
        ours = klass.__module__.split(".")[0] == "tui"
        for binding in Binding.make_bindings(klass.__dict__.get("BINDINGS", [])):
            by_key.pop(binding.key, None)  # re-insert, so the override takes the subclass's place
            by_key[binding.key] = (ours, binding)
    found = [(ours, b) for ours, b in by_key.values() if b.description and not b.system]
    theirs = [] if ours_only else [b for ours, b in found if not ours]
    return [b for ours, b in found if ours] + theirs
