"""``agentflow run`` on an executed workflow (generate_verify_refine) with the run-level model flags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from backends.loopback import LoopbackServer

from agentflow.cli.app import main
from agentflow.events import read_trace

from .conftest import GVR, openai_spec

QUESTION = "question=How far is 3 km plus 500 m?"


def _run(*extra: str) -> int:
    return main(["run", str(GVR), "--input", QUESTION, *extra])


def _events(trace: Path, kind: str) -> list[dict[str, Any]]:
    return [r for r in read_trace(trace) if r["type"] == kind]


def _role_outputs(trace: Path) -> list[tuple[str, Any]]:
    """Each role's typed answer, in order (what the workflow computed with)."""
    return [(r["role"], r["output"]) for r in read_trace(trace) if r["type"] == "role_output"]


def test_cache_second_run_makes_no_model_call(tmp_path: Path, server: LoopbackServer,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-int")
    db, first, second = tmp_path / "cache.sqlite", tmp_path / "1.jsonl", tmp_path / "2.jsonl"
    assert _run("--backend", openai_spec(server), "--cache", str(db), "--trace", str(first)) == 0
    asked = len(server.requests)
    assert asked >= 2
    assert _run("--backend", openai_spec(server), "--cache", str(db), "--trace", str(second)) == 0
    out = capsys.readouterr().out
    assert len(server.requests) == asked, "the second run reached the model"
    assert out.count("status: completed") == 2
    end = _events(second, "workflow_end")[-1]
    assert end["models"]["model_calls"] == 0 and end["models"]["cache_hits"] == end["totals"]["calls"]
    assert [e["role"] for e in _events(second, "llm_call")] == [e["role"] for e in _events(first, "llm_call")]


def test_record_then_replay_reproduces_the_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    solver = tmp_path / "solver.yaml"
    solver.write_text(yaml.safe_dump([{"say": json.dumps({"kind": "answer", "text": "3 km + 0.5 km = 3.5 km",
                                                           "data": {"final": "3.5 km"}})}]))
    rec, live, replayed = tmp_path / "run.jsonl", tmp_path / "live.jsonl", tmp_path / "replayed.jsonl"
    assert _run("--backend", "test", "--backend", f"solver=scripted:{solver}", "--record", str(rec),
                "--trace", str(live)) == 0
    calls = _events(live, "llm_call")
    assert len(rec.read_text().splitlines()) == len(calls) >= 2
    # no key, no script, no provider: a provider that cannot be built unless every answer is replayed
    code = _run("--backend", "anthropic:claude-nowhere", "--replay", str(rec), "--trace", str(replayed))
    out = capsys.readouterr().out
    assert code == 0, out
    assert [e["role"] for e in _events(replayed, "llm_call")] == [e["role"] for e in calls]
    outputs = _role_outputs(live)
    assert outputs[0] == ("solver", {"kind": "answer", "text": "3 km + 0.5 km = 3.5 km", "data": {"final": "3.5 km"}})
    assert _role_outputs(replayed) == outputs
    live_end, replay_end = _events(live, "workflow_end")[-1], _events(replayed, "workflow_end")[-1]
    assert replay_end["status"] == "completed" and replay_end["totals"] == live_end["totals"]


def test_replay_of_an_unseen_request_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rec = tmp_path / "run.jsonl"
    assert _run("--backend", "test", "--record", str(rec)) == 0
    capsys.readouterr()
    code = main(["run", str(GVR), "--input", "question=Something else entirely?", "--replay", str(rec)])
    out = capsys.readouterr().out
    assert code == 1
    failed = [line for line in out.splitlines() if line.startswith("run failed")]
    assert len(failed) == 1 and "is not in the recording" in failed[0] and "role 'solver'" in failed[0]


@pytest.mark.parametrize(("flags", "budget", "limit"), [
    (["--max-calls", "2"], "calls", "2"),
    (["--max-tokens", "150"], "tokens", "150"),
])
def test_budget_stops_the_run(flags: list[str], budget: str, limit: str, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "t.jsonl"
    code = _run("--backend", "test", "--trace", str(trace), *flags)
    out = capsys.readouterr().out
    assert code == 1
    failed = [line for line in out.splitlines() if line.startswith("run budget_exhausted")]
    assert len(failed) == 1 and f"{budget} budget exhausted: used " in failed[0] and f" of {limit};" in failed[0]
    calls = _events(trace, "llm_call")
    end = _events(trace, "workflow_end")[-1]
    assert end["status"] == "budget_exhausted" and end["models"]["model_calls"] == len(calls)
    if budget == "calls":
        assert len(calls) == 2
    else:
        used = sum(c["input_tokens"] + c["output_tokens"] for c in calls)
        assert used >= 150 and used - calls[-1]["input_tokens"] - calls[-1]["output_tokens"] < 150


def test_fallback_to_the_test_backend_when_the_primary_fails(
        tmp_path: Path, server: LoopbackServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-int")
    server.fail("status", times=100, status=500)
    trace = tmp_path / "t.jsonl"
    code = _run("--backend", openai_spec(server), "--fallback", "test", "--retries", "0", "--trace", str(trace))
    out = capsys.readouterr().out
    assert code == 0, out
    end = _events(trace, "workflow_end")[-1]
    model_calls = end["models"]["model_calls"]
    assert model_calls >= 2 and len(server.requests) == model_calls == end["models"]["failed_calls"]
    assert all(r.answered == "status" for r in server.requests)


def test_roles_dir_overrides_a_builtin_role(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from agentflow.roles.loader import builtin_roles_dir

    roles = tmp_path / "myroles"
    roles.mkdir()
    text = (builtin_roles_dir() / "solver.yaml").read_text(encoding="utf-8")
    assert "Question: {{ question }}" in text
    (roles / "solver.yaml").write_text(text.replace("Question: {{ question }}", "OVERRIDDEN: {{ question }}"),
                                       encoding="utf-8")
    rec = tmp_path / "run.jsonl"
    assert _run("--backend", "test", "--roles-dir", str(roles), "--record", str(rec)) == 0
    first = json.loads(rec.read_text().splitlines()[0])
    assert first["role"] == "solver" and "OVERRIDDEN: How far is 3 km" in json.dumps(first["request"])
