"""Turn-level evaluation with teacher forcing (FlowAgent's turn protocol).

For each agent turn of a case's reference conversation, the agent sees the *reference* history up
to that turn — not its own earlier answers, so one early mistake does not sink every later turn —
and predicts the next turn. Each prediction is scored 0..10 against the reference; a turn passes at
a score of 9 or more.

Scoring rules (deterministic): an API call scores 10 when name and arguments match, 6 when only the
name does, 0 otherwise; a text reply scores 10 × the token-overlap F1 with the reference text (10
for any reply when the reference text is empty; 0 when a call was expected and text came, or back).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Protocol

from agentflow._ids import canonical_json
from agentflow.eval.dataset import EvalCase, RefTurn

__all__ = ["TurnPredictor", "score_turn", "teacher_forced_scores"]


class TurnPredictor(Protocol):
    """Predicts the agent's next turn from a (reference) history."""

    async def __call__(self, case: EvalCase, history: list[RefTurn]) -> RefTurn: ...


def _tokens(text: str) -> list[str]:
    # CJK text has no spaces: count characters there, words elsewhere.
    words = text.casefold().split()
    if len(words) <= 1 and len(text) > 12:
        return [c for c in text if not c.isspace()]
    return [w.strip(".,!?;:") for w in words if w.strip(".,!?;:")]


def _norm_args(args: dict[str, Any]) -> str:
    return canonical_json({k: str(v).strip().casefold() for k, v in args.items()})


def score_turn(reference: RefTurn, predicted: RefTurn) -> float:
    """Score a predicted agent turn against the reference one (0..10)."""
    if reference.call is not None:
        if predicted.call != reference.call:
            return 0.0
        return 10.0 if _norm_args(predicted.args) == _norm_args(reference.args) else 6.0
    if predicted.call is not None:
        return 0.0
    gold, got = _tokens(reference.text), _tokens(predicted.text)
    if not gold:
        return 10.0
    overlap = sum((Counter(gold) & Counter(got)).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / len(got), overlap / len(gold)
    return round(10 * 2 * precision * recall / (precision + recall), 2)


async def teacher_forced_scores(case: EvalCase, predict: TurnPredictor) -> list[float]:
    """Score every agent turn of ``case.reference`` given the reference history before it."""
    scores: list[float] = []
    for i, turn in enumerate(case.reference):
        if turn.role != "agent":
            continue
        predicted = await predict(case, list(case.reference[:i]))
        scores.append(score_turn(turn, predicted))
    return scores
