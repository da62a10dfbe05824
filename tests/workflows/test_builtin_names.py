"""Built-in workflows by name (`agentflow run multi_critic`), `--example` and `--inputs FILE.json`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentflow.cli.app import main
from agentflow.pdl.builtin import builtin_workflow, builtin_workflow_names, resolve_workflow_path
from agentflow.runner.workflows import load_workflow

ROOT = Path(__file__).resolve().parents[2]


def test_every_builtin_is_found_by_name() -> None:
    names = builtin_workflow_names()
    assert names == sorted(p.stem for p in (ROOT / "workflows").glob("*.pdl"))
    for name in names:
        assert builtin_workflow(name) == builtin_workflow(f"{name}.pdl") == ROOT / "workflows" / f"{name}.pdl"
    assert builtin_workflow("../roles/judge") is None and builtin_workflow("nope") is None


def test_a_file_here_wins_over_the_builtin_of_the_same_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_workflow_path("plan_act") == ROOT / "workflows" / "plan_act.pdl"
    (tmp_path / "plan_act").write_text("Name: mine\n", encoding="utf-8")
    assert resolve_workflow_path("plan_act") == Path("plan_act")


@pytest.mark.parametrize("name", builtin_workflow_names())
def test_each_builtin_runs_by_name_with_its_example(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)  # away from the checkout: the name, not a relative path, finds the file
    record = tmp_path / "calls.jsonl"
    code = main(["run", name, "--example", "--backend", "test", "--record", str(record)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "status: completed" in out
    example = json.loads((ROOT / "workflows" / "examples" / f"{name}.json").read_text(encoding="utf-8"))
    first = next(iter(example.values()))
    assert str(first)[:40] in record.read_text(encoding="utf-8").replace("\\n", "\n")  # the roles saw it


def test_input_items_override_the_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = tmp_path / "calls.jsonl"
    code = main(["run", "multi_critic", "--example", "--backend", "test", "--record", str(record),
                 "--input", "question=What is the ZZQ margin?"])
    assert code == 0, capsys.readouterr().out
    seen = record.read_text(encoding="utf-8")
    assert "ZZQ margin" in seen and "net margin in 2020" not in seen
    assert "| net income | 40 | 65 |" in seen.replace("\\n", "\n")  # the example's other input stayed


def test_inputs_file_feeds_the_run_and_the_sdk_loads_by_name(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    inputs = tmp_path / "in.json"
    inputs.write_text(json.dumps({"question": "What is 6 * 7?", "rounds": "0"}), encoding="utf-8")
    record = tmp_path / "calls.jsonl"
    code = main(["run", "debate_vote", "--inputs", str(inputs), "--backend", "test", "--record", str(record)])
    assert code == 0, capsys.readouterr().out
    assert "What is 6 * 7?" in record.read_text(encoding="utf-8")
    wf = load_workflow("debate_vote")
    assert wf.run_sync({"question": "q", "rounds": "0"}, backend="test").ok


@pytest.mark.parametrize(("content", "where", "problem"), [
    ('{"question": ', ":1:14:", "inputs file is not JSON"),
    ('["a", "b"]', ":1:1:", "inputs file must hold a JSON object, not list"),
])
def test_a_bad_inputs_file_is_one_located_line(content: str, where: str, problem: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "in.json"
    bad.write_text(content, encoding="utf-8")
    code = main(["run", "multi_critic", "--inputs", str(bad), "--backend", "test"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{bad}{where} error: {problem}" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_no_example_and_no_such_workflow_are_user_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flow = tmp_path / "mine.pdl"
    flow.write_text((ROOT / "workflows" / "plan_act.pdl").read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["run", str(flow), "--example", "--backend", "test"]) == 2
    err = capsys.readouterr().err
    assert "--example: workflow mine.pdl has no example inputs" in err and "--inputs FILE.json" in err
    assert main(["run", "multi_critc", "--backend", "test"]) == 2
    err = capsys.readouterr().err
    assert "multi_critc: error: file not found" in err and "multi_critic" in err
