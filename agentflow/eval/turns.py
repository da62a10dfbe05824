"""Turn-level evaluation with teacher forcing (FlowAgent's turn protocol).

For each agent turn of a case's reference conversation, the agent sees the *reference* history up
to that turn — not its own earlier answers, so one early mistake does not sink every later turn —
and predicts the next turn. Each prediction is scored 0..10 against the reference; a turn passes at
a score of 9 or more.

Scoring (``--judge rules``, deterministic): an API call scores 10 when name and arguments match, 6
when only the name does, 0 otherwise; a text reply scores 10 × the token-overlap F1 with the reference
text (10 for any reply when the reference text is empty; 0 when a call was expected and text came, or
back). With ``--judge model``, :class:`ModelTurnJudge` asks a model in the ``judge`` role for the 0-10
score instead, as FlowAgent did.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from agentflow._ids import canonical_json
from agentflow.backends.base import Backend, ChatMessage, ChatRequest
from agentflow.eval.dataset import EvalCase, RefTurn

__all__ = ["ModelTurnJudge", "TurnPredictor", "TurnScorer", "score_turn", "teacher_forced_scores"]

TurnScorer = Callable[[EvalCase, list[RefTurn], RefTurn, RefTurn], Awaitable[float]]
"""``(case, history, reference turn, predicted turn) -> score 0..10``."""


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


def _show(turn: RefTurn) -> str:
    if turn.call is not None:
        return f"API call {turn.call}({json.dumps(turn.args, ensure_ascii=False)})"
    return f"reply: {turn.text}"


_TURN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"score": {"type": "integer", "minimum": 0, "maximum": 10}, "reason": {"type": "string"}},
    "required": ["score", "reason"],
    "additionalProperties": False,
}


class ModelTurnJudge:
    """Scores a predicted turn 0..10 against the reference with a model in the ``judge`` role."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    async def __call__(self, case: EvalCase, history: list[RefTurn], reference: RefTurn, predicted: RefTurn) -> float:
        lines = [f"{t.role.upper()}: {_show(t) if t.role == 'agent' else t.text}" for t in history[-8:]]
        prompt = ("Conversation so far:\n" + "\n".join(lines) + f"\n\nReference next agent turn: {_show(reference)}"
                  f"\nCandidate next agent turn: {_show(predicted)}\n\nScore the candidate from 0 to 10: 10 when it "
                  "is as good as the reference (same API and arguments, or a reply with the same content).")
        request = ChatRequest(messages=(ChatMessage(role="user", content=prompt),), response_schema=_TURN_SCHEMA,
                              response_schema_name="turn_score", temperature=0.0, seed=case.seed,
                              metadata={"role": "judge"})
        text = (await self.backend.complete(request)).text
        try:
            score = float(json.loads(text)["score"])
        except (ValueError, KeyError, TypeError):
            found = re.search(r"\d+(?:\.\d+)?", text)
            score = float(found.group()) if found else 0.0
        return max(0.0, min(10.0, score))


async def _rule_scorer(case: EvalCase, history: list[RefTurn], reference: RefTurn, predicted: RefTurn) -> float:
    return score_turn(reference, predicted)


async def teacher_forced_scores(case: EvalCase, predict: TurnPredictor,
                                scorer: TurnScorer | None = None) -> list[float]:
    """Score every agent turn of ``case.reference`` given the reference history before it."""
    score = scorer or _rule_scorer
    scores: list[float] = []
    for i, turn in enumerate(case.reference):
        if turn.role != "agent":
            continue
        history = list(case.reference[:i])
        predicted = await predict(case, history)
        scores.append(await score(case, history, turn, predicted))
    return scores
