"""Per-call cost of the run's model stack (RunModels) over a bare in-process backend.

Measures, in one run, the time per ``complete()`` of:

* a bare ``FunctionBackend`` (the baseline),
* the stack ``agentflow run`` builds with no flags (cost ledger + pricing),
* the stack with a run budget (``--max-calls``, ``--max-tokens``),
* the stack with a SQLite cache answering every call (``--cache``, all hits),
* the stack recording every answer to a JSONL file (``--record``).

The backend answers instantly, so the numbers are pure wrapper overhead (a hosted model call takes
hundreds of milliseconds). Run: ``.venv/bin/python benchmarks/bench_run_models.py [--calls N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from agentflow.backends.base import Backend, ChatMessage, ChatRequest
from agentflow.models import ModelOptions, RunModels
from agentflow.testing import FunctionBackend


def _request(i: int, distinct: bool) -> ChatRequest:
    text = f"question {i}" if distinct else "the same question"
    return ChatRequest(messages=(ChatMessage(role="system", content="You answer briefly."),
                                 ChatMessage(role="user", content=text)), metadata={"role": "critic"})


async def _per_call(backend: Backend, calls: int, distinct: bool) -> float:
    await backend.complete(_request(-1, distinct))  # warm-up (and, for the cache, the one miss)
    start = time.perf_counter()
    for i in range(calls):
        await backend.complete(_request(i, distinct))
    return (time.perf_counter() - start) / calls


async def main(calls: int) -> None:
    bare = FunctionBackend(lambda req: "ok")
    with tempfile.TemporaryDirectory() as tmp:
        cases: list[tuple[str, Backend, bool]] = [("bare FunctionBackend", bare, True)]
        for label, opts, distinct in (
            ("RunModels, no flags (ledger + prices)", ModelOptions(), True),
            ("+ --max-calls/--max-tokens budget", ModelOptions(max_calls=10**9, max_tokens=10**12), True),
            ("+ --cache (every call a hit)", ModelOptions(cache=Path(tmp) / "c.sqlite"), False),
            ("+ --record FILE.jsonl", ModelOptions(record=Path(tmp) / "r.jsonl"), True),
        ):
            models = RunModels(opts)
            cases.append((label, models.adopt(bare) if opts.wraps_objects else _metered(models, bare), distinct))
        base = 0.0
        print(f"{'stack':42} {'us/call':>9} {'x bare':>7}")
        for label, backend, distinct in cases:
            t = await _per_call(backend, calls, distinct)
            base = base or t
            print(f"{label:42} {t * 1e6:9.1f} {t / base:7.2f}")


def _metered(models: RunModels, backend: Backend) -> Backend:
    """What ``RunModels.build`` does for a spec with no flags: the ledger layer only."""
    from agentflow.backends.wrappers import wrap

    return wrap(backend, ledger=models.ledger, prices=models.prices)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    asyncio.run(main(parser.parse_args().calls))
