"""One scored session: the small, JSON-ready row every engine returns and the report aggregates.

Records carry no timings, so the same sessions give byte-identical records on every engine.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from agentflow.eval.dataset import EvalCase
from agentflow.eval.facts import SessionFacts, answers_match
from agentflow.eval.judge import SessionVerdict
from agentflow.eval.outcome import SessionOutcome

__all__ = ["SessionRecord", "build_record"]


class SessionRecord(BaseModel):
    """Everything the report needs to know about one session."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: str
    workflow: str
    oow_category: str
    oow_subtype: str
    seed: int
    status: str
    error: str | None = None
    success: bool
    score: float
    progress: float | None
    reason: str = ""
    executed: int = 0
    compliant: int = 0
    blocked: int = 0
    leaked: int = 0
    tool_precision: float | None = None
    tool_recall: float | None = None
    tool_f1: float | None = None
    turns: int = 0
    turns_to_completion: int | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    llm_calls: int = 0
    oow_detected: bool | None = None
    correct: bool | None = None
    first_correct: bool | None = None
    turn_scores: list[float] = Field(default_factory=list)
    trace: str | None = None


def build_record(case: EvalCase, outcome: SessionOutcome, facts: SessionFacts, verdict: SessionVerdict,
                 *, trace: str | None = None) -> SessionRecord:
    """Combine a case, what its session did and the judge's verdict into a record."""
    precision, recall, f1 = facts.tool_scores(case.expected_apis)
    detected: bool | None = None
    if case.oow and facts.user_turns >= case.oow[0].turn:  # the deviation happened: was it recognised?
        detected = any(cat == case.oow_category for cat, _ in facts.oow_seen)
    correct = first = None
    if case.expected_answer is not None:
        correct = answers_match(case.expected_answer, outcome.answer)
        if outcome.drafts:
            first = answers_match(case.expected_answer, outcome.drafts[0])
    status = outcome.status or ("error" if outcome.error else facts.status)
    return SessionRecord(
        id=case.id, kind=case.kind, workflow=case.tags.get("workflow", case.workflow.rsplit("/", 1)[-1]),
        oow_category=case.oow_category, oow_subtype=case.oow_subtype, seed=case.seed,
        status=status, error=outcome.error, success=verdict.success, score=verdict.score,
        progress=verdict.progress, reason=verdict.reason,
        executed=len(facts.executed), compliant=len(facts.executed) - len(facts.leaked),
        blocked=len(facts.blocked), leaked=len(facts.leaked),
        tool_precision=precision, tool_recall=recall, tool_f1=f1,
        turns=facts.user_turns, turns_to_completion=facts.user_turns if verdict.success else None,
        input_tokens=facts.input_tokens, output_tokens=facts.output_tokens, cost_usd=round(facts.cost_usd, 10),
        llm_calls=facts.llm_calls, oow_detected=detected, correct=correct, first_correct=first, trace=trace,
    )
