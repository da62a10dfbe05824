"""RunModels from the SDK: one ledger, cache, recording and budget shared by every role of a run."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentflow.backends.base import ChatRequest
from agentflow.errors import BudgetExceeded, UserError
from agentflow.models import ModelOptions, ModelStack, RunModels
from agentflow.runner import Workflow
from agentflow.runner.workflows import load_workflow
from agentflow.testing import FunctionBackend, synthesize

from .conftest import AGENT_SCRIPT, FLIGHT, FLIGHT_TOOLS, GVR


def _schema_answer(request: ChatRequest) -> object:
    assert request.response_schema is not None
    return synthesize(request.response_schema)


def test_stacks_are_built_once_per_spec_and_share_the_ledger() -> None:
    models = RunModels(ModelOptions(max_calls=10))
    backends = models.resolve("test", ["agent", "oow_classifier", "user_simulator"], speaker="agent")
    assert len({id(b) for b in backends.values()}) == 1 and isinstance(backends["agent"], ModelStack)
    per_role = models.resolve({"*": "test", "judge": f"scripted:{AGENT_SCRIPT}"})
    assert per_role("critic") is per_role("refiner")
    assert per_role("judge") is not per_role("critic")
    assert per_role("judge").position == 0  # the script's cursor shows through the stack
    assert models.budget is not None and models.budget.max_calls == 10
    assert len(models.backends()) == 2  # "test" once (whatever role asked), the script once


def test_roles_naming_the_same_model_share_one_copy() -> None:
    """`--backend critic=local --backend judge=local` must load the model once (so the calls batch)."""
    models = RunModels(ModelOptions())
    per_role = models.resolve({"*": "test", "critic": "test", "judge": "test"})
    assert per_role("critic") is per_role("judge") is per_role("refiner")
    scripts = models.resolve({"critic": f"scripted:{AGENT_SCRIPT}", "judge": f"scripted:{AGENT_SCRIPT}"})
    assert scripts("critic") is not scripts("judge")  # a script speaks only for the role that names it


async def test_one_budget_spans_every_role_of_an_executed_run() -> None:
    fn = FunctionBackend(_schema_answer)
    wf = load_workflow(GVR)
    models = RunModels(ModelOptions(max_calls=3))
    result = await wf.run({"question": "q"}, backend={"*": fn}, models=models)
    assert result.status == "budget_exhausted" and isinstance(result.error, BudgetExceeded)
    assert result.error.budget == "calls" and result.error.limit == 3
    assert len(fn.requests) == 3  # solver, critic, refiner: three different roles, one budget
    by_role = models.by_role()
    assert {role: t["calls"] for role, t in by_role.items()} == {"solver": 1, "critic": 1, "refiner": 1}
    assert models.totals()["model_calls"] == 3


async def test_app_objects_pass_through_unless_options_ask_for_wrapping() -> None:
    fn = FunctionBackend(_schema_answer)
    plain = RunModels()
    assert plain.resolve(fn)("solver") is fn
    cached = RunModels(ModelOptions(cache=":memory:"))
    wrapped = cached.resolve(fn)("solver")
    assert wrapped is not fn and wrapped is cached.resolve(fn)("critic")


async def test_guided_sdk_run_with_cache_and_ledger_totals(tmp_path: Path) -> None:
    wf = Workflow.load(FLIGHT)
    db = tmp_path / "c.sqlite"
    users = ["I want to book flight CA1234 at 12 o'clock on January 7, 2199.", "Economy Class please."]
    first = await wf.run(users, backend="test", tools=str(FLIGHT_TOOLS), classifier="rules",
                         models=ModelOptions(cache=db))
    second = await wf.run(users, backend="test", tools=str(FLIGHT_TOOLS), classifier="rules",
                          models=ModelOptions(cache=db))
    assert first.replies == second.replies
    calls = first.totals["llm_calls"]  # the session's own count of agent calls
    assert calls >= len(users)
    assert first.totals["models"]["model_calls"] == calls and first.totals["models"]["cache_hits"] == 0
    assert first.totals["models"]["by_role"]["agent"]["calls"] == calls
    assert second.totals["models"]["model_calls"] == 0 and second.totals["models"]["cache_hits"] == calls


def test_bad_options_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot be used together"):
        ModelOptions(record="a.jsonl", replay="b.jsonl")
    with pytest.raises(UserError, match="--max-calls must not be negative"):
        ModelOptions(max_calls=-1)
    with pytest.raises(UserError, match="cannot read recording"):
        RunModels(ModelOptions(replay=tmp_path / "missing.jsonl"))
    assert ModelOptions(retries=0).retry_for("openai:gpt-4o") is None
    policy = ModelOptions(retries=2).retry_for("openai:gpt-4o")
    assert policy is not None and policy.attempts == 3
    assert ModelOptions().retry_for("test") is None
