"""The answer controller: a reply may not give an ANSWER, or claim an outcome, the procedure has not reached.

Two checks on every reply:

* an explicit answer tag (``[ANSWER: Booking confirmed] ...``) names an ANSWER of the workflow; its
  preconditions and value conditions must hold;
* claim rules: a sentence that claims an outcome ("your flight is booked") needs the APIs that
  produce that outcome to have succeeded in this session.

Unmet → :class:`Deny` (the model is told why and asked again), or with ``rewrite_text`` set →
:class:`Rewrite` to that safe text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agentflow.controllers.calls import missing_requirements
from agentflow.controllers.decision import Allow, Decision, Deny, Rewrite
from agentflow.controllers.rules import WorkflowRules
from agentflow.controllers.state import Proposal, SessionState

__all__ = ["AnswerController", "split_answer_tag"]

_TAG = re.compile(
    r"^\s*(?:\[\s*ANSWER\s*[:：]\s*(?P<a>[^\]]+)\]|ANSWER[._](?P<b>[^\s(（:：]+)(?:\(\))?[:：]?)\s*", re.I
)


def split_answer_tag(text: str) -> tuple[str | None, str]:
    """``"[ANSWER: X] Hello"`` -> ``("X", "Hello")``; untagged text -> ``(None, text)``."""
    match = _TAG.match(text)
    if not match:
        return None, text
    name = (match.group("a") or match.group("b") or "").strip()
    return name, text[match.end():].strip()


def _lookup(rules: WorkflowRules, name: str) -> str | None:
    key = name.replace("_", " ").strip().lower()
    for answer in rules.answers:
        if answer.replace("_", " ").strip().lower() == key:
            return answer
    return None


@dataclass
class AnswerController:
    """Blocks (or rewrites) replies whose ANSWER precondition or claimed outcome is not backed yet."""

    rewrite_text: str | None = None
    name: str = "answer"
    applies_to: frozenset[str] = frozenset({"reply"})

    def check(self, proposal: Proposal, state: SessionState, rules: WorkflowRules) -> Decision:
        tag, body = split_answer_tag(proposal.text)
        problems: list[str] = []
        if tag is not None:
            answer_name = _lookup(rules, tag)
            if answer_name is not None:
                answer = rules.answers[answer_name]
                missing = missing_requirements(answer.preconditions, answer.conditions, state)
                if missing:
                    problems.append(f"ANSWER {answer_name!r} is not allowed yet: " + "; ".join(missing))
        for claim in rules.claims:
            sentence = claim.claims(body)
            if sentence is None:
                continue
            missing = missing_requirements((), claim.conditions, state)
            if claim.requires and all(state.last_ok(api) is None for api in claim.requires):
                missing = [f"{' or '.join(claim.requires)} has not succeeded", *missing]
            if missing:
                problems.append(f"the reply claims {sentence[:80]!r} but " + "; ".join(missing))
                break
        if not problems:
            return Allow()
        reason = " | ".join(problems)
        if self.rewrite_text is not None:
            return Rewrite(proposal.model_copy(update={"text": self.rewrite_text}), reason)
        return Deny(reason)
