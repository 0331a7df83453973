"""Shared fixtures for the engine and checkpoint tests: one saver of each kind."""

from __future__ import annotations

import pytest

from engine.checkpoint.memory import InMemorySaver
from engine.checkpoint.sqlite import AsyncSqliteSaver


@pytest.fixture
async def sqlite_saver():
    """A private in-memory SQLite saver (its ``conn`` can be queried directly)."""
    saver = await AsyncSqliteSaver.open(":memory:")
    yield saver
    await saver.close()


@pytest.fixture(params=["memory", "sqlite"])
async def saver(request):
    """Each checkpoint saver in turn: ``InMemorySaver`` and an in-memory ``AsyncSqliteSaver``."""
    if request.param == "memory":
        yield InMemorySaver()
        return
    saver = await AsyncSqliteSaver.open(":memory:")
    yield saver
    await saver.close()
