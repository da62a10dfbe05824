"""Aggregate session records into the report's metrics, overall and per OOW category/sub-type/workflow.

Every rate comes with a 95 % bootstrap interval (:mod:`agentflow.eval.stats`). Records are sorted by
id first, so the summary depends only on *which* sessions ran, never on the order they finished in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from agentflow.eval.record import SessionRecord
from agentflow.eval.stats import DEFAULT_RESAMPLES, Estimate, Resampler

__all__ = ["GroupSummary", "Summary", "summarize"]


class GroupSummary(BaseModel):
    """Success and compliance of a group of sessions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    n: int
    success: Estimate
    compliance: Estimate
    leaked: int
    blocked: int


class Summary(BaseModel):
    """All aggregate metrics of an evaluation."""

    model_config = ConfigDict(extra="forbid")

    n: int
    errors: int
    metrics: dict[str, Estimate]
    by_oow_category: dict[str, GroupSummary] = Field(default_factory=dict)
    by_oow_subtype: dict[str, GroupSummary] = Field(default_factory=dict)
    by_workflow: dict[str, GroupSummary] = Field(default_factory=dict)
    totals: dict[str, float] = Field(default_factory=dict)


def _b(x: bool | None) -> float | None:
    return None if x is None else float(x)


def _group(records: Sequence[SessionRecord], key: str, seed: int, resamples: int) -> GroupSummary:
    boot = Resampler(len(records), key=key, seed=seed, resamples=resamples)
    return GroupSummary(
        n=len(records),
        success=boot.mean([float(r.success) for r in records]),
        compliance=boot.ratio([r.compliant for r in records], [r.executed for r in records]),
        leaked=sum(r.leaked for r in records),
        blocked=sum(r.blocked for r in records),
    )


def _groups(records: Sequence[SessionRecord], attr: Callable[[SessionRecord], str], prefix: str, seed: int,
            resamples: int) -> dict[str, GroupSummary]:
    buckets: dict[str, list[SessionRecord]] = defaultdict(list)
    for r in records:
        buckets[attr(r)].append(r)
    return {name: _group(rs, f"{prefix}:{name}", seed, resamples) for name, rs in sorted(buckets.items())}


def _role_rates(records: Sequence[SessionRecord], boot: Resampler) -> dict[str, Estimate]:
    if all(r.correct is None for r in records):
        return {}
    looped = [r.first_correct is not None and r.correct is not None for r in records]
    return {
        "accuracy": boot.mean([_b(r.correct) for r in records]),
        "error_correction_rate": boot.mean([float(bool(r.correct)) if ok and not r.first_correct else None
                                            for r, ok in zip(records, looped, strict=True)]),
        "degradation_rate": boot.mean([float(not r.correct) if ok and r.first_correct else None
                                       for r, ok in zip(records, looped, strict=True)]),
    }


def summarize(records: Sequence[SessionRecord], *, seed: int = 0, resamples: int = DEFAULT_RESAMPLES) -> Summary:
    """The metrics of a set of sessions (order-independent)."""
    rs = sorted(records, key=lambda r: r.id)
    boot = Resampler(len(rs), key="all", seed=seed, resamples=resamples)
    mean = boot.mean
    metrics: dict[str, Estimate] = {
        "success_rate": mean([float(r.success) for r in rs]),
        "task_progress": mean([r.progress for r in rs]),
        "tool_precision": mean([r.tool_precision for r in rs]),
        "tool_recall": mean([r.tool_recall for r in rs]),
        "tool_f1": mean([r.tool_f1 for r in rs]),
        "compliance_rate": boot.ratio([r.compliant for r in rs], [r.executed for r in rs]),
        "blocked_per_session": mean([float(r.blocked) for r in rs]),
        "leaked_per_session": mean([float(r.leaked) for r in rs]),
        "turns_to_completion": mean([r.turns_to_completion for r in rs]),
        "tokens_per_session": mean([float(r.input_tokens + r.output_tokens) for r in rs]),
        "cost_per_session_usd": mean([r.cost_usd for r in rs]),
        "oow_detection_rate": mean([_b(r.oow_detected) for r in rs]),
    }
    if any(r.turn_scores for r in rs):
        # turns of one session are not independent: pool them per session, resample sessions
        metrics["turn_pass_rate"] = boot.ratio([sum(s >= 9 for s in r.turn_scores) for r in rs],
                                               [len(r.turn_scores) for r in rs])
        metrics["turn_score"] = boot.ratio([sum(r.turn_scores) for r in rs], [len(r.turn_scores) for r in rs])
    metrics.update(_role_rates(rs, boot))
    return Summary(
        n=len(rs),
        errors=sum(1 for r in rs if r.error and r.status != "budget_exhausted"),  # crashes only
        metrics={k: v for k, v in metrics.items() if v.n > 0},
        by_oow_category=_groups(rs, lambda r: r.oow_category, "cat", seed, resamples),
        by_oow_subtype=_groups(rs, lambda r: r.oow_subtype, "sub", seed, resamples),
        by_workflow=_groups(rs, lambda r: r.workflow, "wf", seed, resamples),
        totals={
            "executed_calls": float(sum(r.executed for r in rs)),
            "blocked_calls": float(sum(r.blocked for r in rs)),
            "leaked_calls": float(sum(r.leaked for r in rs)),
            "input_tokens": float(sum(r.input_tokens for r in rs)),
            "output_tokens": float(sum(r.output_tokens for r in rs)),
            "cost_usd": round(sum(r.cost_usd for r in rs), 10),
            "budget_exhausted": float(sum(r.status == "budget_exhausted" for r in rs)),
        },
    )
