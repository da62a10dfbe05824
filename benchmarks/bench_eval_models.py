"""What ``agentflow eval``'s model flags cost per session: a per-session RunModels (ledger, budget gate,
fallback, prices) and the response cache, against an evaluation without flags, in one process.

Run: ``.venv/bin/python benchmarks/bench_eval_models.py [--sessions 300] [--workers 4] [--rounds 2]``

Sessions are FA's fixed user queries (tests/data/eval/fixed_queries: real scripted conversations over 3
converted production workflows) repeated with distinct ids and seeds, on the guided runtime with the
``test`` backend (zero model latency, so the wrappers' cost is not hidden behind a model). Variants,
interleaved over ``--rounds`` rounds, each timed by process CPU (what a loaded machine distorts least):

* ``plain``: no model flags (the default stack: ledger and default prices);
* ``flags``: ``--retries 2 --fallback test --max-calls/--max-tokens/--max-cost`` (never reached)
  ``--prices FILE``: a budget gate and a fallback layer in every session's stacks;
* ``cache cold``: ``--cache DB`` on an empty file (every answer written);
* ``cache warm``: the same ``--cache DB`` again (every answer read; no model call).

Prints CPU ms per session and the ratio of each variant to ``plain``, and checks that every variant gave
the same sessions (the flags must not change results).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from bench_eval import scripted_cases  # noqa: E402

from agentflow.eval import EvalCase, PipelineConfig, RunnerSpec, SessionPipeline  # noqa: E402
from agentflow.eval.guided import GuidedRunner  # noqa: E402
from agentflow.eval.harness import evaluate  # noqa: E402
from agentflow.models import ModelOptions  # noqa: E402


async def _run(cases: list[EvalCase], options: ModelOptions, workers: int) -> tuple[float, list[Any], Any]:
    runner = GuidedRunner(["test"], models=options)
    config = PipelineConfig(runner=RunnerSpec(target="agentflow.eval.guided:guided_runner"))
    cpu = time.process_time()
    report = await evaluate(cases, config, pipeline=SessionPipeline(config, runner=runner), workers=workers)
    used = time.process_time() - cpu
    await runner.aclose()
    comparable = [s.model_dump(exclude={"cost_usd"}) for s in report.sessions]  # prices change only the cost
    return used, comparable, runner.cache


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    cases = scripted_cases(args.sessions)
    tmp = Path(tempfile.mkdtemp(prefix="bench_eval_models_"))
    try:
        prices = tmp / "prices.json"
        prices.write_text(json.dumps({"test*": {"input": 1.0, "output": 2.0}}), encoding="utf-8")
        flags = ModelOptions(retries=2, fallback=("test",), max_calls=10_000, max_tokens=10**9, max_cost_usd=1e6,
                             prices=prices)
        asyncio.run(_run(cases[:20], ModelOptions(), args.workers))  # warm-up: imports, workflows, role prompts
        cpu: dict[str, list[float]] = {"plain": [], "flags": [], "cache cold": [], "cache warm": []}
        results: dict[str, list[Any]] = {}
        hits = misses = 0
        load0 = os.getloadavg()[0]
        for r in range(args.rounds):
            db = tmp / f"cache{r}.sqlite"
            for name, options in (("plain", ModelOptions()), ("flags", flags), ("cache cold", ModelOptions(cache=db)),
                                  ("cache warm", ModelOptions(cache=db))):
                used, records, cache = asyncio.run(_run(cases, options, args.workers))
                cpu[name].append(used)
                results.setdefault(name, records)
                if name == "cache warm":
                    hits, misses = cache.hits, cache.misses
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    n = len(cases)
    best = {name: 1000 * min(values) / n for name, values in cpu.items()}  # least-disturbed round
    print(f"sessions: {n} x {args.rounds} rounds, workers {args.workers}, cpus {os.cpu_count()}, "
          f"load average {load0:.1f} -> {os.getloadavg()[0]:.1f}")
    for name, ms in best.items():
        print(f"{name:10s}: {ms:6.1f} ms CPU/session   ratio to plain {ms / best['plain']:.2f}x")
    same = all(records == results["plain"] for records in results.values())
    print(f"cache warm: {hits} hits, {misses} misses; same sessions in every variant: {same}")
    if not same:
        raise SystemExit("the model flags changed the sessions")


if __name__ == "__main__":
    main()
