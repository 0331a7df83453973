"""The memory store as the debugger lays it out: namespaces as a tree of their labels.

A namespace is a tuple of labels (``("alice", "preferences")``); each label is a node under the
one before it. A node either is a namespace (it holds items) or only leads to namespaces under
it (``("alice",)`` when no item sits in ``alice`` itself). The reader
(:class:`~engine.debug.source.CheckpointSource`) gives the namespaces in the order of their text,
so a namespace always comes before those under it.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass

from engine.debug.source import StoreNamespace

__all__ = ["NamespaceNode", "first_namespace", "item_count", "namespace_nodes"]

Labels = tuple[str, ...]


@dataclass(frozen=True)
class NamespaceNode:
    """A node of the tree: the labels down to it and, when items sit there, its namespace."""

    path: Labels
    namespace: StoreNamespace | None = None


def namespace_nodes(namespaces: Iterable[StoreNamespace], shown: Container[Labels] = ()) -> list[NamespaceNode]:
    """The nodes a page of ``namespaces`` adds to a tree already showing the paths ``shown``,
    parents before children: a label-only node for each label over a namespace that has no node
    yet, and each namespace's own node (also when its path is shown as a label-only node: it
    holds items now)."""
    out: list[NamespaceNode] = []
    made: set[Labels] = set()
    for namespace in namespaces:
        path = namespace.namespace
        for depth in range(1, len(path)):
            label = path[:depth]
            if label not in made and label not in shown:
                made.add(label)
                out.append(NamespaceNode(label))
        made.add(path)
        out.append(NamespaceNode(path, namespace))
    return out


def first_namespace(nodes: Sequence[NamespaceNode]) -> NamespaceNode | None:
    """The node to select first: the first that holds items (None: there are none)."""
    return next((node for node in nodes if node.namespace is not None), None)


def item_count(namespaces: Iterable[StoreNamespace]) -> int:
    """How many items the namespaces hold together."""
    return sum(namespace.item_count for namespace in namespaces)
