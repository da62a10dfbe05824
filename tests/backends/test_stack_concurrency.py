"""The whole stack under concurrency and faults: every caller gets its own answer, once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agentflow.backends.wrappers import (
    Budget,
    CostLedger,
    RateLimiter,
    ReplayStore,
    RetryPolicy,
    SqliteCache,
)
from agentflow.errors import BudgetExceeded
from agentflow.models import build_stack

from .conftest import ask
from .loopback import LoopbackServer

FAST = RetryPolicy(attempts=11, initial=0.01, maximum=0.03)  # more tries than injected faults: never flaky


async def test_concurrent_callers_with_faults_get_exactly_their_answers(tmp_path: Path) -> None:
    with LoopbackServer() as server:
        env = {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": server.openai_base_url}
        ledger = CostLedger()
        stack = build_stack("openai:gpt-4o-mini?timeout=1", environ=env, retry=FAST, ledger=ledger,
                            rate_limit=RateLimiter(max_concurrency=4), record=tmp_path / "run.jsonl")
        for kind, extra in [("status", {"status": 429, "headers": {"retry-after": "0.02"}}),
                            ("status", {"status": 500}), ("truncated", {}), ("invalid_json", {}),
                            ("status", {"status": 503})]:
            server.fail(kind, times=2, **extra)  # type: ignore[arg-type]
        try:
            answers = await asyncio.gather(*(stack.complete(ask(f"critic {i}")) for i in range(16)))
        finally:
            await stack.aclose()  # type: ignore[attr-defined]
        assert [a.text for a in answers] == [f"echo: critic {i}" for i in range(16)]
        ok = sorted(r.body["messages"][-1]["content"] for r in server.requests if r.answered == "ok")
        assert ok == sorted(f"critic {i}" for i in range(16)), "each request answered exactly once"
        assert len(server.requests) == 26 and ledger.totals().calls == 16
        assert all(r.ok for r in ledger.records)
        # the recording holds each answer once, and replays the same run without the server
        replay = build_stack("openai:gpt-4o-mini", environ={}, replay=ReplayStore(tmp_path / "run.jsonl"))
        again = await asyncio.gather(*(replay.complete(ask(f"critic {i}")) for i in range(16)))
        assert [a.text for a in again] == [a.text for a in answers]


async def test_streaming_through_the_full_stack(tmp_path: Path) -> None:
    with LoopbackServer() as primary, LoopbackServer() as spare:
        env = {"OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": spare.url}
        ledger = CostLedger()
        stack = build_stack(f"openai:gpt-4o-mini?base_url={primary.openai_base_url}", environ=env,
                            retry=RetryPolicy(attempts=2, initial=0.01, maximum=0.02),
                            fallback=["anthropic:claude-haiku-4-5"], cache=SqliteCache(), ledger=ledger,
                            budget=Budget(max_calls=3), record=tmp_path / "s.jsonl")
        try:
            primary.fail("status", times=2, status=500)
            first = [c async for c in stack.stream(ask("stream one"))]
            cached = [c async for c in stack.stream(ask("stream one"))]
            second = [c async for c in stack.stream(ask("stream two"))]
            with pytest.raises(BudgetExceeded):
                _ = [c async for c in stack.stream(ask("stream three"))]
        finally:
            await stack.aclose()  # type: ignore[attr-defined]
        assert "".join(c.text for c in first) == "echo: stream one" == "".join(c.text for c in cached)
        assert "".join(c.text for c in second) == "echo: stream two"
        assert first[-1].usage is not None and first[-1].usage.cost_usd > 0
        assert [(r.backend, r.ok) for r in ledger.records] == [
            ("openai:gpt-4o-mini", False), ("anthropic:claude-haiku-4-5", True), ("openai:gpt-4o-mini", True)]
        # the recording holds every answer the run received, the cache hit included (replay stands in for all)
        assert len(spare.requests) == 1 and len((tmp_path / "s.jsonl").read_text().splitlines()) == 3
