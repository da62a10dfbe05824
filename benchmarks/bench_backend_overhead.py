"""Backend overhead per call against a bare SDK call, on the loopback server.

Run: ``.venv/bin/python benchmarks/bench_backend_overhead.py [--calls 200] [--rounds 5]``

Every variant sends the same one-message chat request to the loopback OpenAI/Anthropic server (a
thread in this process), one call at a time. Variants run interleaved, round by round, so machine load
drifts equally over all of them. Reported per call, median over rounds: process CPU time (client and
in-process server together, so other processes' load hardly moves it — the primary number) and wall
time, each with the overhead over the bare SDK call of the same provider, in microseconds and as a ratio.

* ``sdk bare``: ``AsyncOpenAI().chat.completions.create`` / ``AsyncAnthropic().messages.create``.
* ``backend``: agentflow's provider backend (request translation, response parsing, error mapping).
* ``stack``: ``build_stack`` with retry, cost ledger and budget (what ``agentflow run`` would use).
* ``stack+cache``: the stack plus the SQLite cache, every call a miss (a lookup and a write).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "backends"))

from loopback import LoopbackServer

from agentflow.backends.anthropic import AnthropicBackend
from agentflow.backends.base import (
    Backend,
    ChatMessage,
    ChatRequest,
    ChatResponse,
    StreamChunk,
    stream_via_complete,
)
from agentflow.backends.openai import OpenAIBackend
from agentflow.backends.wrappers import (
    Budget,
    CostLedger,
    RetryPolicy,
    SqliteCache,
    wrap,
)
from agentflow.messages import Usage
from agentflow.models import build_stack

Call = Callable[[int], Awaitable[Any]]


def _request(i: int) -> ChatRequest:
    return ChatRequest(messages=(ChatMessage(role="system", content="be brief"),
                                 ChatMessage(role="user", content=f"question number {i}")))


async def _variants(server: LoopbackServer) -> dict[str, Call]:
    import anthropic
    import openai

    bare_openai = openai.AsyncOpenAI(api_key="k", base_url=server.openai_base_url, max_retries=0)
    bare_anthropic = anthropic.AsyncAnthropic(api_key="k", base_url=server.url, max_retries=0)
    env = {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": server.openai_base_url,
           "ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": server.url}
    oa_backend = OpenAIBackend("gpt-bench", api_key="k", base_url=server.openai_base_url, token_param="max_tokens")
    an_backend = AnthropicBackend("claude-bench", api_key="k", base_url=server.url)
    budget = Budget(max_calls=10**9, max_cost_usd=10**6)
    oa_stack = build_stack("openai:gpt-4o-mini", environ=env, ledger=CostLedger(), budget=budget)
    an_stack = build_stack("anthropic:claude-haiku-4-5", environ=env, ledger=CostLedger(), budget=budget)
    oa_cached = build_stack("openai:gpt-4o-mini", environ=env, ledger=CostLedger(), budget=budget,
                            cache=SqliteCache(Path("/tmp") / f"agentflow-bench-{time.time_ns()}.sqlite"))
    counter = iter(range(10**9))

    async def sdk_openai(i: int) -> Any:
        return await bare_openai.chat.completions.create(
            model="gpt-bench", messages=[{"role": "system", "content": "be brief"},
                                         {"role": "user", "content": f"question number {i}"}])

    async def sdk_anthropic(i: int) -> Any:
        return await bare_anthropic.messages.create(
            model="claude-bench", max_tokens=1024, system="be brief",
            messages=[{"role": "user", "content": f"question number {i}"}])

    async def unique(i: int) -> Any:  # a fresh request every time: always a cache miss
        return await oa_cached.complete(_request(next(counter) + 10**6))

    return {
        "openai  sdk bare": sdk_openai,
        "openai  backend": lambda i: oa_backend.complete(_request(i)),
        "openai  stack": lambda i: oa_stack.complete(_request(i)),
        "openai  stack+cache": unique,
        "anthropic sdk bare": sdk_anthropic,
        "anthropic backend": lambda i: an_backend.complete(_request(i)),
        "anthropic stack": lambda i: an_stack.complete(_request(i)),
    }


async def _measure(calls: int, rounds: int) -> dict[str, list[tuple[float, float]]]:
    with LoopbackServer() as server:
        variants = await _variants(server)
        for fn in variants.values():  # warm up: connections, imports, code paths
            for i in range(20):
                await fn(i)
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
        for _ in range(rounds):
            for name, fn in variants.items():
                cpu, wall = time.process_time(), time.perf_counter()
                for i in range(calls):
                    await fn(i)
                results[name].append(((time.process_time() - cpu) / calls, (time.perf_counter() - wall) / calls))
        return results


class _Instant:
    """A backend that answers at once: isolates the wrappers' own cost from any I/O."""

    name = "openai:gpt-4o-mini"

    async def complete(self, request: ChatRequest) -> ChatResponse:
        return ChatResponse(text="ok", usage=Usage(input_tokens=3, output_tokens=1, calls=1), model="gpt-4o-mini")

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        return stream_via_complete(self, request)


async def _wrappers_only(calls: int, rounds: int) -> dict[str, float]:
    inner = _Instant()
    variants: dict[str, Backend] = {
        "no wrapper": inner,
        "retry": wrap(inner, retry=RetryPolicy()),
        "retry+ledger+budget": wrap(inner, retry=RetryPolicy(), ledger=CostLedger(), budget=Budget(max_calls=10**9)),
        "cache hit": wrap(inner, cache=SqliteCache()),
    }
    request = _request(0)
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, backend in variants.items():
            start = time.process_time()
            for _ in range(calls):
                await backend.complete(request)
            per_call = (time.process_time() - start) / calls
            best[name] = min(best.get(name, per_call), per_call)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    results = asyncio.run(_measure(args.calls, args.rounds))
    print(f"{args.calls} sequential calls x {args.rounds} interleaved rounds; median per call")
    print(f"{'variant':22} {'cpu ms':>7} {'+us':>6} {'ratio':>6} | {'wall ms':>7} {'+us':>6} {'ratio':>6}")
    for name, samples in results.items():
        bare = results["anthropic sdk bare" if name.startswith("anthropic") else "openai  sdk bare"]
        row = [name.ljust(22)]
        for k in (0, 1):
            base = statistics.median(s[k] for s in bare)
            med = statistics.median(s[k] for s in samples)
            row.append(f"{med * 1e3:7.3f} {(med - base) * 1e6:6.0f} {med / base:6.2f}")
        print(" ".join(row[:2]) + " | " + row[2])
    wrappers = asyncio.run(_wrappers_only(3000, args.rounds))
    print("\nwrappers alone (instant in-memory backend, CPU us per call, best of rounds)")
    for name, per_call in wrappers.items():
        print(f"{name:22} {per_call * 1e6:7.1f}  (+{(per_call - wrappers['no wrapper']) * 1e6:.1f})")


if __name__ == "__main__":
    main()
