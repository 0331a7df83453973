"""``SqliteSaver``: the SQLite saver for synchronous code, as LangGraph's ``SqliteSaver``.

``with SqliteSaver.from_conn_string("checkpoints.db") as saver:`` then ``graph.invoke(...,
config)``. The connection lives on the engine's background event loop, the one the sync API
(``invoke``, ``stream``, ``get_state``, ...) runs graphs on (see :mod:`engine.sync`), so the run
loop uses it through the same async methods as :class:`AsyncSqliteSaver`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from engine.checkpoint.serde import JsonSerializer
from engine.checkpoint.sqlite.saver import AsyncSqliteSaver
from engine.sync import run_sync


class SqliteSaver(AsyncSqliteSaver):
    """Same store and schema as :class:`AsyncSqliteSaver`, opened and read from sync code.

    Don't use it from inside a running event loop (an async node, a notebook cell's loop):
    use :class:`AsyncSqliteSaver` there, as LangGraph asks.
    """

    @classmethod
    @contextmanager
    def from_conn_string(  # type: ignore[override]
        cls, path: str | Path, serde: JsonSerializer | None = None
    ) -> Iterator[SqliteSaver]:
        """Open or create the database at ``path`` (``":memory:"`` for a private one) and close
        it on leaving the ``with`` block.

        Raises:
            NotARetraceDatabaseError, SchemaTooNewError: the file is not ours, or is newer.
            RuntimeError: called from inside a running event loop.
        """
        saver = run_sync(cls.open(path, serde))
        try:
            yield saver  # type: ignore[misc]
        finally:
            run_sync(saver.close())
