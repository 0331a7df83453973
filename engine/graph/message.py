"""``MessagesState``: the ready-made chat state, as in LangGraph's ``langgraph.graph.message``."""

# No ``from __future__ import annotations``: subclasses in other modules must resolve these
# hints with ``typing.get_type_hints`` without seeing this module's names.
from typing import Annotated, TypedDict

from engine.messages import REMOVE_ALL_MESSAGES, AnyMessage, RemoveMessage, add_messages

__all__ = ["REMOVE_ALL_MESSAGES", "MessagesState", "RemoveMessage", "add_messages"]


class MessagesState(TypedDict):
    """State with one ``messages`` channel merged by ``add_messages``.

    Subclass it to add keys: ``class ChatState(MessagesState): user_name: str``.
    """

    messages: Annotated[list[AnyMessage], add_messages]  # PARALLEL-SAFE: add_messages appends, replacing by id
