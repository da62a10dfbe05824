"""The complete, serialisable state of a guided session.

A guided session is an explicit state machine; everything it knows lives in :class:`SessionState`
(a pydantic model), so a durable store can checkpoint it after every step and ``resume`` can rebuild
the session from the last checkpoint. Controllers read it; only the session mutates it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentflow._ids import canonical_json
from agentflow.controllers.rules import norm_value

__all__ = ["CallRecord", "Counters", "HistoryItem", "Proposal", "SessionState"]

Status = Literal["active", "cancelled", "completed", "turn_limit", "failed"]
Phase = Literal["await_user", "agent", "done"]


class Proposal(BaseModel):
    """What the agent proposes: an API call (``kind="call"``) or a reply to the user (``kind="reply"``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["call", "reply"]
    name: str = ""
    args: dict[str, Any] = Field(default_factory=dict)
    text: str = ""
    call_id: str = ""

    def key(self) -> str:
        """Name plus canonical arguments: equal calls have equal keys."""
        return f"{self.name}:{canonical_json(self.args)}"

    def describe(self) -> str:
        """Short text for traces and feedback."""
        if self.kind == "call":
            return f"{self.name}({canonical_json(self.args)})"
        return f"reply {self.text[:60]!r}"


class CallRecord(BaseModel):
    """One proposed API call and what became of it."""

    model_config = ConfigDict(extra="forbid")

    call_id: str
    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    turn: int = 0
    status: Literal["executed", "error", "blocked"]
    result: dict[str, Any] = Field(default_factory=dict)
    error: str = ""
    controller: str = ""
    reason: str = ""
    stale: bool = False

    @property
    def ok(self) -> bool:
        """Executed without error and not invalidated since."""
        return self.status == "executed" and not self.stale

    def key(self) -> str:
        return f"{self.name}:{canonical_json(self.args)}"


class HistoryItem(BaseModel):
    """One conversation item: a user or agent message, or an API call with its outcome."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "agent", "call", "result", "note"]
    text: str = ""
    turn: int = 0
    call_id: str = ""
    name: str = ""
    args: dict[str, Any] = Field(default_factory=dict)


class Counters(BaseModel):
    """Running totals (the compliance summary and ``run_end`` come from these)."""

    model_config = ConfigDict(extra="forbid")

    executed: int = 0
    tool_errors: int = 0
    blocked: int = 0
    blocked_replies: int = 0
    rewrites: int = 0
    fallbacks: int = 0
    repairs: int = 0
    oow_turns: int = 0
    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


class SessionState(BaseModel):
    """Everything a guided session knows; serialisable with ``model_dump_json`` for checkpoints."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    workflow: str = ""
    turn: int = 0
    status: Status = "active"
    phase: Phase = "await_user"
    history: list[HistoryItem] = Field(default_factory=list)
    slots: dict[str, Any] = Field(default_factory=dict)
    calls: list[CallRecord] = Field(default_factory=list)
    pending: Proposal | None = None
    feedback: list[str] = Field(default_factory=list)
    guidance: str = ""
    actions_this_turn: int = 0
    repairs_this_turn: int = 0
    last_oow: dict[str, str] = Field(default_factory=dict)
    counters: Counters = Field(default_factory=Counters)

    def last_ok(self, api: str) -> CallRecord | None:
        """The most recent successful, still valid call of ``api``."""
        for record in reversed(self.calls):
            if record.name == api and record.ok:
                return record
        return None

    def last_of(self, key: str) -> CallRecord | None:
        """The most recent non-blocked, non-stale call with this name+arguments key."""
        for record in reversed(self.calls):
            if record.status != "blocked" and not record.stale and record.key() == key:
                return record
        return None

    def set_slot(self, name: str, value: Any) -> list[str]:
        """Set a slot; when its value changes, invalidate calls that consumed the old value.

        Returns the ids of the calls made stale (the value-condition invalidation of the procedure).
        """
        old = self.slots.get(name)
        self.slots[name] = value
        if old is None or norm_value(old) == norm_value(value):
            return []
        return self.invalidate_slot(name, value)

    def invalidate_slot(self, name: str, new_value: Any = None) -> list[str]:
        """Mark stale every valid call whose argument ``name`` differs from ``new_value`` (or any, if None)."""
        stale: list[str] = []
        for record in self.calls:
            if record.ok and name in record.args and (
                new_value is None or norm_value(record.args[name]) != norm_value(new_value)
            ):
                record.stale = True
                stale.append(record.call_id)
        return stale

    def invalidate_all(self) -> list[str]:
        """Mark every valid call stale (cancellation, going back to the first step)."""
        stale = [r.call_id for r in self.calls if r.ok]
        for record in self.calls:
            if record.ok:
                record.stale = True
        return stale
