"""Engines: the local asyncio engine and the Ray engine score the same sessions the same way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eval_fakes import FakeRunner

from agentflow.errors import UserError
from agentflow.eval import EvalCase, PipelineConfig, RunnerSpec, SessionPipeline, import_path
from agentflow.eval.engines import run_local
from agentflow.eval.harness import evaluate

FAKE = RunnerSpec(target="eval_fakes:make_runner", options={"fail_ids": ["flowagent-000-p1-r2"]})


@pytest.fixture
def cases(data_dir: Path) -> list[EvalCase]:
    return import_path(data_dir / "flowagent", seed=11, repeats=6)  # 30 sessions


async def test_local_engine_keeps_case_order_and_records_crashes(cases: list[EvalCase], tmp_path: Path) -> None:
    seen: list[str] = []
    config = PipelineConfig(runner=FAKE, trace_dir=str(tmp_path / "traces"))
    records = await run_local(cases, config, workers=5, on_record=lambda r: seen.append(r.id))
    assert [r.id for r in records] == [c.id for c in cases] and sorted(seen) == sorted(r.id for r in records)
    crashed = next(r for r in records if r.id == "flowagent-000-p1-r2")
    assert crashed.error == "RuntimeError: boom in flowagent-000-p1-r2" and not crashed.success
    ok = next(r for r in records if r.error is None)
    assert ok.trace is not None
    lines = (tmp_path / "traces" / ok.trace).read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[-1])["type"] == "run_end"


async def test_worker_count_bounds_concurrency(cases: list[EvalCase]) -> None:
    import asyncio

    active = peak = 0

    class Slow(FakeRunner):
        async def __call__(self, case: EvalCase) -> Any:
            nonlocal active, peak
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.001)
            active -= 1
            return await super().__call__(case)

    runner = Slow()
    pipe = SessionPipeline(PipelineConfig(runner=FAKE), runner=runner)
    await run_local(cases, pipe.config, workers=3, pipeline=pipe)
    assert peak == 3 and runner.calls == len(cases)


async def test_user_error_stops_the_evaluation(cases: list[EvalCase]) -> None:
    class Broken(FakeRunner):
        async def __call__(self, case: EvalCase) -> Any:
            raise UserError("workflow.pdl:3:1: bad procedure")

    pipe = SessionPipeline(PipelineConfig(runner=FAKE), runner=Broken())
    with pytest.raises(UserError, match="bad procedure"):
        await run_local(cases, pipe.config, workers=2, pipeline=pipe)
    with pytest.raises(UserError, match="unknown engine"):
        await evaluate(cases, pipe.config, engine="spark")
    with pytest.raises(UserError, match="cannot load runner"):
        RunnerSpec(target="no_such_module:make").build()
