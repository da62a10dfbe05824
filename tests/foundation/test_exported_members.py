"""Pins the public API: adding or removing a public name is a deliberate change to this list."""

from __future__ import annotations

import agentflow

EXPECTED = {
    "ALL",
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
    "END",
    "Envelope",
    "Event",
    "EventBus",
    "FIRST",
    "Graph",
    "GraphBuildError",
    "Joined",
    "JsonlTraceWriter",
    "Lesson",
    "Message",
    "ModelOptions",
    "Observation",
    "PdlDocument",
    "Plan",
    "PlanStep",
    "Revision",
    "RoleLibrary",
    "RoleSpec",
    "RunError",
    "RunResult",
    "START",
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
    "Conversation",
    "Orchestration",
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
}


def test_all_is_exactly_the_public_api() -> None:
    assert set(agentflow.__all__) == EXPECTED


def test_every_exported_name_resolves() -> None:
    for name in agentflow.__all__:
        assert getattr(agentflow, name) is not None, name


def test_private_names_are_not_exported() -> None:
    assert all(not n.startswith("_") or n == "__version__" for n in agentflow.__all__)
    try:
        agentflow.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("unknown attribute must raise AttributeError")


def test_lazy_table_matches_all() -> None:
    assert set(agentflow._EXPORTS) | {"__version__"} == set(agentflow.__all__)
