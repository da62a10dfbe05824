"""``agentflow eval --compare A.json B.json``: what changed between two evaluations, and is it real?

Each metric (and success/compliance per OOW category) is listed with both values, the difference and
a verdict: ``better``/``worse`` when the two 95 % intervals do not overlap, ``~`` when they do (the
difference may be noise), ``n/a`` when one side lacks the metric.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from agentflow.eval.report.model import EvalReport
from agentflow.eval.stats import Estimate

__all__ = ["LOWER_IS_BETTER", "CompareRow", "compare_reports"]

LOWER_IS_BETTER = frozenset({"blocked_per_session", "leaked_per_session", "turns_to_completion",
                             "tokens_per_session", "cost_per_session_usd", "degradation_rate"})


class CompareRow(BaseModel):
    """One metric of two reports side by side."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metric: str
    a: Estimate | None
    b: Estimate | None
    delta: float | None
    verdict: str


def _row(metric: str, a: Estimate | None, b: Estimate | None, lower_better: bool) -> CompareRow:
    if a is None or b is None or a.value is None or b.value is None:
        return CompareRow(metric=metric, a=a, b=b, delta=None, verdict="n/a")
    delta = b.value - a.value
    verdict = "~"
    if None not in (a.low, a.high, b.low, b.high):
        assert a.low is not None and a.high is not None and b.low is not None and b.high is not None
        if b.low > a.high:
            verdict = "worse" if lower_better else "better"
        elif b.high < a.low:
            verdict = "better" if lower_better else "worse"
    return CompareRow(metric=metric, a=a, b=b, delta=delta, verdict=verdict)


def compare_reports(a: EvalReport, b: EvalReport) -> list[CompareRow]:
    """Rows for every overall metric, then success and compliance per OOW category, of ``b`` against ``a``."""
    rows: list[CompareRow] = []
    ma, mb = a.summary.metrics, b.summary.metrics
    for name in [*ma, *(k for k in mb if k not in ma)]:
        rows.append(_row(name, ma.get(name), mb.get(name), name in LOWER_IS_BETTER))
    ca, cb = a.summary.by_oow_category, b.summary.by_oow_category
    for cat in sorted(set(ca) | set(cb)):
        ga, gb = ca.get(cat), cb.get(cat)
        rows.append(_row(f"success[{cat}]", ga.success if ga else None, gb.success if gb else None, False))
        rows.append(_row(f"compliance[{cat}]", ga.compliance if ga else None, gb.compliance if gb else None, False))
    return rows
