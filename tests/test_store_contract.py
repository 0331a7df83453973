"""The memory store's contract: the same tests over every store and both APIs.

Each test runs four times: ``InMemoryStore`` and ``SqliteStore`` through their sync methods,
``InMemoryStore`` and ``AsyncSqliteStore`` through their async twins (``aput``, ...).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.errors import EngineError
from engine.store import ConflictError, InMemoryStore, InvalidNamespaceError
from engine.store.sqlite import AsyncSqliteStore, SqliteStore

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class TickingClock:
    """One second later on every call, so each put has a time of its own."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> datetime:
        self.calls += 1
        return T0 + timedelta(seconds=self.calls)


class Calls:
    """A store's methods as coroutines: its sync ones called directly, or its async twins."""

    def __init__(self, store, use_async: bool) -> None:
        self.store, self.use_async = store, use_async

    def __getattr__(self, name: str):
        if self.use_async:
            return getattr(self.store, f"a{name}")
        method = getattr(self.store, name)

        async def call(*args, **kwargs):
            return method(*args, **kwargs)

        return call


@pytest.fixture(params=["memory-sync", "memory-async", "sqlite-sync", "sqlite-async"])
async def store(request, tmp_path: Path):
    clock = TickingClock()
    kind, api = request.param.split("-")
    if kind == "memory":
        yield Calls(InMemoryStore(clock=clock), api == "async")
    elif api == "sync":
        with SqliteStore.from_conn_string(tmp_path / "store.db", clock=clock) as sync_store:
            yield Calls(sync_store, False)
    else:
        async with AsyncSqliteStore.from_conn_string(tmp_path / "store.db", clock=clock) as async_store:
            yield Calls(async_store, True)


async def keys(store, prefix=(), **kwargs) -> list[str]:
    return [item.key for item in await store.search(prefix, **kwargs)]


# put / get / delete ---------------------------------------------------------------------------


async def test_put_get_delete(store) -> None:
    assert await store.get(("users", "u1"), "prefs") is None
    await store.put(("users", "u1"), "prefs", {"theme": "dark", "sizes": [1, 2.5], "on": True, "x": None})

    item = await store.get(("users", "u1"), "prefs")
    assert (item.namespace, item.key, item.version) == (("users", "u1"), "prefs", 1)
    assert item.value == {"theme": "dark", "sizes": [1, 2.5], "on": True, "x": None}
    assert item.created_at == item.updated_at == T0 + timedelta(seconds=1)
    assert item.created_at.tzinfo is not None

    await store.delete(("users", "u1"), "prefs")
    assert await store.get(("users", "u1"), "prefs") is None
    await store.delete(("users", "u1"), "prefs")  # deleting nothing is fine
    await store.delete((), "prefs")


async def test_put_none_deletes_as_in_langgraph(store) -> None:
    await store.put(("a",), "k", {"v": 1})
    await store.put(("a",), "k", None)
    assert await store.get(("a",), "k") is None
    assert await store.list_namespaces() == []


async def test_overwrite_keeps_created_at_and_bumps_updated_at_and_version(store) -> None:
    await store.put(("a",), "k", {"v": 1})
    await store.put(("a",), "k", {"v": 2})
    await store.put(("a",), "k", {"v": 3})

    item = await store.get(("a",), "k")
    assert item.value == {"v": 3}
    assert item.version == 3
    assert item.created_at == T0 + timedelta(seconds=1)
    assert item.updated_at == T0 + timedelta(seconds=3)


async def test_a_deleted_item_put_again_starts_at_version_1(store) -> None:
    await store.put(("a",), "k", {"v": 1})
    await store.put(("a",), "k", {"v": 2})
    await store.delete(("a",), "k")
    await store.put(("a",), "k", {"v": 3})
    assert (await store.get(("a",), "k")).version == 1


async def test_values_are_json_copies(store) -> None:
    original = {"list": [1, {"n": 2}], "pair": (1, 2)}
    await store.put(("a",), "k", original)
    original["list"].append("changed after the put")

    item = await store.get(("a",), "k")
    assert item.value == {"list": [1, {"n": 2}], "pair": [1, 2]}  # a tuple comes back a list
    item.value["list"].clear()
    assert (await store.get(("a",), "k")).value["list"] == [1, {"n": 2}]


async def test_keys_are_converted_to_text_as_in_langgraph(store) -> None:
    await store.put(("a",), 5, {"v": 1})
    assert (await store.get(("a",), "5")).key == "5"


@pytest.mark.parametrize(
    ("value", "error", "words"),
    [
        ("text", TypeError, "dict of JSON data"),
        ([1, 2], TypeError, "dict of JSON data"),
        ({"when": datetime(2026, 1, 1)}, TypeError, "datetime is not"),
        ({"s": {1, 2}}, TypeError, "set is not"),
        ({1: "a"}, TypeError, "string dict keys"),
        ({"n": math.nan}, ValueError, "nan"),
        ({"n": [math.inf]}, ValueError, "inf"),
        ({"s": "a\x00b"}, ValueError, "NUL"),
        ({"s": "\udc80"}, ValueError, "surrogate"),
    ],
)
async def test_values_that_are_not_json_data_are_refused(store, value, error, words) -> None:
    with pytest.raises(error, match=words):
        await store.put(("a",), "k", value)
    assert await store.get(("a",), "k") is None


async def test_values_nested_too_deep_are_refused(store) -> None:
    deep: dict = {}
    inner = deep
    for _ in range(150):
        inner["x"] = {}
        inner = inner["x"]
    with pytest.raises(ValueError, match="levels deep"):
        await store.put(("a",), "k", deep)


async def test_ttl_is_not_supported_and_index_and_query_are_ignored(store) -> None:
    with pytest.raises(NotImplementedError, match="TTL is not supported"):
        await store.put(("a",), "k", {"v": 1}, ttl=5)
    await store.put(("a",), "k", {"v": 1}, index=["v"], ttl=None)
    await store.put(("a",), "j", {"v": 2}, index=False)
    assert await keys(store, ("a",), query="anything at all") == ["j", "k"]


# Namespaces -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("namespace", "words"),
    [
        ((), "cannot be empty"),
        (("langgraph", "x"), "'langgraph'"),
        (("a.b",), "period"),
        (("a", ""), "cannot be empty"),
        (("a\x00",), "NUL"),
        (("a", 1), "must be strings"),
        ("users", "tuple of string labels"),
    ],
)
async def test_invalid_namespaces_are_refused_as_langgraph_refuses_them(store, namespace, words) -> None:
    with pytest.raises(InvalidNamespaceError, match=words) as caught:
        await store.put(namespace, "k", {"v": 1})
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, EngineError)


async def test_reads_check_labels_but_allow_the_empty_and_reserved_namespace(store) -> None:
    for call in (store.get(("a.b",), "k"), store.search(("a", "")), store.list_namespaces(prefix=("a.b",)),
                 store.list_namespaces(suffix=("",)), store.delete(("x\x00",), "k")):
        with pytest.raises(InvalidNamespaceError):
            await call
    assert await store.search(("langgraph",)) == []
    assert await store.get(("langgraph",), "k") is None


async def test_search_prefix_is_exact_on_labels(store) -> None:
    namespaces = [("a",), ("a", "b"), ("a", "b", "c"), ("ab",), ("a-",), ("a%",), ("a_",), ("a", "*"), ("b", "a")]
    for i, ns in enumerate(namespaces):
        await store.put(ns, f"k{i}", {"i": i})

    def found(items):
        return sorted(item.namespace for item in items)

    assert found(await store.search(("a",), limit=100)) == [("a",), ("a", "*"), ("a", "b"), ("a", "b", "c")]
    assert found(await store.search(("a", "b"))) == [("a", "b"), ("a", "b", "c")]
    assert found(await store.search(("a%",))) == [("a%",)]
    assert found(await store.search(("a_",))) == [("a_",)]
    assert found(await store.search(("a", "*"))) == [("a", "*")]  # "*" is literal in search
    assert found(await store.search(("a", "b", "c", "d"))) == []
    assert len(await store.search((), limit=100)) == len(namespaces)


async def test_list_namespaces_follows_langgraph(store) -> None:
    # The example in LangGraph's BaseStore.list_namespaces docstring, and more.
    for ns in [("a", "b", "c"), ("a", "b", "d", "e"), ("a", "b", "d", "i"), ("a", "b", "f"), ("a", "c", "f")]:
        await store.put(ns, "k", {"v": 1})

    expected = [("a", "b", "c"), ("a", "b", "d"), ("a", "b", "f")]
    assert await store.list_namespaces(prefix=("a", "b"), max_depth=3) == expected
    assert await store.list_namespaces(max_depth=2) == [("a", "b"), ("a", "c")]
    assert await store.list_namespaces(suffix=("f",)) == [("a", "b", "f"), ("a", "c", "f")]
    assert await store.list_namespaces(prefix=("a", "*", "f")) == [("a", "b", "f"), ("a", "c", "f")]
    assert await store.list_namespaces(suffix=("d", "*")) == [("a", "b", "d", "e"), ("a", "b", "d", "i")]
    assert await store.list_namespaces(prefix=("a",), suffix=("c",)) == [("a", "b", "c")]
    assert await store.list_namespaces(limit=2, offset=1) == [("a", "b", "d", "e"), ("a", "b", "d", "i")]
    assert await store.list_namespaces(prefix=("a", "b", "c", "d")) == []
    assert await store.list_namespaces(max_depth=0) == [()]
    assert len(await store.list_namespaces()) == 5


async def test_list_namespaces_sorts_as_tuples_and_lists_only_namespaces_with_items(store) -> None:
    for ns in [("a-",), ("a", "z"), ("a",)]:
        await store.put(ns, "k", {"v": 1})
    await store.get(("never", "written"), "k")
    assert await store.list_namespaces() == [("a",), ("a", "z"), ("a-",)]
    await store.delete(("a", "z"), "k")
    assert await store.list_namespaces() == [("a",), ("a-",)]


@pytest.mark.parametrize("kwargs", [{"limit": -1}, {"offset": -1}, {"max_depth": -1}, {"limit": 1.5}])
async def test_negative_pages_are_refused(store, kwargs) -> None:
    with pytest.raises(ValueError, match="0 or more"):
        await store.list_namespaces(**kwargs)
    if "max_depth" not in kwargs:
        with pytest.raises(ValueError, match="0 or more"):
            await store.search((), **kwargs)


# Search order, pages, filters -----------------------------------------------------------------


async def test_search_returns_the_most_recently_written_first(store) -> None:
    for key in ["one", "two", "three"]:
        await store.put(("a",), key, {"k": key})
    await store.put(("a", "b"), "four", {"k": "four"})
    assert await keys(store) == ["four", "three", "two", "one"]

    await store.put(("a",), "one", {"k": "one again"})  # an overwrite moves it to the front
    assert await keys(store) == ["one", "four", "three", "two"]
    assert await keys(store, limit=2) == ["one", "four"]
    assert await keys(store, limit=2, offset=2) == ["three", "two"]
    assert await keys(store, offset=10) == []
    assert await keys(store, limit=0) == []
    assert all(item.score is None for item in await store.search(()))


async def test_filters_on_scalars_and_operators(store) -> None:
    values = {
        "a": {"kind": "note", "n": 1, "flag": True, "maybe": None},
        "b": {"kind": "note", "n": 2.5, "flag": False},
        "c": {"kind": "todo", "n": "3", "flag": 1},
        "d": {"kind": "Note", "n": 10},
    }
    for key, value in values.items():
        await store.put(("f",), key, value)

    async def found(flt) -> list[str]:
        return sorted(await keys(store, ("f",), filter=flt))

    assert await found({"kind": "note"}) == ["a", "b"]  # case matters
    assert await found({"kind": "note", "n": 1}) == ["a"]
    assert await found({"n": 1.0}) == ["a"]  # 1 == 1.0, as in JSON
    assert await found({"flag": True}) == ["a"]  # true is not 1
    assert await found({"flag": 1}) == ["c"]
    assert await found({"maybe": None}) == ["a", "b", "c", "d"]  # null or missing
    assert await found({"n": {"$gt": 1}}) == ["b", "d"]  # numbers only: "3" is a string
    assert await found({"n": {"$gte": 1, "$lt": 10}}) == ["a", "b"]
    assert await found({"n": {"$lte": 2.5}}) == ["a", "b"]
    assert await found({"n": {"$ne": 1}}) == ["b", "c", "d"]
    assert await found({"flag": {"$ne": True}}) == ["b", "c", "d"]
    assert await found({"missing": {"$ne": 1}}) == ["a", "b", "c", "d"]  # as LangGraph: missing != 1
    assert await found({"missing": {"$gt": 0}}) == []
    assert await found({"kind": {"$eq": "todo"}}) == ["c"]
    assert await found({"kind": {"$gt": "note"}}) == ["c"]  # strings by code point: "Note" < "note"
    assert await found({"kind": {"$lt": "a"}}) == ["d"]
    assert await found({}) == ["a", "b", "c", "d"]


async def test_filters_on_nested_objects_and_lists(store) -> None:
    await store.put(("f",), "a", {"meta": {"lang": "en", "tags": ["x", "y"]}, "pts": [1, {"z": 2}]})
    await store.put(("f",), "b", {"meta": {"lang": "fr"}, "pts": [1]})
    await store.put(("f",), "c", {"meta": "en", "pts": {"0": 1}})

    async def found(flt) -> list[str]:
        return sorted(await keys(store, ("f",), filter=flt))

    assert await found({"meta": {"lang": "en"}}) == ["a"]  # keys it does not name are not looked at
    assert await found({"meta": {}}) == ["a", "b"]  # an object, whatever it holds
    assert await found({"meta": {"tags": ["x", "y"]}}) == ["a"]
    assert await found({"meta": {"tags": ["x"]}}) == []  # a list matches by length too
    assert await found({"pts": [1, {}]}) == ["a"]
    assert await found({"pts": [1, {"z": {"$gt": 1}}]}) == ["a"]
    assert await found({"pts": [1]}) == ["b"]
    assert await found({"meta": {"tags": None}}) == ["b"]  # missing in b; c's meta is not an object


@pytest.mark.parametrize(
    ("flt", "error", "words"),
    [
        ({"n": {"$regex": "x"}}, ValueError, "unsupported filter operator"),
        ({"n": {"$gt": 1, "plain": 2}}, ValueError, "mixes operators"),
        ({"n": {"$gt": None}}, ValueError, "number or a string"),
        ({"n": {"$gt": True}}, ValueError, "number or a string"),
        ({"n": {"$eq": [1]}}, ValueError, "a condition is"),
        ({"n": math.nan}, ValueError, "finite"),
        ({"n": 1 << 70}, ValueError, "64 bits"),
        ({"n": object()}, ValueError, "a condition is"),
        ({"n\x00": 1}, ValueError, "NUL"),
        ({1: "x"}, TypeError, "must be strings"),
        (["n", 1], TypeError, "a search filter is a dict"),
    ],
)
async def test_bad_filters_are_refused(store, flt, error, words) -> None:
    with pytest.raises(error, match=words):
        await store.search((), filter=flt)


async def test_hostile_filter_keys_and_values_are_data(store) -> None:
    hostile = ["'); DROP TABLE store_items;--", 'a"b', "a'b", "%", "_", "a.b", "$.x", "[0]", "\\", "é", "*"]
    for i, key in enumerate(hostile):
        await store.put(("h",), f"k{i}", {key: key, "i": i})

    for i, key in enumerate(hostile):
        assert await keys(store, ("h",), filter={key: key}) == [f"k{i}"], key
        assert await keys(store, ("h",), filter={key: {"$eq": key}, "i": i}) == [f"k{i}"], key
        assert await keys(store, ("h",), filter={"i": i, key: "%"}) == (["k3"] if key == "%" else [])
    assert await keys(store, ("h",), filter={"%": "_"}) == []
    assert len(await store.search(("h",), limit=100)) == len(hostile)  # the table is still there


# Optimistic concurrency -----------------------------------------------------------------------


async def test_expected_version_writes_only_over_the_version_read(store) -> None:
    await store.put(("c",), "k", {"v": 1}, expected_version=0)  # 0: must not exist yet
    await store.put(("c",), "k", {"v": 2}, expected_version=1)
    assert (await store.get(("c",), "k")).version == 2

    with pytest.raises(ConflictError) as caught:
        await store.put(("c",), "k", {"v": "stale"}, expected_version=1)
    error = caught.value
    assert (error.namespace, error.key, error.expected, error.found) == (("c",), "k", 1, 2)
    assert isinstance(error, EngineError)
    message = str(error)
    assert all(part in message for part in ("('c',)", "'k'", "version 1", "version 2", "Re-read", "retry"))
    assert (await store.get(("c",), "k")).value == {"v": 2}  # nothing was written


async def test_expected_version_zero_refuses_an_existing_item(store) -> None:
    await store.put(("c",), "k", {"v": 1})
    with pytest.raises(ConflictError) as caught:
        await store.put(("c",), "k", {"v": 2}, expected_version=0)
    assert (caught.value.expected, caught.value.found) == (0, 1)
    assert "version 0 (absent)" in str(caught.value)


async def test_expected_version_of_a_missing_item_finds_0(store) -> None:
    with pytest.raises(ConflictError) as caught:
        await store.put(("c",), "gone", {"v": 1}, expected_version=3)
    assert (caught.value.expected, caught.value.found) == (3, 0)
    assert await store.get(("c",), "gone") is None


async def test_a_conditional_delete(store) -> None:
    await store.put(("c",), "k", {"v": 1})
    await store.put(("c",), "k", {"v": 2})
    with pytest.raises(ConflictError):
        await store.put(("c",), "k", None, expected_version=1)
    assert await store.get(("c",), "k") is not None
    await store.put(("c",), "k", None, expected_version=2)
    assert await store.get(("c",), "k") is None
    await store.put(("c",), "k", None, expected_version=0)  # absent, as expected: nothing to do


@pytest.mark.parametrize("bad", [-1, True, 1.0, "1"])
async def test_bad_expected_versions_are_refused(store, bad) -> None:
    with pytest.raises(ValueError, match="expected_version"):
        await store.put(("c",), "k", {"v": 1}, expected_version=bad)
