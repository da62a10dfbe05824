"""Cost ledger and hard budgets: priced calls, clean stops, nothing lost."""

from __future__ import annotations

import asyncio

import pytest

from agentflow.backends.base import ChatRequest, ChatResponse
from agentflow.backends.openai import OpenAIBackend
from agentflow.backends.pricing import Price, PriceTable
from agentflow.backends.wrappers import Budget, CachedBackend, CostLedger, MeteredBackend, ModelCall, SqliteCache, wrap
from agentflow.errors import BudgetExceeded, ServerError
from agentflow.messages import Usage
from agentflow.testing import FunctionBackend

from .conftest import ask
from .loopback import LoopbackServer

PRICES = PriceTable({"openai:gpt-test*": Price(input_per_mtok=1_000_000, output_per_mtok=2_000_000)})


async def test_each_call_is_recorded_and_priced(server: LoopbackServer, openai_backend: OpenAIBackend) -> None:
    ledger = CostLedger()
    seen: list[ModelCall] = []
    backend = MeteredBackend(openai_backend, ledger, prices=PRICES, on_call=seen.append)
    response = await backend.complete(ask("two words", metadata={"role": "critic"}))
    # loopback usage: 2 input words, 3 output words ("echo: two words") -> $1/token in, $2/token out
    assert (response.usage.input_tokens, response.usage.output_tokens) == (2, 3)
    assert response.usage.cost_usd == pytest.approx(2 * 1 + 3 * 2)
    assert response.usage.latency_s > 0
    assert seen == ledger.records and seen[0].role == "critic" and seen[0].ok
    await backend.complete(ask("x"))
    assert ledger.totals().calls == 2
    assert ledger.by_role()["critic"].cost_usd == pytest.approx(8.0)
    assert ledger.totals().cost_usd == pytest.approx(8.0 + 1 * 1 + 2 * 2)


async def test_call_budget_stops_cleanly_before_the_next_call(server: LoopbackServer,
                                                              openai_backend: OpenAIBackend) -> None:
    backend = wrap(openai_backend, ledger=CostLedger(), budget=Budget(max_calls=3))
    answers = [(await backend.complete(ask(f"m{i}"))).text for i in range(3)]
    with pytest.raises(BudgetExceeded) as info:
        await backend.complete(ask("m3"))
    assert answers == ["echo: m0", "echo: m1", "echo: m2"], "every admitted call delivered its answer"
    assert len(server.requests) == 3, "the refused call never reached the provider"
    assert (info.value.budget, info.value.limit, info.value.used) == ("calls", 3.0, 3.0)


async def test_concurrent_calls_cannot_overrun_the_call_budget() -> None:
    async def slow(_: ChatRequest) -> str:
        await asyncio.sleep(0.02)
        return "done"

    inner = FunctionBackend(slow)
    backend = wrap(inner, budget=Budget(max_calls=4))
    results = await asyncio.gather(*(backend.complete(ask(str(i))) for i in range(10)), return_exceptions=True)
    assert sum(isinstance(r, ChatResponse) for r in results) == 4
    assert sum(isinstance(r, BudgetExceeded) for r in results) == 6
    assert len(inner.requests) == 4


async def test_token_and_cost_budgets(server: LoopbackServer, openai_backend: OpenAIBackend) -> None:
    ledger = CostLedger()
    backend = wrap(openai_backend, ledger=ledger, prices=PRICES, budget=Budget(max_tokens=10))
    await backend.complete(ask("a b c"))  # 3 + 4 = 7 tokens
    await backend.complete(ask("d"))  # 1 + 2 = 3 -> 10: reached
    with pytest.raises(BudgetExceeded, match="tokens budget exhausted: used 10 of 10"):
        await backend.complete(ask("e"))
    costly = wrap(openai_backend, ledger=CostLedger(), prices=PRICES, budget=Budget(max_cost_usd=5.0))
    await costly.complete(ask("a b c"))  # $3 + $8 = $11: over after the call, refused before the next
    with pytest.raises(BudgetExceeded, match="cost_usd"):
        await costly.complete(ask("again"))


async def test_time_budget_bounds_a_call_in_flight() -> None:
    async def hang(_: ChatRequest) -> str:
        await asyncio.sleep(5)
        return "late"

    backend = wrap(FunctionBackend(hang), budget=Budget(max_seconds=0.1))
    with pytest.raises(BudgetExceeded) as info:
        await backend.complete(ask())
    assert info.value.budget == "seconds"
    with pytest.raises(BudgetExceeded):
        await backend.complete(ask())


async def test_failures_are_recorded_and_cache_hits_are_free(server: LoopbackServer,
                                                            openai_backend: OpenAIBackend) -> None:
    ledger = CostLedger()
    backend = MeteredBackend(CachedBackend(openai_backend, SqliteCache()), ledger, prices=PRICES)
    server.fail("status", status=500)
    with pytest.raises(ServerError):
        await backend.complete(ask("q"))
    first = await backend.complete(ask("q"))
    hit = await backend.complete(ask("q"))
    assert first.usage.cost_usd > 0 and hit.usage.cost_usd == 0.0
    assert [r.ok for r in ledger.records] == [False, True, True]
    assert ledger.records[0].error.startswith("ServerError")
    assert ledger.totals().calls == 1, "only one call reached the provider and was paid for"


async def test_local_models_are_charged_by_compute_time() -> None:
    async def work(_: ChatRequest) -> ChatResponse:
        await asyncio.sleep(0.05)
        return ChatResponse(text="x", usage=Usage(input_tokens=5, output_tokens=5, calls=1))

    local = FunctionBackend(work, name="hf:tiny")
    ledger = CostLedger()
    backend = MeteredBackend(local, ledger, prices=PriceTable().extend({"hf:*": {"hour": 3600.0}}))
    response = await backend.complete(ask())
    record = ledger.records[0]
    assert record.compute_s >= 0.05 and response.usage.cost_usd == pytest.approx(record.compute_s)


async def test_streams_are_metered(server: LoopbackServer, openai_backend: OpenAIBackend) -> None:
    ledger = CostLedger()
    backend = MeteredBackend(openai_backend, ledger, prices=PRICES, budget=Budget(max_calls=1))
    chunks = [c async for c in backend.stream(ask("p q"))]
    assert chunks[-1].usage is not None and chunks[-1].usage.cost_usd == pytest.approx(2 + 3 * 2)
    assert len(ledger.records) == 1 and ledger.in_flight == 0
    with pytest.raises(BudgetExceeded):
        _ = [c async for c in backend.stream(ask("p q"))]
