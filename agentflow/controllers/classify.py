"""Classifying user turns: in-workflow, one of the OOW categories/subtypes, or out of scope.

:class:`RuleClassifier` is deterministic (patterns in English and Chinese plus slot-shape detection of
changed details); it catches the unambiguous cases — cancellation, "ignore the procedure", restarts,
explicit corrections — for free and with no model. An LLM classifier (the ``oow_classifier`` role,
wired by the runner) handles the rest; both satisfy :class:`TurnClassifier`.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from agentflow.controllers.rules import WorkflowRules, norm_value
from agentflow.controllers.state import SessionState
from agentflow.controllers.taxonomy import IN_WORKFLOW, OOW_TAXONOMY, OUT_OF_SCOPE, category_of

__all__ = ["Classification", "RuleClassifier", "TurnClassifier"]


class Classification(BaseModel):
    """What a user turn is, and any slot values it (re)states."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: str = IN_WORKFLOW
    subtype: str = ""
    slots: dict[str, Any] = Field(default_factory=dict)
    source: str = "rules"

    @property
    def is_oow(self) -> bool:
        return self.category != IN_WORKFLOW

    def normalised(self) -> Classification:
        """Fix category/subtype casing and a subtype given without (or with the wrong) category."""
        if self.category in (IN_WORKFLOW, OUT_OF_SCOPE):
            return self
        category = category_of(self.subtype) if self.subtype else None
        if category is None:
            known = {c.lower(): c for c in OOW_TAXONOMY}
            category = known.get(self.category.strip().lower())
            if category is None:
                return self.model_copy(update={"category": IN_WORKFLOW, "subtype": ""})
            subtype = ""
        else:
            subtype = next(s for s in OOW_TAXONOMY[category] if s.lower() == self.subtype.strip().lower())
        return self.model_copy(update={"category": category, "subtype": subtype})


@runtime_checkable
class TurnClassifier(Protocol):
    """Anything that classifies a user turn in the context of the session."""

    async def classify(self, text: str, state: SessionState, rules: WorkflowRules) -> Classification:
        """Classify one user message."""
        ...


_I = re.IGNORECASE
_PATTERNS: list[tuple[str, str, re.Pattern[str]]] = [
    ("Process Jumping", "Rule Ignoring", re.compile(
        r"\bignore\b.{0,30}\b(procedure|rules?|instructions?|process|steps?|previous)\b|\bbypass\b|\bwithout\s+"
        r"(checking|verif\w+|confirm\w*)\b|\b(call|run|execute)\s+\w+\s+(directly|right away|now)\b|忽略|无视", _I)),
    ("Process Jumping", "Step Skipping", re.compile(
        r"\bskip\b|\bjust\s+(book|reserve|do|call|confirm)\b|\bgo\s+straight\s+to\b"
        r"|跳过|直接(帮我)?(订|预订|办理|挂号)", _I)),
    ("Intent Switching", "Request Cancellation", re.compile(
        r"\b(cancel|never\s*mind|forget\s+(it|about)|no\s+longer\s+(want|need))\b|取消|不要了|算了|不订了",
        _I)),
    ("Process Jumping", "Returning to Initial Steps", re.compile(
        r"\b(start\s+over|from\s+the\s+(beginning|start)|restart|begin\s+again)\b|重新开始|从头", _I)),
    ("Process Jumping", "Step Repetition", re.compile(
        r"\b(check|do|run)\s+(it|that|this)\s+again\b|再(查|确认)一(次|遍)", _I)),
    ("Intent Switching", "Detail Switching", re.compile(
        r"\b(actually|instead|change\s+(it|that|the)|switch\s+to|rather|make\s+it|correction|i\s+meant)\b|改成|换成|不对|改为",
        _I)),
    ("Intent Switching", "Attitude Switching", re.compile(
        r"\b(not\s+(happy|satisfied)|unhappy|terrible|too\s+expensive|don'?t\s+like)\b|不满意|太贵", _I)),
    ("Answering Irrelevantly", "Vague Answer", re.compile(
        r"^\W*(maybe|perhaps|not\s+sure|whatever|anything|any|i\s+don'?t\s+know|idk|hmm+|dunno|随便|都行|不知道|无所谓)\W*$"
        r"|\b(not\s+sure|whatever|no\s+idea)\b", _I)),
    ("Answering Irrelevantly", "Counterquestion", re.compile(
        r"\bwhy\s+(do|would|should)\s+you\s+need\b|\bwhat\s+(is\s+it|do\s+you\s+need\s+it)\s+for\b|为什么要", _I)),
    ("Answering Irrelevantly", "Topic Shift", re.compile(
        r"\b(weather|joke|football|soccer|recipe|movie|poem|stock\s+price)\b|天气|笑话|电影", _I)),
]


def _shape(value: str) -> re.Pattern[str] | None:
    """A regex for values shaped like ``value`` (``CA1234`` -> ``[A-Z]{2}\\d{4}``), for codes and ids only."""
    if len(value) < 3 or not re.search(r"\d", value) or not re.fullmatch(r"[A-Za-z0-9]+", value):
        return None
    parts = re.findall(r"[A-Za-z]+|\d+", value)
    body = "".join(f"[A-Za-z]{{{len(p)}}}" if p.isalpha() else f"\\d{{{len(p)}}}" for p in parts)
    return re.compile(rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])")


def changed_slots(text: str, state: SessionState, rules: WorkflowRules) -> dict[str, Any]:
    """Slot values the message restates differently: ``slot to VALUE`` forms and same-shaped codes."""
    found: dict[str, Any] = {}
    for slot in rules.slots:
        spoken = re.escape(slot).replace("_", "[ _]")
        match = re.search(rf"\b{spoken}\s*(?:to|=|:|is|改成|为)\s*([^\s,;.!?]+)", text, _I)
        if match:
            found[slot] = match.group(1)
            continue
        current = state.slots.get(slot)
        shape = _shape(str(current)) if current is not None else None
        if shape is None:
            continue
        for candidate in shape.findall(text):
            if norm_value(candidate) != norm_value(current):
                found[slot] = candidate.upper() if str(current).isupper() else candidate
                break
    return found


class RuleClassifier:
    """Deterministic classification by patterns; unknown turns are ``in_workflow``."""

    async def classify(self, text: str, state: SessionState, rules: WorkflowRules) -> Classification:
        return self.classify_sync(text, state, rules)

    def classify_sync(self, text: str, state: SessionState, rules: WorkflowRules) -> Classification:
        """The same, synchronously (it does no I/O)."""
        slots = changed_slots(text, state, rules)
        for category, subtype, pattern in _PATTERNS:
            if pattern.search(text):
                return Classification(category=category, subtype=subtype, slots=slots)
        if slots:
            return Classification(category="Intent Switching", subtype="Detail Switching", slots=slots)
        return Classification(category=IN_WORKFLOW)
