"""The Store tab (``S``): the memory store kept in the checkpoint file, read-only.

A mixin of :class:`~tui.screens.debugger.DebuggerScreen`. The store is read the first time the
tab opens, through the screen's reader (:class:`~engine.debug.source.CheckpointSource`), in
workers, a page at a time; then again (as many rows as are loaded, the selection kept) whenever
the threads are: on ``r``, after each step of a run, and when the live view sees another
process write. It is the store as it is now: unlike the other tabs, not the selected checkpoint's.
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.widgets import Static, TabbedContent
from textual.worker import Worker, WorkerState

from engine.debug.source import StoreNamespace, StoreRecord
from tui.messages import Reloaded, StoreItemsLoaded, StoreNamespacesLoaded
from tui.safe_text import literal
from tui.screens.hitl import DebuggerInbox
from tui.screens.reads import PAGE_SIZE
from tui.store_text import (
    PANE_CHARS,
    StoreValueViewer,
    item_heading,
    item_path,
    namespace_note,
    store_caption,
    value_body,
)
from tui.widgets.store_view import NamespaceTree, StoreItemsTable, StoreView
from tui.widgets.text_tab import TextTab

STORE_TAB = "store"
Labels = tuple[str, ...]


class DebuggerStore(DebuggerInbox):
    """Needs from the screen: the ``#detail`` tabs with a :class:`StoreView` in the ``store`` pane."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("S", "show_tab('store')", "Store", show=False, tooltip="The memory store: its namespaces, items and values (read-only)", id="tab.store"),
    ]

    _store_read = False
    """The tab has been opened, so the store has been read: every reload reads it again."""

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        shown = event.pane is not None and event.pane.id == STORE_TAB
        self.query_one("#state-pane").set_class(shown, "-store")  # the checkpoint's header makes room
        if not shown:
            return
        if not self._store_read:
            self._store_read = True
            self._store_notice("Reading the memory store…")
            self.query_one(NamespaceTree).begin()
            self.load_store_namespaces(0)
        self.action_focus_state()  # the tree: its keys work at once

    def action_focus_state(self) -> None:
        if self.query_one("#detail", TabbedContent).active == STORE_TAB:
            if self.query_one("#store-top").display:  # hidden when the store is empty
                self.set_focus(self.query_one(NamespaceTree))
        else:
            super().action_focus_state()

    def action_focus_store_items(self) -> None:
        self.set_focus(self.query_one(StoreItemsTable))

    def action_focus_store_namespaces(self) -> None:
        self.set_focus(self.query_one(NamespaceTree))

    # Reads.

    @work(group="store-namespaces", exclusive=True, exit_on_error=False)
    async def load_store_namespaces(self, offset: int, limit: int = PAGE_SIZE, *, replace: bool = False) -> None:
        spaces = await (await self._ready()).list_store_namespaces(limit=limit, offset=offset)
        self.post_message(StoreNamespacesLoaded(offset, spaces, complete=len(spaces) < limit, replace=replace))

    @work(group="store-items", exclusive=True, exit_on_error=False)
    async def load_store_items(self, path: Labels, offset: int, limit: int = PAGE_SIZE, *, replace: bool = False) -> None:
        items = await (await self._ready()).list_store_items(path, limit=limit, offset=offset)
        self.post_message(StoreItemsLoaded(path, offset, items, complete=len(items) < limit, replace=replace))

    def on_reloaded(self, message: Reloaded) -> None:
        if self._store_read:
            loaded = len(self.query_one(NamespaceTree).namespaces)
            self.load_store_namespaces(0, max(PAGE_SIZE, loaded), replace=True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed read says so where its rows would be (the screen's handler notifies too)."""
        if event.state != WorkerState.ERROR or event.worker.group not in ("store-namespaces", "store-items"):
            return
        text = f"Could not read the memory store: {event.worker.error or 'unknown error'} (r tries again)"
        if event.worker.group == "store-namespaces":
            self.query_one(NamespaceTree).fetching = False
            self._store_notice(text)
        else:
            self.query_one(StoreItemsTable).fetching = False
            self._items_notice(text)

    # Results, and what the panes ask for.

    def on_store_namespaces_loaded(self, message: StoreNamespacesLoaded) -> None:
        tree = self.query_one(NamespaceTree)
        if message.replace:
            tree.replace(message.namespaces, complete=message.complete)
        elif message.offset == len(tree.namespaces):
            tree.add_page(message.namespaces, complete=message.complete)
        else:
            return  # a page read before a reload
        empty = not tree.namespaces
        for pane in ("#store-top", "#store-value-pane"):
            self.query_one(pane).display = not empty
        if empty and self.focused in self.query_one(StoreView).query("*"):
            self.set_focus(None)  # a hidden pane would still take the keys
        self._store_notice(store_caption(tree.namespaces, complete=tree.complete))
        # The cursor may have moved without a highlight (to the line it was on): follow it here.
        path = tree.cursor_path
        if path is not None:
            self._show_namespace(path, tree.namespace_at(path), again=message.replace)
        elif empty:
            self._show_namespace((), None)

    def on_namespace_tree_chosen(self, message: NamespaceTree.Chosen) -> None:
        self._show_namespace(message.path, message.namespace)

    def _show_namespace(self, path: Labels, namespace: StoreNamespace | None, *, again: bool = False) -> None:
        """Show the items of ``path`` (``again``: read them again, the selected item kept)."""
        table = self.query_one(StoreItemsTable)
        if path == table.namespace and not again:
            return  # the items shown, or being read
        if again and path == table.namespace and namespace is not None:
            self.load_store_items(path, 0, max(PAGE_SIZE, len(table.items)), replace=True)
            return
        table.begin_namespace(path)
        self._show_item(None)
        note = namespace_note(path, namespace) if path else None
        if namespace is None:
            table.complete, table.fetching = True, False
            self._items_notice(note)
            return
        self._items_notice(note or "Reading items…")
        self.load_store_items(path, 0)

    def on_store_items_loaded(self, message: StoreItemsLoaded) -> None:
        table = self.query_one(StoreItemsTable)
        if message.path != table.namespace:
            return  # the cursor moved on to another namespace
        if message.replace:
            current = table.current
            table.replace(message.items, complete=message.complete, keep=lambda r: current is not None and r.key == current.key)
        elif message.offset == len(table.items):
            table.add_page(message.items, complete=message.complete)
        else:
            return  # a page read before a reload
        note = namespace_note(message.path, self.query_one(NamespaceTree).namespace_at(message.path))
        self._items_notice(note or (None if table.items else "No items here any more: r reads the store again."))
        if message.replace or message.offset == 0:
            self._show_item(table.current)

    def on_store_items_table_highlighted(self, message: StoreItemsTable.Highlighted) -> None:
        self._show_item(message.item)

    def on_store_items_table_value_wanted(self, message: StoreItemsTable.ValueWanted) -> None:
        item = message.item
        self.app.push_screen(StoreValueViewer(f"{item_path(item)} (version {item.version})", item.value))

    def on_namespace_tree_more_wanted(self, message: NamespaceTree.MoreWanted) -> None:
        self.load_store_namespaces(message.offset)

    def on_store_items_table_more_wanted(self, message: StoreItemsTable.MoreWanted) -> None:
        if message.path == self.query_one(StoreItemsTable).namespace:
            self.load_store_items(message.path, message.offset)

    # Showing.

    def _show_item(self, item: StoreRecord | None) -> None:
        head, body = self.query_one("#store-item-head", Static), self.query_one("#store-value", TextTab)
        head.display = item is not None
        if item is None:
            body.show("Choose an item to see its value.")
            return
        styles = body.styles_by_role()
        head.update(item_heading(item, styles))
        body.show(value_body(item.value, PANE_CHARS, styles, more="enter on the item shows more"))

    def _store_notice(self, text: str | None) -> None:
        self._notice_in("#store-notice", text)

    def _items_notice(self, text: str | None) -> None:
        self._notice_in("#store-items-notice", text)

    def _notice_in(self, selector: str, text: str | None) -> None:
        widget = self.query_one(selector, Static)
        widget.update(literal(text or "", keep_newlines=True))
        widget.display = bool(text)
