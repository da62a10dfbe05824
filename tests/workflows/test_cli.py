"""`agentflow run` on executed workflows: every built-in end to end on the test backend, traces, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentflow.cli.app import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "workflows" / "examples"

CASES = {
    "table_critic": ["question=@" + str(EXAMPLES / "table_critic.question.txt"),
                     "table=@" + str(EXAMPLES / "table_critic.table.md"), "expected=12%"],
    "multi_critic": ["question=What was the net margin in 2020?",
                     "context=@" + str(EXAMPLES / "multi_critic.context.md")],
    "plan_act": ["task=Find the price of the book in EUR."],
    "generate_verify_refine": ["question=How far is 3 km plus 500 m?"],
    "debate_vote": ["question=What is 17 * 3?", "rounds=1"],
    "code_tests": ["task=Write a Python function add(a, b) that returns the sum."],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_builtin_workflow_runs_from_cli(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "trace.jsonl"
    argv = ["run", str(ROOT / "workflows" / f"{name}.pdl"), "--backend", "test", "--trace", str(trace)]
    for item in CASES[name]:
        argv += ["--input", item]
    code = main(argv)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "result" in out and "roles — run" in out and "status: completed" in out
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    assert all({"type", "run_id", "seq", "ts"} <= e.keys() for e in events)
    calls = [e for e in events if e["type"] == "llm_call"]
    assert calls and all(e["role"] and "input_tokens" in e and "latency_s" in e for e in calls)
    end = [e for e in events if e["type"] == "workflow_end"]
    assert end and end[-1]["status"] == "completed" and end[-1]["totals"]["calls"] == len(calls)


def test_example_inputs_exist_for_every_workflow() -> None:
    workflows = {p.stem for p in (ROOT / "workflows").glob("*.pdl")}
    assert workflows == set(CASES)
    for name in workflows:
        assert list(EXAMPLES.glob(f"{name}.*")), f"no example input for {name}"


def test_missing_input_is_a_user_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", str(ROOT / "workflows" / "plan_act.pdl"), "--backend", "test"])
    err = capsys.readouterr().err
    assert code == 2
    assert "missing input 'task'" in err and "--input task=" in err


def test_invalid_output_exits_1_and_shows_raw_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "solver.yaml"
    script.write_text("- say: I refuse to answer in JSON\n" * 3)
    code = main(["run", str(ROOT / "workflows" / "generate_verify_refine.pdl"), "--backend", "test",
                 "--backend", f"solver=scripted:{script}", "--input", "question=q"])
    out = capsys.readouterr().out
    assert code == 1
    assert "run failed" in out and "I refuse to answer in JSON" in out and "'solver'" in out
