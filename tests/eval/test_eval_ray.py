"""The Ray engine on a small local cluster (one per module: starting Ray costs seconds)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from agentflow.eval import EvalCase, PipelineConfig, RunnerSpec, import_path, summarize
from agentflow.eval.engines import run_local, run_ray
from agentflow.eval.harness import evaluate

pytestmark = pytest.mark.slow


def test_ray_engine_matches_local_on_fake_sessions(data_dir: Path, ray_cluster: Any) -> None:
    cases = import_path(data_dir / "flowagent", seed=11, repeats=6)
    config = PipelineConfig(runner=RunnerSpec(target="eval_fakes:make_runner",
                                              options={"fail_ids": ["flowagent-000-p1-r2"]}))
    local = asyncio.run(run_local(cases, config, workers=4))
    progress: list[str] = []
    remote = run_ray(cases, config, workers=2, batch_size=4, on_record=lambda r: progress.append(r.id))
    assert [r.model_dump() for r in remote] == [r.model_dump() for r in local]
    assert sorted(progress) == sorted(c.id for c in cases)
    assert summarize(remote, seed=11) == summarize(local, seed=11)
    assert sum(r.leaked for r in local) > 0 and sum(r.blocked for r in local) > 0  # something to compare
    assert ray_cluster.is_initialized()  # a cluster the engine did not start is left running


def test_ray_engine_runs_corpus_workflows_on_the_guided_runtime(data_dir: Path, ray_cluster: Any,
                                                                 tmp_path: Path) -> None:
    cases = import_path(data_dir / "fixed_queries", workflows=data_dir / "fa_ruled", seed=3)[::33]
    cases += import_path(data_dir / "flowagent", seed=3)[:1]
    config = PipelineConfig(runner=RunnerSpec(target="agentflow.eval.guided:guided_runner",
                                              options={"backend": ["test"]}))
    local = asyncio.run(evaluate(cases, config, engine="local", workers=4, seed=3, out_dir=tmp_path / "local"))
    remote = asyncio.run(evaluate(cases, config, engine="ray", workers=2, seed=3, out_dir=tmp_path / "ray"))
    differ = [(a.id, {k: (v, b.model_dump()[k]) for k, v in a.model_dump().items() if v != b.model_dump()[k]})
              for a, b in zip(local.sessions, remote.sessions, strict=True) if a != b]
    assert not differ, differ
    assert local.summary == remote.summary
    assert local.summary.n == len(cases) and local.summary.errors == 0
    assert local.summary.totals["executed_calls"] > 0 and remote.run["engine"] == "ray"
    assert (tmp_path / "ray" / "report.html").is_file()
    traces = sorted(p.name for p in (tmp_path / "ray" / "traces").iterdir())
    assert traces == sorted(p.name for p in (tmp_path / "local" / "traces").iterdir()) and len(traces) == len(cases)


def _local_model_available() -> bool:
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401

        from agentflow.backends.local import cache_root, find_packaged_gguf
    except ImportError:
        return False
    return find_packaged_gguf() is not None or (cache_root(os.environ) / "models" / "SmolLM2-135M-Instruct").is_dir()


@pytest.mark.skipif(not _local_model_available(), reason="the local model is not installed (.ci/install-local.sh)")
def test_local_model_sessions_match_on_both_engines(data_dir: Path, ray_cluster: Any, tmp_path: Path) -> None:
    wf, tools = data_dir / "flowagent" / "pdl" / "000.yaml", data_dir / "flowagent" / "tools" / "000.yaml"
    case = EvalCase(id="flight-local", workflow=str(wf), tools_spec=str(tools), max_turns=2,
                    user={"turns": ["Is flight CA1234 available at 12 o'clock on January 7, 2199?"]},
                    expected_apis=["checkAvailability"])
    spec = RunnerSpec(target="agentflow.eval.guided:guided_runner",
                      options={"backend": ["local:?max_new_tokens=48", "oow_classifier=test", "user_simulator=test"],
                               "max_actions_per_turn": 2})
    config = PipelineConfig(runner=spec)
    import torch

    # Ray workers run torch on one thread (OMP_NUM_THREADS=1); a different thread count sums floats
    # in another order and greedy decoding may pick another token, so both engines use one thread
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        local = asyncio.run(evaluate([case], config, engine="local", workers=1, out_dir=tmp_path / "local"))
    finally:
        torch.set_num_threads(threads)
    remote = asyncio.run(evaluate([case], config, engine="ray", workers=1, out_dir=tmp_path / "ray"))
    record = local.sessions[0]
    assert record.error is None and record.llm_calls >= 1 and record.input_tokens > 0
    assert remote.sessions == local.sessions  # greedy decoding: the same session on either engine
    trace = (tmp_path / "ray" / "traces" / "flight-local.jsonl").read_text(encoding="utf-8")
    assert '"model": "local' in trace or "SmolLM2" in trace


def test_cli_joins_a_running_cluster_with_ray_address(data_dir: Path, ray_cluster: Any, tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    address = ray_cluster.get_runtime_context().gcs_address
    out = tmp_path / "rep"
    done = subprocess.run(
        [sys.executable, "-m", "agentflow", "eval", str(data_dir / "flowagent"), "--engine", "ray",
         "--ray-address", address, "--workers", "1", "--limit", "2", "--report", str(out), "--no-progress"],
        capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["run"]["engine"] == "ray" and report["summary"]["n"] == 2 and report["summary"]["errors"] == 0
    assert "sessions/s on ray" in done.stdout
    assert ray_cluster.is_initialized()  # the joined cluster outlives the CLI run


def test_user_errors_cross_the_ray_boundary_as_one_line(data_dir: Path, ray_cluster: Any) -> None:
    from agentflow.errors import UserError

    cases = import_path(data_dir / "flowagent")[:3]
    bad_case = RunnerSpec(target="eval_fakes:make_runner", options={"bad_input_ids": [cases[1].id]})
    with pytest.raises(UserError, match="bad procedure"):
        run_ray(cases, PipelineConfig(runner=bad_case), workers=1)
    with pytest.raises(UserError, match="cannot load runner"):  # checked before any actor starts
        run_ray(cases, PipelineConfig(runner=RunnerSpec(target="no_such_module:make")), workers=1)
