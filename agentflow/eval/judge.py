"""Session judges: decide whether a session succeeded, with a 0-10 score and a task-progress share.

* :class:`RuleJudge` (``--judge rules``, the default) decides from the audited facts: the run ended,
  every expected API executed, no violation leaked, and the answer matched when one is expected.
  Deterministic and free: the right judge for regression runs and CI.
* :class:`BackendJudge` (``--judge model``) asks a model in the ``judge`` role — FlowAgent's protocol —
  with the transcript and the expectations, under a JSON schema. Per-role backend overrides
  (``--backend judge=openai:gpt-4o``) pick its model.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentflow.backends.base import Backend, ChatMessage, ChatRequest
from agentflow.eval.dataset import EvalCase
from agentflow.eval.facts import SessionFacts, answers_match
from agentflow.eval.outcome import SessionOutcome

__all__ = ["BackendJudge", "Judge", "RuleJudge", "SessionVerdict"]


class SessionVerdict(BaseModel):
    """A judge's decision about one session."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    success: bool
    score: float = Field(ge=0, le=10)
    progress: float | None = Field(default=None, ge=0, le=1)
    reason: str = ""


class Judge(Protocol):
    """Decides whether a session succeeded."""

    async def __call__(self, case: EvalCase, outcome: SessionOutcome, facts: SessionFacts) -> SessionVerdict: ...


def _progress(case: EvalCase, facts: SessionFacts) -> float | None:
    if not case.expected_apis:
        return None
    compliant = {n for n in facts.executed if n not in facts.leaked}
    return len(set(case.expected_apis) & compliant) / len(set(case.expected_apis))


class RuleJudge:
    """Success = ran to the end, expected APIs all executed, nothing leaked, the answer matched."""

    async def __call__(self, case: EvalCase, outcome: SessionOutcome, facts: SessionFacts) -> SessionVerdict:
        progress = _progress(case, facts)
        problems: list[str] = []
        if outcome.status == "budget_exhausted":
            problems.append(f"budget_exhausted: {outcome.error or 'a model budget stopped the session'}")
        elif outcome.error:
            problems.append(f"run failed: {outcome.error}")
        elif not facts.finished:
            problems.append(f"run ended with status {facts.status!r}")
        missing = sorted(set(case.expected_apis) - set(facts.executed))
        if missing:
            problems.append(f"expected APIs not executed: {', '.join(missing)}")
        if facts.leaked:
            problems.append(f"leaked violations: {', '.join(facts.leaked)}")
        if case.expected_answer is not None and not answers_match(case.expected_answer, outcome.answer):
            problems.append("answer does not match the expected answer")
        success = not problems
        base = progress if progress is not None else (1.0 if facts.finished else 0.0)
        score = 10.0 if success else round(9.0 * base, 2)
        return SessionVerdict(success=success, score=score, progress=progress,
                       reason="; ".join(problems) or "all checks passed")


_JUDGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "success": {"type": "boolean"},
        "score": {"type": "integer", "minimum": 0, "maximum": 10},
        "progress": {"type": "number", "minimum": 0, "maximum": 1},
        "reason": {"type": "string"},
    },
    "required": ["success", "score", "progress", "reason"],
    "additionalProperties": False,
}

_SYSTEM = (
    "You judge a customer-service session run by an agent that must follow a procedure. Decide whether "
    "the user's goal was achieved while the procedure was respected. Give success (true/false), a score "
    "from 0 to 10, the share of the procedure completed (progress, 0..1) and a one-sentence reason."
)


def _render(case: EvalCase, outcome: SessionOutcome, facts: SessionFacts) -> str:
    lines = [f"Workflow: {case.tags.get('workflow', case.workflow)}"]
    if case.user and case.user.profile:
        lines.append("User needs: " + str(case.user.profile.get("user_needs", ""))[:600])
    if case.expected_apis:
        lines.append("Expected API calls: " + ", ".join(case.expected_apis))
    if case.expected_answer is not None:
        lines.append(f"Expected answer: {case.expected_answer!r}; final answer: {outcome.answer!r}")
    lines.append("Transcript:")
    for item in facts.transcript:
        who = item["who"]
        if who in ("user", "agent"):
            lines.append(f"{who.upper()}: {item['text']}")
        elif who == "call":
            lines.append(f"API CALL {item['name']}({json.dumps(item['args'], ensure_ascii=False)})")
        elif who == "blocked":
            lines.append(f"BLOCKED {item['name']}: {item['reason']}")
        elif who == "result":
            lines.append(f"API RESULT {item['name']}: {json.dumps(item['result'], ensure_ascii=False)[:300]}")
    lines.append(f"Run status: {facts.status}")
    return "\n".join(lines)


class BackendJudge:
    """FlowAgent-style model judge (role ``judge``); unparseable output counts as a failed session."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    async def __call__(self, case: EvalCase, outcome: SessionOutcome, facts: SessionFacts) -> SessionVerdict:
        request = ChatRequest(
            messages=(ChatMessage(role="system", content=_SYSTEM),
                      ChatMessage(role="user", content=_render(case, outcome, facts))),
            response_schema=_JUDGE_SCHEMA, response_schema_name="verdict", temperature=0.0, seed=case.seed,
            metadata={"role": "judge"},
        )
        response = await self.backend.complete(request)
        try:
            return SessionVerdict.model_validate(json.loads(response.text))
        except (json.JSONDecodeError, ValidationError) as exc:
            return SessionVerdict(success=False, score=0, reason=f"judge output unreadable: {str(exc)[:120]}")
