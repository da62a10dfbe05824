"""The SDK entry point: run an evaluation on an engine and build its report.

    report = evaluate_sync(load_dataset("cases.jsonl"), PipelineConfig(runner=RunnerSpec(...)),
                           engine="local", workers=8, out_dir="eval-report")
"""

from __future__ import annotations

import asyncio
import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from agentflow.errors import UserError
from agentflow.eval.dataset import EvalCase
from agentflow.eval.engines.local import run_local
from agentflow.eval.pipeline import PipelineConfig, SessionPipeline
from agentflow.eval.record import SessionRecord
from agentflow.eval.report.html import write_report
from agentflow.eval.report.model import EvalReport
from agentflow.eval.stats import DEFAULT_RESAMPLES
from agentflow.eval.summary import summarize

__all__ = ["evaluate", "evaluate_sync", "peak_rss_mb"]


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


async def evaluate(
    cases: Sequence[EvalCase],
    config: PipelineConfig,
    *,
    engine: str = "local",
    workers: int = 4,
    ray_address: str | None = None,
    out_dir: str | Path | None = None,
    dataset: str = "",
    seed: int = 0,
    resamples: int = DEFAULT_RESAMPLES,
    on_record: Callable[[SessionRecord], None] | None = None,
    pipeline: SessionPipeline | None = None,
) -> EvalReport:
    """Run every case, summarise, and (with ``out_dir``) write the JSON and HTML report.

    Args:
        cases: the sessions to run.
        config: runner, judge and scoring options; ``trace_dir`` defaults to ``out_dir/traces``.
        engine: ``local`` (asyncio in this process) or ``ray``.
        workers: concurrent sessions (local) or actors (ray).
        ray_address: a Ray cluster to join (``None`` starts a local one).
        out_dir: the report folder; nothing is written without it.
        dataset: the dataset's name or path, for the report.
        seed: the evaluation seed (recorded; also seeds the bootstrap).
        resamples: bootstrap resamples per interval.
        on_record: progress callback, called once per finished session.
        pipeline: a ready pipeline for the local engine (an in-process runner, e.g. in tests).
    """
    if not cases:
        raise UserError("nothing to evaluate: the dataset has no cases")
    if out_dir is not None and config.trace_dir is None:
        config = config.model_copy(update={"trace_dir": str(Path(out_dir) / "traces")})
    start = time.perf_counter()
    if engine == "local":
        records = await run_local(cases, config, workers=workers, on_record=on_record, pipeline=pipeline)
    elif engine == "ray":
        from agentflow.eval.engines.ray_engine import run_ray

        records = await asyncio.to_thread(run_ray, cases, config, workers=workers, address=ray_address,
                                          on_record=on_record)
    else:
        raise UserError(f"unknown engine {engine!r}", hint="use --engine local or --engine ray")
    wall = time.perf_counter() - start
    run: dict[str, Any] = {
        "engine": engine, "workers": workers, "wall_s": round(wall, 3),
        "sessions_per_s": round(len(records) / wall, 2) if wall > 0 else None,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    report = EvalReport(
        dataset=dataset,
        config={"runner": config.runner.model_dump(mode="json"), "judge": config.judge,
                "judge_backend": config.judge_backend if config.judge == "model" else None,
                "turn_level": config.turn_level, "seed": seed},
        summary=summarize(records, seed=seed, resamples=resamples),
        sessions=sorted(records, key=lambda r: r.id),
        run=run,
    )
    if out_dir is not None:
        write_report(report, out_dir)
    return report


def evaluate_sync(cases: Sequence[EvalCase], config: PipelineConfig, **kwargs: Any) -> EvalReport:
    """:func:`evaluate` for callers without an event loop."""
    return asyncio.run(evaluate(cases, config, **kwargs))
