"""What controllers know about a workflow: its APIs, answers and slots, as plain layer-4 data.

Controllers must not import the PDL package (layer 5), so the runner converts a loaded PDL document
into these small rule objects. They are enough to decide, for any proposed action, whether the
procedure allows it: which APIs must have succeeded first, which result values they must have
returned, what the arguments look like, and which replies claim something an API must back.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AnswerRule", "ApiRule", "ClaimRule", "ResultCondition", "SlotRule", "WorkflowRules", "norm_value"]

_CFG = ConfigDict(frozen=True, extra="forbid")

Op = Literal["==", "!=", "<", "<=", ">", ">=", "is_none", "not_none"]


def norm_value(value: Any) -> str:
    """A comparable text form: booleans as ``true``/``false``, strings stripped and lower-cased."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    return str(value).strip().strip("'\"").lower()


class ResultCondition(BaseModel):
    """A value condition on an earlier API result, e.g. ``checkAvailability.is_air == "true"``."""

    model_config = _CFG

    api: str
    field: str
    op: Op = "=="
    value: Any = None

    def holds(self, result: dict[str, Any]) -> bool:
        """Whether ``result`` (the API's response fields) satisfies the condition."""
        actual = result.get(self.field)
        if self.op == "is_none":
            return actual is None
        if self.op == "not_none":
            return actual is not None
        if self.op in ("==", "!="):
            same = norm_value(actual) == norm_value(self.value)
            return same if self.op == "==" else not same
        try:
            left, right = float(str(actual)), float(str(self.value))
        except (TypeError, ValueError):
            return False
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[self.op]

    def describe(self) -> str:
        """Source-like text, for prompts and denial reasons."""
        if self.op in ("is_none", "not_none"):
            return f"{self.api}.{self.field} {'is None' if self.op == 'is_none' else 'is not None'}"
        return f"{self.api}.{self.field} {self.op} {self.value!r}"


class SlotRule(BaseModel):
    """A slot (a piece of information the procedure collects)."""

    model_config = _CFG

    name: str
    description: str = ""


class ApiRule(BaseModel):
    """An API the agent may call, with what must hold before it runs.

    Attributes:
        preconditions: APIs that must have succeeded (and not been invalidated) first.
        conditions: value conditions on those earlier results.
        parameters: JSON Schema of the arguments (validated before execution).
        returns: names of the response fields.
        repeatable: whether an identical successful call may run again.
    """

    model_config = _CFG

    name: str
    description: str = ""
    preconditions: tuple[str, ...] = ()
    conditions: tuple[ResultCondition, ...] = ()
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    returns: tuple[str, ...] = ()
    repeatable: bool = False

    def requirement_text(self) -> str:
        """``requires A, B.x == 'y'`` or ``""`` (a precondition implied by a value condition is not repeated)."""
        implied = {c.api for c in self.conditions}
        parts = [*(p for p in self.preconditions if p not in implied), *(c.describe() for c in self.conditions)]
        return "requires " + ", ".join(parts) if parts else ""


class AnswerRule(BaseModel):
    """A named answer (``ANSWER_x``) and what must hold before the agent gives it."""

    model_config = _CFG

    name: str
    description: str = ""
    preconditions: tuple[str, ...] = ()
    conditions: tuple[ResultCondition, ...] = ()


class ClaimRule(BaseModel):
    """A reply that matches ``pattern`` claims something only ``requires`` (succeeded APIs) can back.

    A sentence that also matches ``negation`` ("not", "unfortunately", ...) is not a claim, so an honest
    "the reservation was not successful" passes.
    """

    model_config = _CFG

    pattern: str
    requires: tuple[str, ...]
    conditions: tuple[ResultCondition, ...] = ()
    negation: str = (
        r"\b(not|no|un\w+|fail\w*|cannot|can't|couldn't|unable|sorry|if|once|after|will|would)\b|未|失败|无法|不"
    )

    def claims(self, text: str) -> str | None:
        """The first sentence of ``text`` that makes the claim, or ``None``."""
        for sentence in re.split(r"(?<=[.!?。！？\n])", text):
            if re.search(self.pattern, sentence, re.IGNORECASE) and not re.search(
                self.negation, sentence, re.IGNORECASE
            ):
                return sentence.strip()
        return None


class WorkflowRules(BaseModel):
    """Everything the controllers check proposals against."""

    model_config = _CFG

    name: str = "workflow"
    apis: dict[str, ApiRule] = Field(default_factory=dict)
    answers: dict[str, AnswerRule] = Field(default_factory=dict)
    slots: dict[str, SlotRule] = Field(default_factory=dict)
    claims: tuple[ClaimRule, ...] = ()

    def dependents(self, api: str) -> list[str]:
        """APIs that list ``api`` as a precondition (directly)."""
        return [a.name for a in self.apis.values() if api in a.preconditions or any(c.api == api for c in a.conditions)]
