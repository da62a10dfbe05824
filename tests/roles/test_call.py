"""Calling roles: typed output, bounded repairs, raw output on failure, events."""

from __future__ import annotations

import pytest

from agentflow.backends.base import ChatRequest
from agentflow.errors import OutputValidationError
from agentflow.events import Event, EventBus
from agentflow.messages import Usage, Verdict
from agentflow.roles import RoleLibrary, call_role, invoke_role
from agentflow.testing import FunctionBackend, SchemaBackend, ScriptedBackend, ScriptStep


async def test_call_role_returns_typed_output_from_schema_backend() -> None:
    out = await call_role("answer_grader", SchemaBackend(), question="2+2?", answer="4")
    assert isinstance(out, Verdict)


async def test_prompt_and_schema_reach_backend() -> None:
    backend = FunctionBackend(lambda req: {"ok": False, "score": 0.2, "reason": "wrong"})
    out = await call_role("answer_grader", backend, question="2+2?", answer="5", reference="4")
    assert out == Verdict(ok=False, score=0.2, reason="wrong")
    req: ChatRequest = backend.requests[0]
    assert req.role == "answer_grader"
    assert req.response_schema is not None and "ok" in req.response_schema["properties"]
    assert "kind" not in req.response_schema["properties"]
    assert "Reference answer: 4" in req.messages[-1].content
    assert req.temperature == 0.0


async def test_repair_then_success_and_events() -> None:
    steps = [ScriptStep(say="not json"), ScriptStep(json={"category": "topic_shift"}),
             ScriptStep(json={"category": "answering_irrelevantly", "subtype": "topic_shift"})]
    backend = ScriptedBackend(steps)
    events: list[Event] = []
    bus = EventBus("r1", [events.append])
    result = await invoke_role(RoleLibrary().get("oow_classifier"), backend, {"user_message": "nice weather"},
                               bus=bus)
    assert result.attempts == 3
    assert result.output.category == "answering_irrelevantly"  # type: ignore[attr-defined]
    assert [e.type for e in events] == ["llm_call", "role_repair", "llm_call", "role_repair", "llm_call"]
    assert "not JSON" in events[1].data["error"]
    assert "category" in events[3].data["error"]
    # the repair request shows the model its own output and the error
    third = backend.requests[2]
    assert third.messages[-2].content == '{"category": "topic_shift"}'
    assert "invalid" in third.messages[-1].content
    assert result.usage.calls == 3
    backend.check_consumed()


async def test_fails_with_raw_output_after_repairs() -> None:
    backend = FunctionBackend(lambda req: "I think it is fine")
    with pytest.raises(OutputValidationError) as info:
        await call_role("answer_grader", backend, question="q", answer="a")
    assert "I think it is fine" in str(info.value)
    assert info.value.raw == "I think it is fine"
    assert len(backend.requests) == 3  # 1 + 2 repairs
    assert info.value.attempts == 3 and isinstance(info.value.usage, Usage) and info.value.usage.calls == 3


async def test_fenced_json_is_accepted() -> None:
    backend = FunctionBackend(lambda req: 'Sure:\n```json\n{"ok": true, "score": 1}\n```')
    out = await call_role("answer_grader", backend, question="q", answer="a")
    assert out == Verdict(ok=True, score=1.0)
