"""Graph building: same names and import path as ``langgraph.graph``."""

from engine.constants import END, START
from engine.graph.compiled import CompiledStateGraph
from engine.graph.message import MessagesState, add_messages
from engine.graph.state import StateGraph

__all__ = ["END", "START", "CompiledStateGraph", "MessagesState", "StateGraph", "add_messages"]
