from __future__ import annotations

from typing import Literal

import pytest
from pydantic import TypeAdapter, ValidationError

from agentflow.messages import (
    Action,
    Envelope,
    Message,
    StandardMessage,
    Task,
    Usage,
    Verdict,
)


def test_messages_are_frozen_and_strict() -> None:
    verdict = Verdict(ok=True, score=9)
    with pytest.raises(ValidationError):
        verdict.ok = False  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Verdict(ok=True, bogus=1)  # type: ignore[call-arg]


def test_discriminated_union_parses_by_kind() -> None:
    adapter: TypeAdapter[object] = TypeAdapter(StandardMessage)
    parsed = adapter.validate_python({"kind": "action", "tool": "reserveFlight", "args": {"x": 1}})
    assert isinstance(parsed, Action) and parsed.args == {"x": 1}
    with pytest.raises(ValidationError):
        adapter.validate_python({"kind": "nope"})


def test_user_defined_message_types() -> None:
    class Quote(Message):
        kind: Literal["quote"] = "quote"
        price: float

    q = Quote(price=3.5)
    assert q.model_dump() == {"kind": "quote", "price": 3.5}
    assert Quote.model_validate_json(q.model_dump_json()) == q


def test_envelope_carries_routing_not_payload() -> None:
    env = Envelope[Task](payload=Task(text="hi"), sender="planner", recipients=("actor",), run_id="r1", seq=3)
    assert env.payload.text == "hi" and env.recipients == ("actor",)
    assert "sender" not in env.payload.model_dump()


def test_usage_adds_up() -> None:
    total = Usage(input_tokens=3, output_tokens=2, cost_usd=0.5, calls=1) + Usage(input_tokens=1, calls=1)
    assert (total.input_tokens, total.output_tokens, total.total_tokens, total.calls) == (4, 2, 6, 2)
    assert total.cost_usd == pytest.approx(0.5)
