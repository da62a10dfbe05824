"""Rate limiting and typed outputs with bounded repairs."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from pydantic import BaseModel, Field

from agentflow.backends.anthropic import AnthropicBackend
from agentflow.backends.base import ChatRequest
from agentflow.backends.openai import OpenAIBackend
from agentflow.backends.structured import complete_typed, complete_typed_outcome
from agentflow.backends.wrappers import RateLimitedBackend, RateLimiter, RetryBackend, RetryPolicy
from agentflow.errors import OutputValidationError, RateLimited
from agentflow.messages import Usage
from agentflow.testing import FunctionBackend

from .conftest import ask
from .loopback import LoopbackServer, Reply


async def test_token_bucket_spaces_requests() -> None:
    stamps: list[float] = []
    inner = FunctionBackend(lambda r: stamps.append(time.perf_counter()) or "ok")
    backend = RateLimitedBackend(inner, RateLimiter(per_second=20, burst=2))
    await asyncio.gather(*(backend.complete(ask(str(i))) for i in range(6)))
    # two go at once (burst), then one per 50 ms
    assert stamps[-1] - stamps[0] >= 4 * 0.05 * 0.9
    assert stamps[1] - stamps[0] < 0.045  # inside one 50 ms refill: the burst


async def test_concurrency_cap() -> None:
    active = 0
    peak = 0

    async def work(_: ChatRequest) -> str:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.02)
        active -= 1
        return "ok"

    backend = RateLimitedBackend(FunctionBackend(work), RateLimiter(max_concurrency=2))
    results = await asyncio.gather(*(backend.complete(ask(str(i))) for i in range(8)))
    assert len(results) == 8 and peak == 2


async def test_a_provider_rate_limit_pauses_every_caller(server: LoopbackServer,
                                                        openai_backend: OpenAIBackend) -> None:
    limiter = RateLimiter()
    shared = RateLimitedBackend(openai_backend, limiter)
    server.fail("status", status=429, headers={"retry-after": "0.2"})
    with pytest.raises(RateLimited):
        await shared.complete(ask("first"))
    start = time.perf_counter()
    await shared.complete(ask("second"))  # another caller on the same account waits out the pause
    assert time.perf_counter() - start >= 0.18
    retried = RetryBackend(shared, RetryPolicy(initial=0.01))
    server.fail("status", status=429, headers={"retry-after": "0.1"})
    assert (await retried.complete(ask("third"))).text == "echo: third"


class Grade(BaseModel):
    score: int = Field(ge=1, le=5)
    reason: str


async def test_typed_output_through_openai_json_schema(server: LoopbackServer,
                                                       openai_backend: OpenAIBackend) -> None:
    grade = await complete_typed(openai_backend, ask("grade this"), Grade)
    assert isinstance(grade, Grade) and grade.score == 1
    fmt = server.bodies()[0]["response_format"]["json_schema"]
    assert fmt["name"] == "Grade" and fmt["schema"]["properties"]["score"]["maximum"] == 5


async def test_typed_output_through_anthropic_tool_mode(server: LoopbackServer,
                                                        anthropic_backend: AnthropicBackend) -> None:
    grade = await complete_typed(anthropic_backend, ask("grade this"), Grade)
    assert isinstance(grade, Grade)
    assert server.bodies()[0]["tool_choice"] == {"type": "tool", "name": "Grade"}


async def test_validation_errors_are_fed_back_for_repair(server: LoopbackServer,
                                                         openai_backend: OpenAIBackend) -> None:
    fenced = '```json\n{"score": 4, "reason": "ok"}\n```'
    server.queue(Reply(text='{"score": 9, "reason": "great"}'), Reply(text=fenced))
    outcome = await complete_typed_outcome(openai_backend, ask("grade"), Grade, repairs=2)
    assert outcome.value == Grade(score=4, reason="ok") and outcome.repairs == 1
    repair_messages = server.bodies()[1]["messages"]
    assert repair_messages[1] == {"role": "assistant", "content": '{"score": 9, "reason": "great"}'}
    assert "score: Input should be less than or equal to 5" in repair_messages[2]["content"]
    assert '"maximum": 5' in repair_messages[2]["content"]


async def test_repairs_are_bounded_and_the_raw_output_is_kept() -> None:
    backend = FunctionBackend(lambda r: "not json at all")
    with pytest.raises(OutputValidationError) as info:
        await complete_typed(backend, ask(), Grade, repairs=1)
    assert info.value.raw == "not json at all" and len(backend.requests) == 2
    assert "after 1 repair" in str(info.value)
    assert info.value.attempts == 2 and isinstance(info.value.usage, Usage) and info.value.usage.output_tokens > 0
    assert json.loads(json.dumps(backend.requests[0].response_schema)) == Grade.model_json_schema()
