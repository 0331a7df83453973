"""Properties of the memory store, checked on generated data: namespaces of any text round-trip
and prefix search is exact, and a filter selects the same items in SQLite as in memory."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.store import InMemoryStore
from engine.store.sqlite import SqliteStore

TRICKY = ".%_*/\\'\"[]$é😀- ab"
labels = st.one_of(st.text(min_size=1, max_size=6), st.text(alphabet=TRICKY, min_size=1, max_size=4)).filter(
    lambda s: "." not in s and "\x00" not in s
)
namespaces = st.lists(labels, min_size=1, max_size=4).map(tuple)


@contextmanager
def open_store(kind: str, tmp_path: Path) -> Iterator:
    if kind == "memory":
        yield InMemoryStore()
    else:
        with SqliteStore.from_conn_string(tmp_path / "store.db") as store:
            yield store


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_namespaces_of_any_text_round_trip_and_prefix_search_is_exact(kind: str, tmp_path: Path) -> None:
    roots = itertools.count()
    with open_store(kind, tmp_path) as store:

        @settings(max_examples=60, deadline=None)
        @given(
            st.lists(namespaces, min_size=1, max_size=6, unique=True),
            st.text(min_size=0, max_size=5).filter(lambda k: "\x00" not in k),  # NUL: refused, tested apart
        )
        def check(spaces: list[tuple[str, ...]], key: str) -> None:
            root = (f"root{next(roots)}",)  # each example in a namespace of its own
            stored = [root + ns for ns in spaces]
            for ns in stored:
                store.put(ns, key, {"ns": list(ns)})
            for ns in stored:
                item = store.get(ns, key)
                assert item is not None and item.namespace == ns and item.value == {"ns": list(ns)}
                for depth in range(len(ns) + 1):
                    prefix = ns[:depth]
                    found = {i.namespace for i in store.search(prefix, limit=1000) if i.namespace[:1] == root}
                    expected = {other for other in stored if other[:depth] == prefix}
                    assert found == expected, prefix
            assert store.list_namespaces(prefix=root, limit=1000) == sorted(stored)

        check()


# Filters: the same answer in SQLite as in memory ----------------------------------------------

KEYS = ["a", "b", "a.b", "'", "%"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.integers(-(1 << 63), (1 << 63) - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.5, 1.0, -2.0]),
    st.text(alphabet="aAé%_'\" ", max_size=3),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)
    ),
    max_leaves=8,
)
operands = st.one_of(st.integers(-3, 3), st.floats(-3, 3), st.text(alphabet="aA%", max_size=2))
conditions = st.recursive(
    st.one_of(
        scalars,
        st.dictionaries(st.sampled_from(["$eq", "$ne"]), scalars, min_size=1, max_size=2),
        st.dictionaries(st.sampled_from(["$gt", "$gte", "$lt", "$lte"]), operands, min_size=1, max_size=2),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=2), st.dictionaries(st.sampled_from(KEYS), inner, max_size=2)
    ),
    max_leaves=4,
)
filters = st.dictionaries(st.sampled_from(KEYS), conditions, max_size=3)
items = st.lists(st.dictionaries(st.sampled_from(KEYS), json_values, max_size=4), min_size=1, max_size=6)


def test_filters_select_the_same_items_in_sqlite_as_in_memory(tmp_path: Path) -> None:
    roots = itertools.count()
    memory = InMemoryStore()
    with SqliteStore.from_conn_string(tmp_path / "store.db") as sqlite:

        @settings(max_examples=300, deadline=None)
        @given(items, st.lists(filters, min_size=1, max_size=4))
        def check(values: list[dict], flts: list[dict]) -> None:
            root = (f"root{next(roots)}",)
            for i, value in enumerate(values):
                memory.put(root, f"k{i}", value)
                sqlite.put(root, f"k{i}", value)
            for flt in flts:
                in_memory = [item.key for item in memory.search(root, filter=flt, limit=100)]
                in_sqlite = [item.key for item in sqlite.search(root, filter=flt, limit=100)]
                assert in_sqlite == in_memory, (values, flt)

        check()
