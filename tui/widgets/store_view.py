"""The Store tab: the memory store's namespaces as a tree, the selected namespace's items, and
the selected item's value under them. Read-only.

The namespaces come a page at a time and are laid out by the debugger core's rule
(:func:`engine.debug.store.namespace_nodes`), each namespace with its item count. The items
table is a :class:`~tui.widgets.paged_table.PagedTable`, paged the same way. The screen
(:mod:`tui.screens.store_tab`) reads the pages and hands them in; the widgets post what the
cursor did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from engine.checkpoint.serde import Undecodable
from engine.debug.source import StoreNamespace, StoreRecord
from engine.debug.store import NamespaceNode, first_namespace, namespace_nodes
from tui.guard import Guarded
from tui.safe_text import clip, literal
from tui.store_text import preview
from tui.thread_status import DAMAGED_MARK
from tui.value_format import format_time
from tui.widgets.paged_table import PagedTable
from tui.widgets.text_tab import TextTab

LABEL_CHARS = 40
"""A namespace label longer than this is cut in the tree (the value's heading shows it whole)."""
KEY_CHARS = 32
"""An item's key longer than this is cut in the table (the value's heading shows it)."""
PREVIEW_CHARS = 80
"""Characters of a value its row shows at the most."""

Labels = tuple[str, ...]


class NamespaceTree(Guarded, Tree[NamespaceNode]):
    """Namespaces as a tree of their labels; the cursor chooses the namespace whose items show."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "screen.focus_store_items", "Items", tooltip="Go to this namespace's items", id="store.to_items"),
        Binding("space", "toggle_node", "Fold", tooltip="Fold or unfold the namespaces under this one", id="store.fold"),
        Binding("j", "cursor_down", "Down", show=False, id="store.namespace_down"),
        Binding("k", "cursor_up", "Up", show=False, id="store.namespace_up"),
        Binding("g", "scroll_home", "First namespace", show=False, id="store.namespace_first"),
        Binding("G", "scroll_end", "Last loaded namespace", show=False, id="store.namespace_last"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {"namespace-tree--count", "namespace-tree--error"}

    LOAD_AHEAD: ClassVar[int] = 50
    """How close to the last line the cursor gets before the next page of namespaces is asked for."""

    @dataclass
    class Chosen(Message):
        """The cursor moved to ``path``: a namespace, or (``namespace`` None) a label that only
        leads to namespaces under it."""

        path: Labels
        namespace: StoreNamespace | None

    @dataclass
    class MoreWanted(Message):
        """The cursor is near the end: load the namespaces after the ``offset`` loaded."""

        offset: int

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("store"), id=id)
        self.show_root = False
        self.auto_expand = False
        self.namespaces: list[StoreNamespace] = []
        self.complete = True
        self.fetching = False
        # Not `_nodes`: Textual's widgets keep their children under that name.
        self._node_at: dict[Labels, TreeNode[NamespaceNode]] = {}
        self._folded: set[Labels] = set()
        self._more: TreeNode[NamespaceNode] | None = None

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"namespace-tree--{name}", partial=True)

    # Filling the tree.

    def begin(self) -> None:
        """Forget every namespace: a new list starts loading."""
        self.clear()
        self.namespaces, self._node_at, self._more = [], {}, None
        self.complete, self.fetching = False, True

    def add_page(self, namespaces: Sequence[StoreNamespace], *, complete: bool, keep: Labels | None = None) -> None:
        """Add a page of namespaces; ``complete``: there are no more. The cursor goes to ``keep``
        when it is shown, else to the first namespace when these are the first, or to the first
        of the page from the "more" line. A move onto the line the cursor was on posts no
        highlight: the screen reads :attr:`cursor_path` after each page."""
        first = not self.namespaces
        on_more = self._more is not None and self.cursor_node is self._more
        if self._more is not None:
            self._more.remove()
            self._more = None
        nodes = namespace_nodes(namespaces, self._node_at)
        for node in nodes:
            self._add(node)
        self.namespaces.extend(namespaces)
        self.complete, self.fetching = complete, False
        if not complete:
            self._more = self.root.add_leaf(Text("… more load as the cursor comes near", style=self._style("count")))
        start = first_namespace(nodes) if first else nodes[0] if on_more and nodes else None
        if keep is not None and keep in self._node_at:
            self._move_to(keep)
        elif start is not None:
            self._move_to(start.path)

    def replace(self, namespaces: Sequence[StoreNamespace], *, complete: bool) -> None:
        """Show ``namespaces`` instead, the cursor kept on its path where that is still shown."""
        path = self.cursor_path
        self.begin()
        self.add_page(namespaces, complete=complete, keep=path)

    def _add(self, entry: NamespaceNode) -> None:
        node = self._node_at.get(entry.path)
        if node is not None:  # a label-only node whose namespace came on a later page
            if node.data is not None and node.data.namespace is None:
                node.data = entry
                node.set_label(self._label(entry))
            return
        parent = self._node_at.get(entry.path[:-1], self.root)
        node = self._node_at[entry.path] = parent.add_leaf(self._label(entry), data=entry)
        if parent is not self.root and not parent.allow_expand:
            parent.allow_expand = True
            if parent.data is not None and parent.data.path not in self._folded:
                parent.expand()

    def _label(self, entry: NamespaceNode) -> Text:
        name, namespace = entry.path[-1], entry.namespace
        damaged = namespace is not None and bool(namespace.damage)
        label = Text(f"{DAMAGED_MARK} ", style=self._style("error")) if damaged else Text()
        label.append_text(literal(name, limit=LABEL_CHARS) if name else Text('""', style=self._style("error")))
        if namespace is not None:
            label.append(f" ({namespace.item_count:,})", style=self._style("count"))
        return label

    @property
    def cursor_path(self) -> Labels | None:
        """The labels of the node under the cursor (None: no node, or the "more" line)."""
        node = self.cursor_node
        return node.data.path if node is not None and node.data is not None else None

    def namespace_at(self, path: Labels) -> StoreNamespace | None:
        """The namespace at ``path`` (None: not shown, or a label-only node)."""
        node = self._node_at.get(path)
        return node.data.namespace if node is not None and node.data is not None else None

    def _move_to(self, path: Labels) -> None:
        node = shown = self._node_at[path]
        while node.parent is not None and not node.parent.is_root:
            node = node.parent
            if not node.is_expanded:
                shown = node  # folded away: the outermost folded node over it is on screen
        if self.last_line >= 0:  # lays the lines out, so the node knows its line
            self.move_cursor(shown)

    def render_label(self, node: TreeNode[NamespaceNode], base_style: Style, style: Style) -> Text:
        # A row longer than the pane ends in "…" at its edge rather than being cut off there.
        label = super().render_label(node, base_style, style)
        depth = len(node.data.path) if node.data is not None else 1
        room = self.scrollable_content_region.width - self.guide_depth * (depth - 1)
        return clip(label, room) if room > 0 else label

    # Events.

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[NamespaceNode]) -> None:
        event.stop()
        entry = event.node.data
        if entry is not None:
            self.post_message(self.Chosen(entry.path, entry.namespace))
        self._want_more_if_near_end()

    def _want_more_if_near_end(self) -> None:
        if self.complete or self.fetching or not self.namespaces:
            return
        if self.cursor_line >= self.last_line - self.LOAD_AHEAD:
            self.fetching = True
            self.post_message(self.MoreWanted(len(self.namespaces)))

    def on_tree_node_collapsed(self, event: Tree.NodeCollapsed[NamespaceNode]) -> None:
        event.stop()
        if event.node.data is not None:
            self._folded.add(event.node.data.path)
        self._want_more_if_near_end()

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[NamespaceNode]) -> None:
        event.stop()
        if event.node.data is not None:
            self._folded.discard(event.node.data.path)


class StoreItemsTable(PagedTable[StoreRecord]):
    """Key, version, when it was last written and first made, and the value's start; the most
    recently written first. The narrower the table, the fewer times it shows (the value's
    heading has both)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "view_value", "View value", tooltip="Show the item's whole value, scrollable", id="store.view"),
        Binding("v", "view_value", "View value", show=False, id="store.view_v"),
        Binding("escape", "screen.focus_store_namespaces", "Namespaces", show=False, tooltip="Back to the namespaces", id="store.to_namespaces"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {"store-items--error"}

    DROP_BY_WIDTH: ClassVar[tuple[tuple[int, tuple[int, ...]], ...]] = ((100, ()), (56, (3,)), (0, (2, 3)))
    """(narrowest width, columns left out there): created first, then updated too."""

    @dataclass
    class Highlighted(Message):
        """The cursor moved to ``item``."""

        item: StoreRecord

    @dataclass
    class MoreWanted(Message):
        """The cursor is near the last row: load the items of ``path`` after the ``offset`` loaded."""

        path: Labels
        offset: int

    @dataclass
    class ValueWanted(Message):
        """Show ``item``'s whole value (enter or v on its row)."""

        item: StoreRecord

    namespace: Labels = ()
    """Whose items these are (set with :meth:`begin_namespace`)."""

    def columns_spec(self) -> Sequence[tuple[str, int | None]]:
        return [("key", None), ("ver", None), ("updated (UTC)", 19), ("created (UTC)", 19), ("value", None)]

    def dropped_at(self, width: int) -> tuple[int, ...]:
        return next(drop for least, drop in self.DROP_BY_WIDTH if width >= least)

    def begin_namespace(self, namespace: Labels) -> None:
        self.namespace = namespace
        self.begin()

    def cells(self, item: StoreRecord) -> list[Text]:
        error = self.get_component_rich_style("store-items--error", partial=True)
        unreadable = isinstance(item.value, Undecodable)
        key = literal(item.key, limit=KEY_CHARS)
        if item.damage or unreadable:
            key = Text.assemble(Text(f"{DAMAGED_MARK} ", style=error), key)
        return [
            key,
            Text(f"{item.version:,}", justify="right"),
            literal(format_time(item.updated_at), limit=19),
            literal(format_time(item.created_at), limit=19),
            Text(preview(item, PREVIEW_CHARS), style=error if unreadable else "", end=""),
        ]

    def highlighted(self, item: StoreRecord) -> Message:
        return self.Highlighted(item)

    def more_wanted(self) -> Message:
        return self.MoreWanted(self.namespace, len(self.items))

    def action_view_value(self) -> None:
        item = self.current
        if item is None:
            self.notify("No item here: choose a namespace that holds some", timeout=3)
            return
        self.post_message(self.ValueWanted(item))


class StoreView(Vertical):
    """The Store tab's layout: the tree beside the items (over them when narrow), the chosen
    item's value under both."""

    def compose(self) -> ComposeResult:
        yield Static(classes="store-notice", id="store-notice")
        with Horizontal(id="store-top"):
            yield NamespaceTree(id="store-namespaces")
            with Vertical(id="store-items-pane"):
                yield Static(classes="store-notice", id="store-items-notice")
                yield StoreItemsTable(id="store-items")
        with Vertical(id="store-value-pane"):
            yield Static(id="store-item-head")
            yield TextTab(id="store-value")

    def on_mount(self) -> None:
        self.query_one("#store-value-pane").border_title = "Value"
        self.query_one(StoreItemsTable).begin()
