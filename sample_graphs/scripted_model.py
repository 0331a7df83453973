"""A deterministic stand-in for an LLM: it reads the conversation and answers by rule.

There is no network at run time, so the sample agents use this model: asked to calculate
``a <op> b`` it calls the calculator tool, given the tool's result it answers with it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from engine.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

_EXPRESSION = re.compile(r"(-?\d+(?:\.\d+)?)\s*([-+*/x×])\s*(-?\d+(?:\.\d+)?)")
_TOOLS = {"+": "add", "-": "subtract", "*": "multiply", "x": "multiply", "×": "multiply", "/": "divide"}


_SYMBOLS = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/"}


def _shown(number: object) -> str:
    return str(int(number)) if isinstance(number, float) and number.is_integer() else str(number)


def _expression_of(messages: Sequence[BaseMessage], result: ToolMessage) -> str:
    """``10 + 20``: the call the tool answered, from its arguments (so an edited call reads as
    edited), else the question's expression, else ``That``."""
    for message in reversed(messages):
        for call in getattr(message, "tool_calls", None) or []:
            args = call.get("args") or {}
            if call.get("id") == result.tool_call_id and {"a", "b"} <= set(args) and call.get("name") in _SYMBOLS:
                return f"{_shown(args['a'])} {_SYMBOLS[call['name']]} {_shown(args['b'])}"
    question = next((m for m in reversed(messages) if isinstance(m, HumanMessage)), None)
    subject = _EXPRESSION.search(str(question.content)) if question else None
    return subject.group(0) if subject else "That"


class ScriptedCalculatorModel:
    """Answers like a tool-calling model would, deterministically.

    ``invoke(messages)`` returns an :class:`AIMessage`: a ``tool_calls`` request for a question
    holding ``a <op> b``, the tool's result as a sentence after a tool message, or a plain reply.
    Tool call ids are ``call_<n>`` numbered by the conversation's length, so runs repeat exactly.
    """

    def invoke(self, messages: Sequence[BaseMessage]) -> AIMessage:
        last = messages[-1]
        if isinstance(last, ToolMessage):
            return AIMessage(f"{_expression_of(messages, last)} = {last.content}")
        match = _EXPRESSION.search(str(last.content))
        if isinstance(last, HumanMessage) and match:
            a, op, b = match.groups()
            return AIMessage(
                "",
                tool_calls=[
                    {
                        "name": _TOOLS[op],
                        "args": {"a": float(a), "b": float(b)},
                        "id": f"call_{len(messages)}",
                    }
                ],
            )
        return AIMessage("I can calculate expressions such as 'Calculate 10 + 20'.")
