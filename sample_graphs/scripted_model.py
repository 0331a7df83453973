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


class ScriptedCalculatorModel:
    """Answers like a tool-calling model would, deterministically.

    ``invoke(messages)`` returns an :class:`AIMessage`: a ``tool_calls`` request for a question
    holding ``a <op> b``, the tool's result as a sentence after a tool message, or a plain reply.
    Tool call ids are ``call_<n>`` numbered by the conversation's length, so runs repeat exactly.
    """

    def invoke(self, messages: Sequence[BaseMessage]) -> AIMessage:
        last = messages[-1]
        if isinstance(last, ToolMessage):
            question = next((m for m in reversed(messages) if isinstance(m, HumanMessage)), None)
            subject = _EXPRESSION.search(str(question.content)) if question else None
            expression = subject.group(0) if subject else "That"
            return AIMessage(f"{expression} = {last.content}")
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
