"""Evaluation throughput and memory per session: 1,000 scripted sessions through ``agentflow eval``'s engine.

Run: ``.venv/bin/python benchmarks/bench_eval.py [--sessions 1000] [--workers 4] [--engine local|ray]``

The sessions are FA's fixed user queries (tests/data/eval/fixed_queries: 66 real scripted conversations
over 3 converted production workflows), repeated with distinct ids and seeds up to ``--sessions``, run on
the guided runtime with the ``test`` backend and deterministic mock tools. Measured in one process:

* ``baseline``: the guided runtime alone — ``run_session`` for each case in a plain loop, no audit, judge,
  trace file or report (what any harness must at least pay);
* ``eval``: :func:`agentflow.eval.harness.evaluate` on the chosen engine — the same sessions plus the
  trace files, the compliance audit, the rule judge, bootstrap CIs and the JSON + HTML report with a
  transcript page per session.

Prints, for both, sessions/s of wall time and CPU milliseconds per session (process CPU time is what a
shared, loaded machine distorts least), the ratios eval / baseline, the wall time including the report,
the load average, and the peak-RSS growth per session of the eval run (everything it keeps: records,
not traces).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from agentflow.eval import EvalCase, PipelineConfig, RunnerSpec, import_path  # noqa: E402
from agentflow.eval.guided import GuidedRunner  # noqa: E402
from agentflow.eval.harness import evaluate, peak_rss_mb  # noqa: E402

DATA = ROOT / "tests" / "data" / "eval"


def scripted_cases(n: int) -> list[EvalCase]:
    """``n`` sessions cycling over the fixed-query fixtures, each with its own id and seed."""
    base = import_path(DATA / "fixed_queries", workflows=DATA / "fa_ruled")
    out: list[EvalCase] = []
    for i in range(n):
        case = base[i % len(base)]
        out.append(case.model_copy(update={"id": f"{case.id}-s{i:04d}", "seed": i}))
    return out


async def _baseline(cases: list[EvalCase], workers: int) -> tuple[float, float]:
    runner = GuidedRunner(["test"])
    queue = list(cases)

    async def worker() -> None:
        while queue:
            await runner(queue.pop())

    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--baseline-sessions", type=int, default=200, help="sessions for the runtime-only baseline")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--engine", choices=("local", "ray"), default="local")
    args = parser.parse_args()

    cases = scripted_cases(args.sessions)
    config = PipelineConfig(runner=RunnerSpec(target="agentflow.eval.guided:guided_runner",
                                              options={"backend": ["test"]}))
    asyncio.run(_baseline(cases[:20], args.workers))  # warm-up: imports, workflow loads, role prompts
    base_n = min(args.baseline_sessions, len(cases))
    load0 = os.getloadavg()[0]
    base_s, base_cpu = asyncio.run(_baseline(cases[:base_n], args.workers))
    rss0 = peak_rss_mb()
    out = Path(tempfile.mkdtemp(prefix="bench_eval_"))
    try:
        start, cpu = time.perf_counter(), time.process_time()
        report = asyncio.run(evaluate(cases, config, engine=args.engine, workers=args.workers, out_dir=out,
                                      dataset="fixed_queries x repeat", seed=0))
        total, total_cpu = time.perf_counter() - start, time.process_time() - cpu
        rss1 = peak_rss_mb()
        html_kb = (out / "report.html").stat().st_size / 1024
        pages = len(list((out / "sessions").iterdir()))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    n = report.summary.n
    base_rate, eval_rate = base_n / base_s, n / total
    base_ms, eval_ms = 1000 * base_cpu / base_n, 1000 * total_cpu / n
    print(f"sessions: {n} ({report.summary.errors} crashed), engine {args.engine}, workers {args.workers}, "
          f"cpus {os.cpu_count()}, load average {load0:.1f} -> {os.getloadavg()[0]:.1f}")
    print(f"baseline (guided runtime only, {base_n:4d} sessions): {base_rate:6.2f} sessions/s "
          f"{base_ms:7.1f} ms CPU/session")
    print(f"eval (run+audit+judge+traces+report, {n:4d} sessions): {eval_rate:6.2f} sessions/s "
          f"{eval_ms:7.1f} ms CPU/session")
    print(f"eval wall {total:.1f} s including the report ({html_kb:.0f} KiB HTML, {pages} transcript pages)")
    print(f"ratio eval / baseline: throughput {eval_rate / base_rate:.2f}x, CPU per session {eval_ms / base_ms:.2f}x")
    print(f"peak RSS: {rss0:.0f} MiB before, {rss1:.0f} MiB after; growth per session "
          f"{(rss1 - rss0) * 1024 / max(1, n):.1f} KiB")
    m = report.summary.metrics
    print(f"metrics: success {m['success_rate'].value:.3f}, compliance {m['compliance_rate'].value:.3f}, "
          f"executed calls {report.summary.totals['executed_calls']:.0f}")


if __name__ == "__main__":
    main()
