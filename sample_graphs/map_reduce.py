"""Map-reduce with ``Send`` (the seeds' parallel fan-out, done with a task per item): ``plan``
sends each topic to its own ``summarize`` task, all in one super-step, and ``reduce`` folds the
summaries, which ``operator.add`` keeps in the order the topics were sent."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from engine.graph import END, START, StateGraph
from engine.types import Send


class Topics(TypedDict, total=False):
    topics: list[str]
    summaries: Annotated[list[str], operator.add]
    report: str


class Topic(TypedDict):
    topic: str


def plan(state: Topics) -> dict:
    return {"topics": [t.strip() for t in state["topics"] if t.strip()]}


def fan_out(state: Topics) -> list[Send]:
    return [Send("summarize", Topic(topic=t)) for t in state["topics"]]


def summarize(item: Topic) -> dict:
    words = item["topic"].split()
    return {"summaries": [f"{item['topic']}: {len(words)} word{'s' * (len(words) != 1)}"]}


def reduce(state: Topics) -> dict:
    return {"report": f"{len(state['summaries'])} topics summarised: " + "; ".join(state["summaries"])}


graph = StateGraph(Topics)
graph.add_node("plan", plan).add_node("summarize", summarize).add_node("reduce", reduce)
graph.add_edge(START, "plan")
graph.add_conditional_edges("plan", fan_out, ["summarize"])
graph.add_edge("summarize", "reduce").add_edge("reduce", END)

TOPICS = {"topics": ["checkpoint storage", "reducers", "super-step semantics"]}
