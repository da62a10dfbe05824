"""``agentflow eval`` with the model flags of ``agentflow run``: budgets per session, retries and fallback on
every call, prices in the report's costs, record/replay of a whole evaluation, and the Ray engine.

Hosted calls are real OpenAI SDK calls to the loopback server of tests/backends (no network beyond
127.0.0.1); its request log shows whether a model was asked at all.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from backends.loopback import LoopbackServer

from agentflow.backends.base import ChatRequest
from agentflow.cli import main
from agentflow.errors import UserError
from agentflow.eval import EvalCase, PipelineConfig, RunnerSpec, SessionPipeline, import_path, load_dataset
from agentflow.eval.executed import ExecutedRunner
from agentflow.eval.guided import GuidedRunner
from agentflow.eval.harness import evaluate
from agentflow.models import ModelOptions
from agentflow.testing import FunctionBackend, synthesize

PRICES = {"test*": {"input": 1000.0, "output": 2000.0}}  # USD per million tokens: big enough to see


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture
def prices(tmp_path: Path) -> Path:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(PRICES), encoding="utf-8")
    return path


def _cases(data_dir: Path, limit: int = 4) -> list[EvalCase]:
    return import_path(data_dir / "fixed_queries", workflows=data_dir / "fa_ruled", seed=0)[:limit]


def _eval_cli(data_dir: Path, out: Path, *flags: str, limit: int = 4) -> dict[str, Any]:
    code = main(["eval", str(data_dir / "fixed_queries"), "--workflows", str(data_dir / "fa_ruled"),
                 "--limit", str(limit), "--no-progress", "--report", str(out), *flags])
    assert code == 0
    report: dict[str, Any] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return report


def _without(session: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in session.items() if k not in keys}


def test_per_session_budget_stops_long_sessions_and_the_eval_goes_on(data_dir: Path, tmp_path: Path) -> None:
    free = _eval_cli(data_dir, tmp_path / "free")
    limit = sorted(s["llm_calls"] for s in free["sessions"])[1]  # the shortest session fits, longer ones do not
    capped = _eval_cli(data_dir, tmp_path / "capped", "--max-calls", str(limit))
    by_id = {s["id"]: s for s in free["sessions"]}
    long_ones = {s["id"] for s in free["sessions"] if s["llm_calls"] > limit}
    assert long_ones and len(long_ones) < len(free["sessions"])
    for s in capped["sessions"]:
        if s["id"] in long_ones:  # stopped at its own limit, not at a shared one
            assert s["status"] == "budget_exhausted" and not s["success"]
            assert s["llm_calls"] == limit and "calls budget exhausted" in s["reason"]
        else:  # a session within budget is exactly what it was without one
            assert s == by_id[s["id"]]
    summary = capped["summary"]
    assert summary["errors"] == 0 and summary["totals"]["budget_exhausted"] == len(long_ones)
    html = (tmp_path / "capped" / "report.html").read_text(encoding="utf-8")
    assert f"{len(long_ones)} out of budget" in html and "budget exhausted</td>" in html


def test_prices_change_the_report_cost(data_dir: Path, tmp_path: Path, prices: Path) -> None:
    plain = _eval_cli(data_dir, tmp_path / "plain", limit=2)
    priced = _eval_cli(data_dir, tmp_path / "priced", "--prices", str(prices), limit=2)
    assert plain["summary"]["totals"]["cost_usd"] == 0.0
    for before, after in zip(plain["sessions"], priced["sessions"], strict=True):
        expected = (after["input_tokens"] * 1000.0 + after["output_tokens"] * 2000.0) / 1_000_000
        assert after["cost_usd"] == pytest.approx(expected) and expected > 0
        assert _without(after, "cost_usd") == _without(before, "cost_usd")  # only the price changed
    assert priced["summary"]["metrics"]["cost_per_session_usd"]["value"] > 0


def test_fallback_rescues_a_failing_primary_on_every_call(data_dir: Path, tmp_path: Path, server: LoopbackServer,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-eval")
    primary = f"openai:gpt-eval?base_url={server.openai_base_url}&timeout=5"
    baseline = _eval_cli(data_dir, tmp_path / "test", limit=2)
    server.fail("status", times=10_000, status=500)
    broken = _eval_cli(data_dir, tmp_path / "broken", "--backend", primary, "--retries", "0", limit=2)
    assert broken["summary"]["errors"] == 2 and all("ServerError" in (s["error"] or "") for s in broken["sessions"])
    asked = len(server.requests)
    rescued = _eval_cli(data_dir, tmp_path / "rescued", "--backend", primary, "--retries", "0",
                        "--fallback", "test", limit=2)
    calls = sum(s["llm_calls"] for s in rescued["sessions"])
    assert len(server.requests) - asked == calls  # every call tried the primary once (no retries), then fell back
    assert all(r.answered == "status" for r in server.requests)
    assert rescued["sessions"] == baseline["sessions"] and rescued["summary"]["errors"] == 0


def test_retries_apply_inside_eval(data_dir: Path, tmp_path: Path, server: LoopbackServer,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-eval")
    server.fail("status", times=2, status=500)
    report = _eval_cli(data_dir, tmp_path / "r", "--backend",
                       f"openai:gpt-eval?base_url={server.openai_base_url}&timeout=5", "--retries", "2", limit=1)
    session = report["sessions"][0]
    assert session["error"] is None and session["llm_calls"] > 0
    assert [r.answered for r in server.requests[:3]] == ["status", "status", "ok"]
    assert len(server.requests) == session["llm_calls"] + 2  # the two failures were retried, nothing else


def test_the_model_judge_is_retried_too(data_dir: Path, tmp_path: Path, server: LoopbackServer,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-eval")
    server.fail("status", times=1, status=503)
    report = _eval_cli(data_dir, tmp_path / "j", "--backend", "test", "--backend",
                       f"judge=openai:gpt-judge?base_url={server.openai_base_url}&timeout=5", "--judge", "model",
                       "--retries", "1", limit=2)
    assert [r.answered for r in server.requests] == ["status", "ok", "ok"]  # 2 sessions, one retried verdict
    assert all(r.body["messages"][0]["content"].startswith("You judge") for r in server.requests)
    assert report["config"]["judge"] == "model" and len(report["sessions"]) == 2


def test_record_then_replay_a_whole_eval_offline(data_dir: Path, tmp_path: Path) -> None:
    rec = tmp_path / "eval.jsonl"
    live = _eval_cli(data_dir, tmp_path / "live", "--record", str(rec), "--workers", "3", limit=5)
    lines = rec.read_text(encoding="utf-8").splitlines()
    assert len(lines) == sum(s["llm_calls"] for s in live["sessions"])  # one line per answered call
    # no key, no server, a backend that could never be reached: every answer comes from the recording
    replayed = _eval_cli(data_dir, tmp_path / "replayed", "--replay", str(rec), "--backend",
                         "openai:gpt-nowhere?base_url=http://127.0.0.1:9/v1", limit=5)
    assert replayed["sessions"] == live["sessions"] and replayed["summary"]["errors"] == 0


def test_cli_rejects_model_flags_it_cannot_honour(data_dir: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    base = ["eval", str(data_dir / "fixed_queries"), "--workflows", str(data_dir / "fa_ruled"), "--no-progress"]
    assert main([*base, "--runner", "eval_fakes:make_runner", "--max-calls", "3"]) == 2
    assert main([*base, "--replay", str(tmp_path / "missing.jsonl")]) == 2
    assert main([*base, "--max-calls", "-1"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3
    assert "apply to the built-in runners" in err[0] and "recording not found" in err[1]
    assert "--max-calls must not be negative" in err[2]


# -- SDK --------------------------------------------------------------------------------------------------


def _gvr_model(request: ChatRequest) -> str:
    """Solver answers 5 to 2+2 (wrong) and 6 to 3+3; the critic flags only the wrong one."""
    assert request.response_schema is not None
    out: dict[str, Any] = synthesize(request.response_schema)
    text = "\n".join(m.content for m in request.messages)
    role = request.metadata.get("role")
    if role == "solver":
        out["text"] = "5" if "2+2" in text else "6"
    elif role == "critic":
        out["issues"] = ["wrong"] if "2+2" in text and "5" in text.rsplit("2+2", 1)[-1] else []
    elif role == "refiner":
        out["text"] = "4"
    return json.dumps(out)


async def test_role_workflows_get_a_budget_per_session(data_dir: Path) -> None:
    cases = [c for c in load_dataset(data_dir / "role" / "cases.jsonl") if c.id in ("q1-corrected", "q2-right")]
    config = PipelineConfig(runner=RunnerSpec(target="agentflow.eval.runners:default_runner"))
    free = await evaluate(cases, config, pipeline=SessionPipeline(config, runner=ExecutedRunner(
        FunctionBackend(_gvr_model))))
    calls = {s.id: s.llm_calls for s in free.sessions}
    assert calls["q1-corrected"] > 2 == calls["q2-right"]  # the critic loop makes q1 longer
    runner = ExecutedRunner(FunctionBackend(_gvr_model), models=ModelOptions(max_calls=2))
    capped = await evaluate(cases, config, pipeline=SessionPipeline(config, runner=runner))
    by_id = {s.id: s for s in capped.sessions}
    assert by_id["q1-corrected"].status == "budget_exhausted" and by_id["q1-corrected"].llm_calls == 2
    assert by_id["q2-right"].success and by_id["q2-right"] == {s.id: s for s in free.sessions}["q2-right"]
    assert capped.summary.errors == 0 and capped.summary.totals["budget_exhausted"] == 1


async def test_the_time_budget_stops_a_session_during_a_slow_call(data_dir: Path) -> None:
    async def slow_critic(request: ChatRequest) -> str:
        if request.metadata.get("role") == "critic":
            await asyncio.sleep(0.5)  # longer than the session's whole time budget
        return _gvr_model(request)

    cases = [c for c in load_dataset(data_dir / "role" / "cases.jsonl") if c.id in ("q1-corrected", "q2-right")]
    config = PipelineConfig(runner=RunnerSpec(target="agentflow.eval.runners:default_runner"))
    runner = ExecutedRunner(FunctionBackend(slow_critic), models=ModelOptions(max_seconds=0.2))
    report = await evaluate(cases, config, pipeline=SessionPipeline(config, runner=runner), workers=2)
    for s in report.sessions:  # each session lost its 0.2 s inside the critic call, which was cut off
        assert s.status == "budget_exhausted" and "seconds budget exhausted" in s.reason and s.llm_calls == 1
    assert report.summary.totals["budget_exhausted"] == 2 and report.summary.errors == 0


async def test_sessions_share_providers_but_not_ledgers(data_dir: Path, prices: Path) -> None:
    runner = GuidedRunner(["test"], models=ModelOptions(prices=prices, cache=":memory:"))
    first, second = runner.models.session(), runner.models.session()
    a, b = first.build("test"), second.build("test")
    assert a is not b and a.provider is b.provider  # one provider (a local model loads once) ...
    assert first.ledger is not second.ledger  # ... and a ledger (a budget) per session
    script = f"scripted:{data_dir.parent / 'guided' / 'flight' / 'agent_happy.yaml'}"
    assert first.build(script, roles={"agent"}).provider is not second.build(script, roles={"agent"}).provider
    await first.aclose()
    await second.aclose()
    cases = _cases(data_dir, limit=2)
    config = PipelineConfig(runner=RunnerSpec(target="agentflow.eval.guided:guided_runner"))
    report = await evaluate(cases + cases, config, pipeline=SessionPipeline(config, runner=runner), workers=1)
    assert runner.cache is not None and runner.cache.hits > 0 and runner.cache.misses > 0
    assert runner.cache.hits == runner.cache.misses  # the repeated cases were answered from the cache only
    costs = [s.cost_usd for s in report.sessions]  # by id: each case's first run, then its cached re-run
    assert costs[0] > 0 and costs[2] > 0 and costs[1] == costs[3] == 0.0  # priced per session; hits are free
    await runner.aclose()


def test_model_options_travel_as_plain_data(tmp_path: Path) -> None:
    options = ModelOptions(retries=1, fallback=("test",), cache=tmp_path / "c.sqlite", max_calls=3,
                           max_cost_usd=0.5, prices="p.json")
    data = options.to_dict()
    assert json.loads(json.dumps(data)) == data  # JSON-ready: what a Ray actor receives
    assert ModelOptions.from_dict(data) == ModelOptions(retries=1, fallback=("test",), cache=str(tmp_path / "c.sqlite"),
                                                        max_calls=3, max_cost_usd=0.5, prices="p.json")
    with pytest.raises(UserError, match="unknown model option"):
        ModelOptions.from_dict({"max_call": 3})
    with pytest.raises(UserError, match="two response caches"):
        GuidedRunner(["test"], cache=str(tmp_path / "a.sqlite"), models={"cache": str(tmp_path / "b.sqlite")})


@pytest.mark.slow
def test_model_flags_reach_ray_actors_and_match_local(data_dir: Path, tmp_path: Path, prices: Path,
                                                      ray_cluster: Any) -> None:
    cases = _cases(data_dir, limit=4)
    models = ModelOptions(max_calls=12, prices=str(prices)).to_dict()
    config = PipelineConfig(runner=RunnerSpec(target="agentflow.eval.runners:default_runner",
                                              options={"backend": ["test"], "models": models}))
    local = asyncio.run(evaluate(cases, config, engine="local", workers=2, seed=1))
    remote = asyncio.run(evaluate(cases, config, engine="ray", workers=2, seed=1))
    assert [s.model_dump() for s in remote.sessions] == [s.model_dump() for s in local.sessions]
    assert remote.summary == local.summary and remote.run["engine"] == "ray"
    assert 0 < local.summary.totals["budget_exhausted"] < len(cases)  # the per-session budget did something
    assert all(s.cost_usd > 0 for s in remote.sessions)  # the price table reached the actors
