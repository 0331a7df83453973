"""``InMemoryStore`` on its own: what only it takes (``index``, a clock) and threads sharing it."""

from __future__ import annotations

import dataclasses
import pickle
import threading
from datetime import UTC, datetime

import pytest

from engine.store import ConflictError, InMemoryStore, SearchItem


def test_an_index_config_is_refused_not_ignored() -> None:
    with pytest.raises(NotImplementedError, match="semantic search"):
        InMemoryStore(index={"dims": 3, "embed": lambda texts: [[0.0] * 3 for _ in texts]})


def test_a_clock_must_give_aware_times() -> None:
    store = InMemoryStore(clock=lambda: datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="aware datetime"):
        store.put(("a",), "k", {"v": 1})
    assert store.get(("a",), "k") is None


def test_threads_incrementing_with_expected_version_lose_no_update() -> None:
    store = InMemoryStore()
    store.put(("c",), "n", {"n": 0})

    def increment(times: int) -> None:
        for _ in range(times):
            while True:
                item = store.get(("c",), "n")
                try:
                    store.put(("c",), "n", {"n": item.value["n"] + 1}, expected_version=item.version)
                    break
                except ConflictError:
                    continue  # another thread wrote first: read again and retry

    threads = [threading.Thread(target=increment, args=(200,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    item = store.get(("c",), "n")
    assert item.value == {"n": 800} and item.version == 801


def test_items_are_frozen_hashable_and_dict_as_langgraph_items() -> None:
    store = InMemoryStore(clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    store.put(("a", "b"), "k", {"v": [1]})
    item = store.get(("a", "b"), "k")
    (found,) = store.search(("a",))
    assert isinstance(found, SearchItem) and found.score is None
    assert hash(item) == hash(found) == hash((("a", "b"), "k"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.version = 5  # type: ignore[misc]
    assert found.dict() == {
        "namespace": ["a", "b"], "key": "k", "value": {"v": [1]}, "created_at": "2026-01-01T00:00:00+00:00",
        "updated_at": "2026-01-01T00:00:00+00:00", "version": 1, "score": None,
    }


def test_a_conflict_error_survives_pickling() -> None:
    error = pickle.loads(pickle.dumps(ConflictError(("a",), "k", 1, 2)))
    assert (error.namespace, error.key, error.expected, error.found) == (("a",), "k", 1, 2)
    assert "version 2" in str(error)
