"""agentflow: multi-agent LLM systems of prompt-level agents, with procedures that models follow.

The public API is what ``__all__`` lists; everything else is private and may change.
"""

from __future__ import annotations

__version__ = "0.1.0"

from agentflow.backends.base import Backend, ChatMessage, ChatRequest, ChatResponse, ToolCall, ToolDef
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
]
