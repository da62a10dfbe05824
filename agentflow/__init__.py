"""agentflow: multi-agent LLM systems of prompt-level agents, with procedures that models follow.

The public API is exactly what ``__all__`` lists (a test pins it); everything else is private.
Names load lazily on first access, so ``import agentflow`` costs almost nothing and never imports
pydantic-heavy modules, provider SDKs, torch or vLLM until they are used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "AgentflowError": "agentflow.errors",
    "UserError": "agentflow.errors",
    "RunError": "agentflow.errors",
    "BudgetExceeded": "agentflow.errors",
    "Message": "agentflow.messages",
    "Envelope": "agentflow.messages",
    "Usage": "agentflow.messages",
    "Task": "agentflow.messages",
    "Plan": "agentflow.messages",
    "PlanStep": "agentflow.messages",
    "Action": "agentflow.messages",
    "Observation": "agentflow.messages",
    "Critique": "agentflow.messages",
    "Verdict": "agentflow.messages",
    "Revision": "agentflow.messages",
    "Lesson": "agentflow.messages",
    "Answer": "agentflow.messages",
    "UserTurn": "agentflow.messages",
    "AgentTurn": "agentflow.messages",
    "Event": "agentflow.events",
    "EventBus": "agentflow.events",
    "JsonlTraceWriter": "agentflow.events",
    "Backend": "agentflow.backends.base",
    "ChatMessage": "agentflow.backends.base",
    "ChatRequest": "agentflow.backends.base",
    "ChatResponse": "agentflow.backends.base",
    "ToolCall": "agentflow.backends.base",
    "ToolDef": "agentflow.backends.base",
    "build_backend": "agentflow.backends.registry",
    "ToolSpec": "agentflow.tools.spec",
}

__all__ = [
    "Action",
    "AgentTurn",
    "AgentflowError",
    "Answer",
    "Backend",
    "BudgetExceeded",
    "ChatMessage",
    "ChatRequest",
    "ChatResponse",
    "Critique",
    "Envelope",
    "Event",
    "EventBus",
    "JsonlTraceWriter",
    "Lesson",
    "Message",
    "Observation",
    "Plan",
    "PlanStep",
    "Revision",
    "RunError",
    "Task",
    "ToolCall",
    "ToolDef",
    "ToolSpec",
    "Usage",
    "UserError",
    "UserTurn",
    "Verdict",
    "__version__",
    "build_backend",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agentflow' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # cache: later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover - static view of the lazy names
    from agentflow.backends.base import Backend, ChatMessage, ChatRequest, ChatResponse, ToolCall, ToolDef
    from agentflow.backends.registry import build_backend
    from agentflow.errors import AgentflowError, BudgetExceeded, RunError, UserError
    from agentflow.events import Event, EventBus, JsonlTraceWriter
    from agentflow.messages import (
        Action,
        AgentTurn,
        Answer,
        Critique,
        Envelope,
        Lesson,
        Message,
        Observation,
        Plan,
        PlanStep,
        Revision,
        Task,
        Usage,
        UserTurn,
        Verdict,
    )
    from agentflow.tools.spec import ToolSpec
