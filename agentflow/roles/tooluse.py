"""Tools a role may call while it works (the role file's ``tools:`` list).

A role with tools gets their definitions in its request; when the model answers with tool calls,
each call runs, its result goes back as a ``tool`` message, and the model is asked again — at most
``tool_rounds`` times — before its final, typed answer. Tool failures are shown to the model as
``{"error": ...}`` results (it can recover), never raised.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agentflow.backends.base import ChatMessage, ToolCall
from agentflow.events import EventBus
from agentflow.tools.spec import ToolSpec

__all__ = ["RoleTool", "run_tool_calls"]


@dataclass(frozen=True)
class RoleTool:
    """A tool offered to a role: its spec (shown to the model) and how to run it."""

    spec: ToolSpec
    run: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


async def run_tool_calls(
    calls: Sequence[ToolCall], tools: Mapping[str, RoleTool], *, role: str, bus: EventBus | None
) -> list[ChatMessage]:
    """Run the model's tool calls in order; return the ``tool`` messages with their results."""
    out: list[ChatMessage] = []
    for call in calls:
        tool = tools.get(call.name)
        if tool is None:
            result: dict[str, Any] = {"error": f"unknown tool {call.name!r}; available: {', '.join(sorted(tools))}"}
            status = "blocked"
        else:
            try:
                result = await tool.run(dict(call.arguments))
                status = "executed"
            except Exception as exc:  # the model sees the failure and may recover
                result = {"error": f"{type(exc).__name__}: {exc}"}
                status = "executed"
        if bus is not None:
            bus.emit("tool_call", name=call.name, args=dict(call.arguments), status=status, role=role)
            bus.emit("tool_result", name=call.name, result=result, role=role)
        out.append(ChatMessage(role="tool", content=json.dumps(result, ensure_ascii=False, default=str),
                               tool_call_id=call.id, name=call.name))
    return out
