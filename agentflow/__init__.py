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
    "build_backend": "agentflow.models",
    "ToolSpec": "agentflow.tools.spec",
    "Graph": "agentflow.graph",
    "START": "agentflow.graph",
    "END": "agentflow.graph",
    "field": "agentflow.graph",
    "Joined": "agentflow.graph",
    "ALL": "agentflow.graph",
    "FIRST": "agentflow.graph",
    "quorum": "agentflow.graph",
    "RunResult": "agentflow.graph",
    "load_pdl": "agentflow.pdl",
    "PdlDocument": "agentflow.pdl",
    "Conversation": "agentflow.runner.conversation",
    "Orchestration": "agentflow.runner.orchestration",
    "Workflow": "agentflow.runner.conversation",
    "SessionResult": "agentflow.guided.run",
    "load_workflow": "agentflow.runner.workflows",
    "WorkflowResult": "agentflow.executed",
    "RoleSpec": "agentflow.roles.spec",
    "RoleLibrary": "agentflow.roles",
    "call_role": "agentflow.roles",
    "call_role_sync": "agentflow.roles",
    "build_stack": "agentflow.models",
    "complete_typed": "agentflow.backends.structured",
    "ModelOptions": "agentflow.models",
    "open_store": "agentflow.store",
    "run_durable": "agentflow.runner.durable_entry",
    "evaluate": "agentflow.eval.harness",
    "evaluate_sync": "agentflow.eval.harness",
    "load_dataset": "agentflow.eval.dataset",
    "GraphBuildError": "agentflow.errors",
    "StepBudgetExceeded": "agentflow.errors",
}

__all__ = [
    "ALL",
    "END",
    "FIRST",
    "START",
    "Action",
    "AgentTurn",
    "AgentflowError",
    "Answer",
    "Backend",
    "BudgetExceeded",
    "ChatMessage",
    "ChatRequest",
    "ChatResponse",
    "Conversation",
    "Critique",
    "Envelope",
    "Event",
    "EventBus",
    "Graph",
    "GraphBuildError",
    "Joined",
    "JsonlTraceWriter",
    "Lesson",
    "Message",
    "ModelOptions",
    "Observation",
    "Orchestration",
    "PdlDocument",
    "Plan",
    "PlanStep",
    "Revision",
    "RoleLibrary",
    "RoleSpec",
    "RunError",
    "RunResult",
    "SessionResult",
    "StepBudgetExceeded",
    "Task",
    "ToolCall",
    "ToolDef",
    "ToolSpec",
    "Usage",
    "UserError",
    "UserTurn",
    "Verdict",
    "Workflow",
    "WorkflowResult",
    "__version__",
    "build_backend",
    "build_stack",
    "call_role",
    "call_role_sync",
    "complete_typed",
    "evaluate",
    "evaluate_sync",
    "field",
    "load_dataset",
    "load_pdl",
    "load_workflow",
    "open_store",
    "quorum",
    "run_durable",
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
    from agentflow.backends.structured import complete_typed
    from agentflow.errors import (
        AgentflowError,
        BudgetExceeded,
        GraphBuildError,
        RunError,
        StepBudgetExceeded,
        UserError,
    )
    from agentflow.eval.dataset import load_dataset
    from agentflow.eval.harness import evaluate, evaluate_sync
    from agentflow.events import Event, EventBus, JsonlTraceWriter
    from agentflow.executed import WorkflowResult
    from agentflow.graph import ALL, END, FIRST, START, Graph, Joined, RunResult, field, quorum
    from agentflow.guided.run import SessionResult
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
    from agentflow.models import ModelOptions, build_backend, build_stack
    from agentflow.pdl import PdlDocument, load_pdl
    from agentflow.roles import RoleLibrary, call_role, call_role_sync
    from agentflow.roles.spec import RoleSpec
    from agentflow.runner.conversation import Conversation, Workflow
    from agentflow.runner.durable_entry import run_durable
    from agentflow.runner.orchestration import Orchestration
    from agentflow.runner.workflows import load_workflow
    from agentflow.store import open_store
    from agentflow.tools.spec import ToolSpec
