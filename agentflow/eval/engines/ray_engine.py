"""The Ray engine: a pool of Ray actors, each holding one session pipeline, scoring batches of cases.

``ray.init()`` starts a local cluster (``address=None``) or joins one (``address="ray://..."`` or
``"auto"``). Each actor builds its runner once (a local model loads once per actor, not per session)
and runs the sessions of a batch concurrently on its own event loop. Records are returned to the
driver and put back in case order, so the report is the same as the local engine's.

Ray is an optional dependency (``pip install 'agentflow[ray]'``); it is imported only here, and only
when this engine is used.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from agentflow.errors import UserError
from agentflow.eval.dataset import EvalCase
from agentflow.eval.pipeline import PipelineConfig, SessionPipeline, check_config
from agentflow.eval.record import SessionRecord

__all__ = ["EvalWorker", "run_ray"]

OnRecord = Callable[[SessionRecord], None]


class EvalWorker:
    """The actor body: one pipeline, many batches (the class is wrapped with ``ray.remote`` at use)."""

    def __init__(self, config: PipelineConfig, concurrency: int) -> None:
        self._pipe = SessionPipeline(config)
        self._sem = asyncio.Semaphore(max(1, concurrency))

    async def run_batch(self, batch: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, dict[str, Any]]]:
        """Score a batch of ``(index, case as JSON)``; returns ``(index, record as JSON)``."""

        async def one(index: int, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            async with self._sem:
                record = await self._pipe.run_case(EvalCase.model_validate(raw))
                return index, record.model_dump(mode="json")

        return list(await asyncio.gather(*(one(i, raw) for i, raw in batch)))

    async def close(self) -> None:
        """Release the runner's resources."""
        await self._pipe.aclose()


def _user_error(exc: BaseException) -> UserError | None:
    """The :class:`UserError` a Ray error wraps (task errors and actor deaths carry it as ``cause``)."""
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            return None
        if isinstance(seen, UserError):
            return seen
        nxt = getattr(seen, "cause", None)
        seen = nxt if isinstance(nxt, BaseException) else seen.__cause__
    return None


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UserError("the ray engine needs Ray",
                        hint="pip install 'agentflow[ray]', or use --engine local") from None
    return ray


def _init(ray: Any, address: str | None, workers: int) -> bool:
    if ray.is_initialized():
        return False
    if address:
        ray.init(address=address, logging_level="ERROR", log_to_driver=False)
    else:
        # Workers import the runner by module path: give them the driver's import path.
        path = os.pathsep.join(p for p in [os.getcwd(), *sys.path] if p)
        ray.init(num_cpus=max(1, workers), include_dashboard=False, logging_level="ERROR", log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": path}})
    return True


def run_ray(cases: Sequence[EvalCase], config: PipelineConfig, *, workers: int = 2, address: str | None = None,
            concurrency: int = 8, batch_size: int | None = None,
            on_record: OnRecord | None = None) -> list[SessionRecord]:
    """Score ``cases`` on Ray; records come back in case order.

    Args:
        cases: what to run.
        config: how to run and score each case (sent to every actor).
        workers: actors (each takes one CPU); also the CPU count of a cluster started here.
        address: a cluster to join; ``None`` starts a local one (shut down again at the end).
        concurrency: sessions in flight inside one actor.
        batch_size: cases per task (default: enough for ~4 batches per actor, for live progress).
        on_record: called with each record as its batch comes back.
    """
    check_config(config)
    ray = _import_ray()
    started = _init(ray, address, workers)
    try:
        n_actors = max(1, min(workers, len(cases)))
        actor_cls = ray.remote(num_cpus=1)(EvalWorker)
        actors = [actor_cls.remote(config, concurrency) for _ in range(n_actors)]
        size = batch_size or max(1, -(-len(cases) // (n_actors * 4)))
        payload = [(i, c.model_dump(mode="json")) for i, c in enumerate(cases)]
        batches = [payload[i:i + size] for i in range(0, len(payload), size)]
        pending = [actors[k % n_actors].run_batch.remote(b) for k, b in enumerate(batches)]
        results: list[SessionRecord | None] = [None] * len(cases)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for i, raw in ray.get(done[0]):
                record = SessionRecord.model_validate(raw)
                results[i] = record
                if on_record is not None:
                    on_record(record)
        ray.get([a.close.remote() for a in actors])
        for a in actors:
            ray.kill(a)
        return [r for r in results if r is not None]
    except Exception as exc:
        user_error = _user_error(exc)
        if user_error is not None:
            raise user_error from None
        raise
    finally:
        if started:
            ray.shutdown()
