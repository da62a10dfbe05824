"""Typed messages exchanged between roles, and the envelope that routes them.

Every message is a frozen pydantic model with ``extra="forbid"`` and a literal ``kind`` field, so a
union of message types is a discriminated union and a graph can check at build time that what one
node produces fits what the next consumes. Routing data (who sent it, to whom, in which run, in what
order, what it answers, what it cost) lives in :class:`Envelope`, never in the payload.

Define your own message types by subclassing :class:`Message` and giving ``kind`` a literal type::

    class Quote(Message):
        kind: Literal["quote"] = "quote"
        price: float
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from agentflow._ids import new_id

__all__ = [
    "Action",
    "AgentTurn",
    "Answer",
    "Critique",
    "Envelope",
    "Lesson",
    "Message",
    "Observation",
    "Plan",
    "PlanStep",
    "Revision",
    "StandardMessage",
    "Task",
    "Usage",
    "UserTurn",
    "Verdict",
]


class Message(BaseModel):
    """Base of every payload. Frozen; unknown fields are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str


class Usage(BaseModel):
    """What a model call (or a sum of them) cost."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    calls: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
            latency_s=self.latency_s + other.latency_s,
            calls=self.calls + other.calls,
        )


class Task(Message):
    """A unit of work handed to a role or a workflow."""

    kind: Literal["task"] = "task"
    text: str
    inputs: dict[str, Any] = Field(default_factory=dict)


class PlanStep(BaseModel):
    """One step of a plan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str
    done: bool = False


class Plan(Message):
    """An ordered list of steps a planner proposes."""

    kind: Literal["plan"] = "plan"
    # Bounded so constrained decoding must close the list: a small model otherwise repeats steps until
    # its token limit cuts the JSON. Twelve steps is past any plan worth executing before re-planning.
    steps: list[PlanStep] = Field(max_length=12)
    rationale: str = ""


class Action(Message):
    """A proposed tool (API) call."""

    kind: Literal["action"] = "action"
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    call_id: str = Field(default_factory=lambda: new_id("call"))


class Observation(Message):
    """What a tool returned (or the error it raised, as data)."""

    kind: Literal["observation"] = "observation"
    tool: str
    call_id: str = ""
    result: dict[str, Any] = Field(default_factory=dict)
    ok: bool = True
    error: str = ""


class Critique(Message):
    """A critic's assessment of a candidate answer."""

    kind: Literal["critique"] = "critique"
    aspect: str = "overall"
    text: str
    issues: list[str] = Field(default_factory=list)


class Verdict(Message):
    """A judge's decision: is the candidate acceptable?"""

    kind: Literal["verdict"] = "verdict"
    ok: bool
    score: float = 0.0
    reason: str = ""


class Revision(Message):
    """A refiner's revised candidate."""

    kind: Literal["revision"] = "revision"
    text: str
    changes: str = ""


class Lesson(Message):
    """A curator's distilled lesson, filed under a path of the template tree."""

    kind: Literal["lesson"] = "lesson"
    text: str
    path: list[str] = Field(default_factory=list)


class Answer(Message):
    """A final answer."""

    kind: Literal["answer"] = "answer"
    text: str
    data: dict[str, Any] = Field(default_factory=dict)


class UserTurn(Message):
    """What the user said in a conversation."""

    kind: Literal["user_turn"] = "user_turn"
    text: str


class AgentTurn(Message):
    """What the agent said to the user in a conversation."""

    kind: Literal["agent_turn"] = "agent_turn"
    text: str


StandardMessage = Annotated[
    Task | Plan | Action | Observation | Critique | Verdict | Revision | Lesson | Answer | UserTurn | AgentTurn,
    Field(discriminator="kind"),
]
"""The discriminated union of the built-in message types (for parsing unknown traffic)."""

M = TypeVar("M", bound=Message)


class Envelope(BaseModel, Generic[M]):
    """Routing for one message: the payload stays pure, the envelope says who, where and when."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    payload: M
    sender: str
    recipients: tuple[str, ...] = ()
    run_id: str = ""
    seq: int = 0
    parent: int | None = None
    usage: Usage | None = None
