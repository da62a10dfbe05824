"""Role workflows (executed PDL, critic loops) and turn-level evaluation with teacher forcing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from agentflow.backends.base import ChatRequest
from agentflow.cli import main
from agentflow.eval import EvalCase, PipelineConfig, RefTurn, RunnerSpec, SessionPipeline, load_dataset
from agentflow.eval.executed import ExecutedRunner
from agentflow.eval.guided import GuidedRunner
from agentflow.eval.harness import evaluate
from agentflow.testing import FunctionBackend, synthesize

# What the model "knows": the solver's first answers, the critic's verdicts, the refiner's fixes.
FIRST = {"2+2": "5", "3+3": "6", "5+5": "10", "7+7": "15"}
REFINED = {"2+2": "4", "5+5": "11", "7+7": "16"}
FLAGGED = {("2+2", "5"), ("5+5", "10"), ("7+7", "15")}  # the critic wrongly flags 10 for 5+5


def _question(request: ChatRequest) -> tuple[str, str]:
    text = "\n".join(m.content for m in request.messages)
    q = re.search(r"(\d\+\d)", text)
    cand = re.search(r"[Cc]andidate[^\n:]*:\s*\**\s*(\d+)", text)
    return (q.group(1) if q else ""), (cand.group(1) if cand else "")


def _model(request: ChatRequest) -> str:
    assert request.response_schema is not None
    out: dict[str, Any] = synthesize(request.response_schema)
    role = request.metadata.get("role")
    question, candidate = _question(request)
    if role == "solver":
        out["text"] = FIRST[question]
    elif role == "critic":
        out["issues"] = ["the sum is wrong"] if (question, candidate) in FLAGGED else []
    elif role == "refiner":
        out["text"] = REFINED.get(question, candidate)
    return json.dumps(out)


async def test_role_workflow_accuracy_correction_and_degradation(data_dir: Path, tmp_path: Path) -> None:
    cases = load_dataset(data_dir / "role" / "cases.jsonl")
    config = PipelineConfig(runner=RunnerSpec(target="agentflow.eval.runners:default_runner"))
    pipeline = SessionPipeline(config, runner=ExecutedRunner(FunctionBackend(_model)))
    report = await evaluate(cases, config, pipeline=pipeline, out_dir=tmp_path / "rep", seed=0)
    by_id = {s.id: s for s in report.sessions}
    assert [by_id[i].correct for i in ("q1-corrected", "q2-right", "q3-degraded", "q4-stays-wrong")] == \
        [True, True, False, False]
    assert [by_id[i].first_correct for i in ("q1-corrected", "q2-right", "q3-degraded", "q4-stays-wrong")] == \
        [False, True, True, False]
    m = report.summary.metrics
    assert m["accuracy"].value == 0.5
    assert m["error_correction_rate"].value == 0.5 and m["error_correction_rate"].n == 2  # q1 fixed, q4 not
    assert m["degradation_rate"].value == 0.5 and m["degradation_rate"].n == 2  # q3 broke, q2 held
    assert by_id["q1-corrected"].success and not by_id["q3-degraded"].success
    assert by_id["q1-corrected"].llm_calls == 4  # solver, critic, refiner, critic


def test_cli_runs_role_cases_on_the_test_backend(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    assert main(["eval", str(data_dir / "role" / "cases.jsonl"), "--report", str(out), "--no-progress"]) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["n"] == 4 and report["summary"]["errors"] == 0
    assert report["summary"]["metrics"]["accuracy"]["value"] == 0.0  # the test backend answers "test"
    assert all(s["kind"] == "role" and s["status"] == "completed" for s in report["sessions"])


async def test_turn_level_pass_rate_with_the_guided_agent(data_dir: Path) -> None:
    wf = data_dir / "flowagent" / "pdl" / "000.yaml"
    tools = data_dir / "flowagent" / "tools" / "000.yaml"
    reference = [
        RefTurn(role="user", text="Is CA1234 available at 12 o'clock on January 7, 2199?"),
        RefTurn(role="agent", call="checkAvailability",
                args={"plan_code": "CA1234", "estimated_time": "12 o'clock on January 7, 2199"}),
        RefTurn(role="agent", text="Yes, it is available. May I have your name and ID number?"),
        RefTurn(role="user", text="John Smith, AB1234567, economy."),
        RefTurn(role="agent", call="reserveFlight", args={"plan_code": "CA1234", "cabin_type": "Economy Class",
                                                          "estimated_time": "12 o'clock on January 7, 2199"}),
    ]
    case = EvalCase(id="flight-gold", workflow=str(wf), tools_spec=str(tools), user={"turns": ["x"]},
                    reference=reference)
    asked: list[int] = []

    def agent(request: ChatRequest) -> Any:
        from agentflow.backends.base import ChatResponse, ToolCall

        asked.append(len(request.messages))
        history = "\n".join(m.content for m in request.messages)
        if "John Smith" in history:  # second user turn: reserve (with a wrong cabin: partial credit)
            args = {"plan_code": "CA1234", "cabin_type": "Business Class",
                    "estimated_time": "12 o'clock on January 7, 2199"}
            return ChatResponse(tool_calls=(ToolCall(id="c2", name="reserveFlight", arguments=args),))
        if any(m.tool_calls for m in request.messages):
            return "Yes, it is available. May I have your name and ID number?"
        args = {"plan_code": "CA1234", "estimated_time": "12 o'clock on January 7, 2199"}
        return ChatResponse(tool_calls=(ToolCall(id="c1", name="checkAvailability", arguments=args),))

    runner = GuidedRunner({"agent": FunctionBackend(agent)})
    config = PipelineConfig(runner=RunnerSpec(target="agentflow.eval.guided:guided_runner"), turn_level=True)
    pipeline = SessionPipeline(config, runner=runner)
    report = await evaluate([case], config, pipeline=pipeline)
    record = report.sessions[0]
    assert record.turn_scores == [10.0, 10.0, 6.0]
    assert report.summary.metrics["turn_pass_rate"].value == 2 / 3
    assert asked[-3] < asked[-2] < asked[-1]  # each prediction saw a longer reference history


async def test_response_cache_makes_a_rerun_free(data_dir: Path, tmp_path: Path) -> None:
    calls: list[str] = []

    def model(request: ChatRequest) -> str:
        calls.append(str(request.metadata.get("role")))
        return _model(request)

    cases = load_dataset(data_dir / "role" / "cases.jsonl")
    config = PipelineConfig(runner=RunnerSpec(target="agentflow.eval.runners:default_runner"))
    db = str(tmp_path / "cache.sqlite")
    first = await evaluate(cases, config, pipeline=SessionPipeline(
        config, runner=ExecutedRunner(FunctionBackend(model), cache=db)))
    n_first = len(calls)
    runner = ExecutedRunner(FunctionBackend(model), cache=db)
    second = await evaluate(cases, config, pipeline=SessionPipeline(config, runner=runner))
    assert n_first > 0 and len(calls) == n_first  # the re-run made no model call
    assert runner.cache is not None and runner.cache.hits == n_first and runner.cache.misses == 0
    assert second.sessions == first.sessions and second.summary == first.summary


def test_cli_cache_on_guided_sessions(data_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    args = ["eval", str(data_dir / "fixed_queries"), "--workflows", str(data_dir / "fa_ruled"), "--limit", "3",
            "--cache", str(db), "--no-progress"]
    assert main([*args, "--report", str(tmp_path / "a")]) == 0
    import sqlite3

    stored = sqlite3.connect(db).execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    assert stored > 0
    assert main([*args, "--report", str(tmp_path / "b")]) == 0
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM responses").fetchone()[0] == stored  # all hits
    a = json.loads((tmp_path / "a" / "report.json").read_text(encoding="utf-8"))
    b = json.loads((tmp_path / "b" / "report.json").read_text(encoding="utf-8"))
    assert a["sessions"] == b["sessions"]
