"""Same import path as LangGraph's ``langgraph.checkpoint.sqlite.aio``."""

from engine.checkpoint.sqlite.saver import AsyncSqliteSaver

__all__ = ["AsyncSqliteSaver"]
