"""The local engine: ``workers`` asyncio tasks pull cases from one queue and score them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from agentflow.eval.dataset import EvalCase
from agentflow.eval.pipeline import PipelineConfig, SessionPipeline
from agentflow.eval.record import SessionRecord

__all__ = ["run_local"]

OnRecord = Callable[[SessionRecord], None]


async def run_local(cases: Sequence[EvalCase], config: PipelineConfig, *, workers: int = 4,
                    on_record: OnRecord | None = None, pipeline: SessionPipeline | None = None) -> list[SessionRecord]:
    """Score ``cases`` with at most ``workers`` sessions in flight; records come back in case order.

    Args:
        cases: what to run.
        config: how to run and score each case (ignored for building when ``pipeline`` is given).
        workers: concurrent sessions (sessions mostly wait on models, so more than CPU cores helps).
        on_record: called with each record as it is finished (progress display).
        pipeline: a ready pipeline (tests pass one holding an in-process runner).
    """
    own = pipeline is None
    pipe = pipeline if pipeline is not None else SessionPipeline(config)
    results: list[SessionRecord | None] = [None] * len(cases)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(cases)):
        queue.put_nowait(i)

    async def worker() -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            record = await pipe.run_case(cases[i])
            results[i] = record
            if on_record is not None:
                on_record(record)

    try:
        tasks = [asyncio.create_task(worker()) for _ in range(max(1, min(workers, len(cases))))]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
    finally:
        if own:
            await pipe.aclose()
    return [r for r in results if r is not None]
