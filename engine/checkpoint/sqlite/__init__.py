"""SQLite checkpoints: the saver the engine writes with and the reader the debugger uses."""

from engine.checkpoint.sqlite.reader import (
    CheckpointDetail,
    CheckpointNotFoundError,
    CheckpointReader,
    CheckpointSummary,
    ThreadSummary,
)
from engine.checkpoint.sqlite.saver import AsyncSqliteSaver
from engine.checkpoint.sqlite.sync import SqliteSaver

__all__ = [
    "AsyncSqliteSaver",
    "CheckpointDetail",
    "CheckpointNotFoundError",
    "CheckpointReader",
    "CheckpointSummary",
    "SqliteSaver",
    "ThreadSummary",
]
