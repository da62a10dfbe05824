"""build_stack from specs (the CLI/runner path) and the price table."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentflow.backends.pricing import Price, PriceTable, is_local
from agentflow.backends.wrappers import (
    Budget,
    BudgetGate,
    CachedBackend,
    CostLedger,
    FallbackBackend,
    MeteredBackend,
    RetryBackend,
    SqliteCache,
)
from agentflow.errors import BudgetExceeded, UserError
from agentflow.messages import Usage
from agentflow.models import build_stack

from .conftest import ask
from .loopback import LoopbackServer


async def test_build_stack_layers_and_runs_with_fallback_cache_and_budget(tmp_path: Path) -> None:
    with LoopbackServer() as a, LoopbackServer() as b:
        env = {"OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k2", "ANTHROPIC_BASE_URL": b.url}
        ledger = CostLedger()
        stack = build_stack(f"openai:gpt-4o-mini?base_url={a.openai_base_url}&timeout=2", environ=env,
                            fallback=["anthropic:claude-haiku-4-5"], cache=tmp_path / "cache.sqlite",
                            ledger=ledger, budget=Budget(max_calls=3))
        assert isinstance(stack, BudgetGate) and isinstance(stack.inner, CachedBackend)
        fallback = stack.inner.inner
        assert isinstance(fallback, FallbackBackend)
        assert all(isinstance(m, MeteredBackend) and isinstance(m.inner, RetryBackend) for m in fallback.backends)
        try:
            a.fail("status", times=4, status=500)  # the default policy tries 4 times, then falls back
            first = await stack.complete(ask("hi"))
            cached = await stack.complete(ask("hi"))
            third = await stack.complete(ask("next"))
            with pytest.raises(BudgetExceeded):
                await stack.complete(ask("one too many"))
        finally:
            await stack.aclose()
        assert first.model == "claude-haiku-4-5" and cached.text == first.text
        assert third.model == "gpt-4o-mini"
        assert len(b.requests) == 1 and len(a.requests) == 5
        # priced from the default table: haiku 4.5 $1/$5 per Mtok
        # the primary's failure (after 4 tries), the fallback's answer priced as the fallback, the primary's answer
        assert [(r.backend, r.ok) for r in ledger.records] == [
            ("openai:gpt-4o-mini", False), ("anthropic:claude-haiku-4-5", True), ("openai:gpt-4o-mini", True)]
        assert ledger.records[1].cost_usd == pytest.approx((1 * 1.00 + 2 * 5.00) / 1e6)
        assert ledger.records[2].cost_usd == pytest.approx((1 * 0.15 + 2 * 0.60) / 1e6)


def test_offline_specs_get_no_retry_and_errors_stay_user_errors() -> None:
    stack = build_stack("test")
    assert type(stack).__name__ == "SchemaBackend"
    with pytest.raises(UserError, match="unknown backend"):
        build_stack("nope:x")


def test_price_lookup_longest_pattern_and_aliases(tmp_path: Path) -> None:
    table = PriceTable()
    assert table.lookup("openai:gpt-4o-mini") == Price(0.15, 0.60, 0.075)
    assert table.lookup("openai:gpt-4o") == Price(2.50, 10.00, 1.25)
    assert table.lookup("litellm:openai/gpt-4o-mini") == Price(0.15, 0.60, 0.075)
    assert table.lookup("vllm:anything") == Price() and table.lookup("mystery:model") is None
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000, cached_tokens=500_000, calls=1)
    assert table.cost("openai:gpt-4o", usage) == pytest.approx(0.5 * 2.5 + 0.5 * 1.25 + 10.0)
    assert table.cost("mystery:model", usage) == 0.0

    file = tmp_path / "prices.yaml"
    file.write_text("'openai:my-ft*': {input: 1.0, output: 2.0}\n'hf:*': {hour: 1.5}\n")
    custom = PriceTable.from_file(file)
    assert custom.lookup("openai:my-ft-001") == Price(1.0, 2.0)
    assert custom.cost("hf:x", Usage(calls=1), compute_s=7200) == pytest.approx(3.0)
    assert custom.lookup("openai:gpt-4o") is not None, "defaults are kept"
    with pytest.raises(UserError, match="unknown price field 'inptu'"):
        PriceTable().extend({"x": {"inptu": 1.0}})
    with pytest.raises(UserError, match="cannot read price table"):
        PriceTable.from_file(tmp_path / "missing.json")


def test_local_backends_are_told_apart_from_servers() -> None:
    assert is_local("hf:HuggingFaceTB/SmolLM2-135M-Instruct") and is_local("local") and is_local("vllm:m")
    assert is_local("hf") and not is_local("vllm+http://h:1:m") and not is_local("openai:gpt-4o")


def test_sqlite_cache_object_can_be_shared(tmp_path: Path) -> None:
    cache = SqliteCache(tmp_path / "shared.sqlite")
    one = build_stack("test", cache=cache)
    two = build_stack("test", cache=cache)
    assert isinstance(one, CachedBackend) and isinstance(two, CachedBackend) and one.cache is two.cache
    cache.close()
