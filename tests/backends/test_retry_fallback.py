"""Fault injection through the real SDKs: retries and fallbacks do the right thing, nothing lost or doubled."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from agentflow.backends.anthropic import AnthropicBackend
from agentflow.backends.openai import OpenAIBackend
from agentflow.backends.wrappers import FallbackBackend, RetryBackend, RetryPolicy, wrap
from agentflow.errors import AuthError, BackendError, RateLimited, ServerError

from .conftest import ask
from .loopback import LoopbackServer

FAST = RetryPolicy(attempts=4, initial=0.01, maximum=0.05)


async def test_rate_limit_waits_the_retry_after_then_succeeds(server: LoopbackServer,
                                                            openai_backend: OpenAIBackend) -> None:
    server.fail("status", times=2, status=429, headers={"retry-after": "0.15"})
    seen: list[tuple[int, str, float]] = []
    backend = RetryBackend(openai_backend, FAST, on_retry=lambda n, e, w: seen.append((n, type(e).__name__, w)))
    start = time.perf_counter()
    response = await backend.complete(ask("ping"))
    elapsed = time.perf_counter() - start
    assert response.text == "echo: ping"
    assert [r.answered for r in server.requests] == ["status", "status", "ok"]
    assert backend.retries == 2 and [s[:2] for s in seen] == [(1, "RateLimited"), (2, "RateLimited")]
    assert all(0.15 <= w <= 0.165 for _, _, w in seen), "waits honour retry-after plus at most 10% jitter"
    assert elapsed >= 0.3


async def test_server_errors_timeouts_and_broken_bodies_are_retried(server: LoopbackServer) -> None:
    backend = OpenAIBackend("m", api_key="k", base_url=server.openai_base_url, timeout=1.0)
    try:
        server.fail("status", status=502)
        server.fail("timeout", delay=3.0)
        server.fail("truncated")
        response = await RetryBackend(backend, FAST).complete(ask("survive"))
    finally:
        await backend.aclose()
    assert response.text == "echo: survive"
    assert [r.answered for r in server.requests] == ["status", "timeout", "truncated", "ok"]


async def test_non_retryable_errors_fail_at_once(server: LoopbackServer, openai_backend: OpenAIBackend) -> None:
    server.fail("status", status=401)
    with pytest.raises(AuthError):
        await RetryBackend(openai_backend, FAST).complete(ask())
    assert len(server.requests) == 1


async def test_retries_stop_after_the_attempt_budget(server: LoopbackServer, openai_backend: OpenAIBackend) -> None:
    server.fail("status", times=5, status=500)
    backend = RetryBackend(openai_backend, RetryPolicy(attempts=3, initial=0.01, maximum=0.02))
    with pytest.raises(ServerError):
        await backend.complete(ask())
    assert len(server.requests) == 3 and backend.retries == 2


async def test_retry_after_is_capped(server: LoopbackServer, openai_backend: OpenAIBackend) -> None:
    server.fail("status", status=429, headers={"retry-after": "3600"})
    waits: list[float] = []
    backend = RetryBackend(openai_backend, RetryPolicy(initial=0.01, max_retry_after=0.05),
                           on_retry=lambda n, e, w: waits.append(w))
    await backend.complete(ask())
    assert len(waits) == 1 and waits[0] <= 0.05 * 1.1  # capped, plus at most 10% jitter


async def test_many_calls_with_interleaved_faults_lose_and_duplicate_nothing(server: LoopbackServer,
                                                                          openai_backend: OpenAIBackend) -> None:
    backend = RetryBackend(openai_backend, FAST)
    answers = []
    for i in range(12):
        if i % 3 == 0:
            server.fail("status", status=503)
        if i % 4 == 1:
            server.fail("invalid_json")
        answers.append((await backend.complete(ask(f"message {i}"))).text)
    assert answers == [f"echo: message {i}" for i in range(12)]
    answered = [r.body["messages"][-1]["content"] for r in server.requests if r.answered == "ok"]
    assert answered == [f"message {i}" for i in range(12)], "each message answered exactly once, in order"


async def test_stream_retried_before_its_first_chunk_only(server: LoopbackServer,
                                                         openai_backend: OpenAIBackend) -> None:
    backend = RetryBackend(openai_backend, FAST)
    server.fail("status", status=500)
    chunks = [c async for c in backend.stream(ask("a b c"))]
    assert "".join(c.text for c in chunks) == "echo: a b c"
    assert [r.answered for r in server.requests] == ["status", "ok"]
    server.fail("stream_cut")  # fails after text was delivered: retrying would duplicate it
    received: list[str] = []
    with pytest.raises(ServerError):
        async for chunk in backend.stream(ask("x y z w v u")):
            received.append(chunk.text)
    assert received and len(server.requests) == 3


@pytest.fixture
def second() -> AsyncIterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


async def test_fallback_to_another_provider_after_retries(server: LoopbackServer, second: LoopbackServer,
                                                         openai_backend: OpenAIBackend) -> None:
    claude = AnthropicBackend("claude-b", api_key="k", base_url=second.url, timeout=2.0)
    switches: list[tuple[str, str, str]] = []
    stack = wrap(openai_backend, retry=RetryPolicy(attempts=2, initial=0.01, maximum=0.02), fallback=[claude],
                 on_fallback=lambda a, e, b: switches.append((a.name, type(e).__name__, b.name)))
    try:
        server.fail("status", times=2, status=500)
        response = await stack.complete(ask("hello"))
        assert response.text == "echo: hello" and response.model == "claude-b"
        assert switches == [("openai:gpt-test", "ServerError", "anthropic:claude-b")]
        assert len(server.requests) == 2 and len(second.requests) == 1
        # the primary recovers: the next call goes to it again
        assert (await stack.complete(ask("again"))).model == "gpt-test"
        assert len(second.requests) == 1
    finally:
        await claude.aclose()


async def test_fallback_raises_the_last_error_when_all_fail(server: LoopbackServer, second: LoopbackServer,
                                                           openai_backend: OpenAIBackend) -> None:
    claude = AnthropicBackend("claude-b", api_key="k", base_url=second.url, timeout=2.0)
    try:
        server.fail("status", status=401)
        second.fail("status", status=429)
        with pytest.raises(RateLimited):
            await FallbackBackend([openai_backend, claude]).complete(ask())
    finally:
        await claude.aclose()


async def test_fallback_stream_switches_before_output(server: LoopbackServer, second: LoopbackServer,
                                                     openai_backend: OpenAIBackend) -> None:
    claude = AnthropicBackend("claude-b", api_key="k", base_url=second.url, timeout=2.0)
    try:
        server.fail("status", status=503)
        fb = FallbackBackend([openai_backend, claude])
        text = "".join([c.text async for c in fb.stream(ask("stream me"))])
        assert text == "echo: stream me" and fb.last_used is claude and fb.fallbacks == 1
    finally:
        await claude.aclose()


async def test_fallback_does_not_hide_non_backend_errors() -> None:
    from agentflow.testing import FunctionBackend

    def boom(_: object) -> str:
        raise ValueError("a bug, not an outage")

    spare = FunctionBackend(lambda r: "spare")
    with pytest.raises(ValueError):
        await FallbackBackend([FunctionBackend(boom), spare]).complete(ask())
    assert spare.requests == []
    assert issubclass(ServerError, BackendError)
