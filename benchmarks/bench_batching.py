"""Eight concurrent critic calls through a batching local backend vs the same calls one by one.

For each backend spec: warm up, then (alternating, ``--rounds`` times) run the eight critic requests
sequentially and concurrently (the backend's MicroBatcher serves the concurrent ones as one batch), and
print output tokens per second for both and their ratio (baseline = one by one, same run).

    .venv/bin/python benchmarks/bench_batching.py                      # local (HF) and vllm:local
    .venv/bin/python benchmarks/bench_batching.py --backend local --max-tokens 64

vLLM runs in whichever interpreter has it: this one, $AGENTFLOW_VLLM_PYTHON, or the virtualenv that
.ci/install-local.sh makes (the benchmark re-runs itself there). vLLM scripts need the main guard.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PLANS = [
    "book a flight to Paris, then reserve a hotel near the airport",
    "refund the order after checking the receipt date",
    "ask for the user's ID before changing the address",
    "call the weather API for every city in the list",
    "summarise the document, then translate the summary",
    "retry the payment three times, then email support",
    "check availability before reserving the seat",
    "collect the slots, confirm them, then submit the form",
]


def _requests(max_tokens: int) -> list[Any]:
    from agentflow.backends.base import ChatMessage, ChatRequest

    system = ChatMessage(role="system", content="You are a strict critic. Point out the weakest step of the plan.")
    return [
        ChatRequest(
            messages=(system, ChatMessage(role="user", content=f"Plan: {plan}. What could go wrong?")),
            max_tokens=max_tokens,
            metadata={"role": f"critic{i}"},
        )
        for i, plan in enumerate(PLANS)
    ]


async def _measure(backend: Any, requests: list[Any], rounds: int) -> tuple[float, float, int]:
    await backend.complete(requests[0])  # warm-up (first-call allocations, grammar caches, kernels)
    seq_best = conc_best = 0.0
    sizes = 0
    for _ in range(rounds):
        started = time.perf_counter()
        tokens = 0
        for request in requests:
            tokens += (await backend.complete(request)).usage.output_tokens
        seq_best = max(seq_best, tokens / (time.perf_counter() - started))
        before = len(backend.batcher.stats.sizes)
        started = time.perf_counter()
        answers = await asyncio.gather(*(backend.complete(r) for r in requests))
        elapsed = time.perf_counter() - started
        conc_best = max(conc_best, sum(a.usage.output_tokens for a in answers) / elapsed)
        sizes = max(backend.batcher.stats.sizes[before:])
    return seq_best, conc_best, sizes


def run_here(spec: str, max_tokens: int, rounds: int) -> None:
    from agentflow.models import build_backend

    started = time.perf_counter()
    backend: Any = build_backend(spec)
    load_s = time.perf_counter() - started
    seq, conc, size = asyncio.run(_measure(backend, _requests(max_tokens), rounds))
    backend.close()
    print(
        f"{spec:<12} load {load_s:6.1f} s | one-by-one {seq:7.1f} tok/s | 8 concurrent {conc:7.1f} tok/s"
        f" (batch of {size}) | ratio {conc / seq:5.2f}x",
        flush=True,
    )


def _vllm_python() -> str | None:
    if importlib.util.find_spec("vllm") is not None:
        return sys.executable
    from agentflow.backends.local import cache_root

    ci_venv = cache_root(os.environ) / "vllm-venv" / "bin" / "python"
    for candidate in (os.environ.get("AGENTFLOW_VLLM_PYTHON", ""), str(ci_venv)):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", action="append", help="spec to measure (repeatable); default local, vllm:local")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"8 critic calls, {args.max_tokens} new tokens max each, greedy, best of {args.rounds} rounds; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    for spec in args.backend or ["local", "vllm:local"]:
        if spec.startswith("vllm:") and importlib.util.find_spec("vllm") is None:
            python = _vllm_python()
            if python is None:
                print(f"{spec:<12} skipped: vLLM is not installed (see docs/local-models.md)")
                continue
            cmd = [python, __file__, "--backend", spec, "--max-tokens", str(args.max_tokens),
                   "--rounds", str(args.rounds)]
            env = dict(os.environ, PYTHONPATH=str(ROOT))
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
            lines = [ln for ln in out.stdout.splitlines() if ln.startswith(spec)]
            print(lines[-1] if lines else f"{spec:<12} failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        run_here(spec, args.max_tokens, args.rounds)


if __name__ == "__main__":
    main()
