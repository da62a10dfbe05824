"""``agentflow run`` on a guided workflow with the run-level model flags, end to end through the CLI.

Real OpenAI SDK calls go to a loopback server speaking the wire protocol; the server's request log is
how the tests see whether a model was asked at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from backends.loopback import LoopbackServer

from agentflow.cli.app import main
from agentflow.events import read_trace

from .conftest import AGENT_SCRIPT, FLIGHT, FLIGHT_TOOLS, USERS, openai_spec


def _run(*extra: str, users: Path = USERS) -> int:
    return main(["run", str(FLIGHT), "--user", f"scripted:{users}", "--tools", str(FLIGHT_TOOLS),
                 "--classifier", "rules", "--quiet", *extra])


def _conversation(trace: Path) -> list[tuple[str, str]]:
    """What the user saw and what ran: messages and tool calls, in order."""
    out: list[tuple[str, str]] = []
    for r in read_trace(trace):
        if r["type"] in ("user_message", "agent_message"):
            out.append((r["type"], r["text"]))
        elif r["type"] == "tool_call":
            out.append((f"tool_call:{r['status']}", f"{r['name']} {sorted(r['args'].items())}"))
    return out


def test_cache_answers_the_second_run_without_a_model_call(
        tmp_path: Path, server: LoopbackServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-int")
    db = tmp_path / "cache.sqlite"
    first, second = tmp_path / "1.jsonl", tmp_path / "2.jsonl"
    assert _run("--backend", openai_spec(server), "--cache", str(db), "--trace", str(first)) == 0
    asked = len(server.requests)
    assert asked >= 3  # one agent call per user turn at least
    assert _run("--backend", openai_spec(server), "--cache", str(db), "--trace", str(second)) == 0
    out = capsys.readouterr().out
    assert len(server.requests) == asked, "the second run reached the model"
    assert f"models: 0 call(s), 0 tokens, $0.0000, {asked} cache hit(s)" in out
    assert _conversation(second) == _conversation(first)
    end = [r for r in read_trace(second) if r["type"] == "run_end"][-1]
    assert end["totals"]["models"]["cache_hits"] == asked and end["totals"]["models"]["model_calls"] == 0


def test_record_then_replay_offline_reproduces_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rec, live, replayed = tmp_path / "run.jsonl", tmp_path / "live.jsonl", tmp_path / "replayed.jsonl"
    assert _run("--backend", f"scripted:{AGENT_SCRIPT}", "--record", str(rec), "--trace", str(live)) == 0
    recorded = [line for line in rec.read_text().splitlines() if line.strip()]
    assert len(recorded) == 5  # the five script steps, each an answered agent request
    # no key, no server, a backend that could never be reached: every answer comes from the file
    code = _run("--backend", "openai:gpt-nowhere?base_url=http://127.0.0.1:9/v1", "--replay", str(rec),
                "--trace", str(replayed))
    out = capsys.readouterr().out
    assert code == 0, out
    assert "compliance: 2 executed, 0 blocked call(s)" in out
    assert _conversation(replayed) == _conversation(live)
    assert any(kind == "tool_call:executed" and text.startswith("reserveFlight") for kind, text in _conversation(live))


def test_replay_of_an_unseen_request_fails_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rec = tmp_path / "run.jsonl"
    assert _run("--backend", f"scripted:{AGENT_SCRIPT}", "--record", str(rec)) == 0
    other = tmp_path / "other_users.yaml"
    other.write_text(yaml.safe_dump(["I would like to cancel my booking instead."]))
    capsys.readouterr()
    code = _run("--backend", "test", "--replay", str(rec), users=other)
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert len(err.splitlines()) == 1
    assert str(rec) in err and "is not in the recording" in err and "role 'agent'" in err
    assert "cancel my booking" in err


def test_record_and_replay_together_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = _run("--backend", "test", "--record", str(tmp_path / "a.jsonl"), "--replay", str(tmp_path / "b.jsonl"))
    assert code == 2
    assert "--record and --replay cannot be used together" in capsys.readouterr().err


@pytest.mark.parametrize(("flags", "budget", "limit"), [
    (["--max-calls", "2"], "calls", "2"),
    (["--max-tokens", "300"], "tokens", "300"),
])
def test_budget_stops_the_run_cleanly(flags: list[str], budget: str, limit: str, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "t.jsonl"
    code = _run("--backend", f"scripted:{AGENT_SCRIPT}", "--trace", str(trace), *flags)
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"error: {budget} budget exhausted: used ") and f" of {limit};" in err
    records = list(read_trace(trace))
    calls = [r for r in records if r["type"] == "llm_call"]
    end = records[-1]
    assert end["type"] == "run_end" and end["status"] == "budget_exhausted" and budget in end["error"]
    assert end["totals"]["models"]["model_calls"] == len(calls)
    if budget == "calls":
        assert len(calls) == 2


def test_max_cost_with_a_price_table(tmp_path: Path, server: LoopbackServer, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-int")
    prices = tmp_path / "prices.yaml"
    prices.write_text(yaml.safe_dump({"openai:gpt-pricey*": {"input": 1000.0, "output": 1000.0}}))
    trace = tmp_path / "t.jsonl"
    code = _run("--backend", openai_spec(server, "gpt-pricey"), "--prices", str(prices), "--max-cost", "0.3",
                "--trace", str(trace))
    err = capsys.readouterr().err
    assert code == 1 and "cost_usd budget exhausted" in err and "of 0.3;" in err
    calls = [r for r in read_trace(trace) if r["type"] == "llm_call"]
    assert calls and all(c["cost_usd"] > 0 for c in calls)
    assert sum(c["cost_usd"] for c in calls[:-1]) < 0.3 <= sum(c["cost_usd"] for c in calls)


def test_fallback_answers_when_the_primary_fails(tmp_path: Path, server: LoopbackServer, backup: LoopbackServer,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-int")
    server.fail("status", times=50, status=500)
    trace = tmp_path / "t.jsonl"
    code = _run("--backend", openai_spec(server, "gpt-primary"), "--fallback", openai_spec(backup, "gpt-backup"),
                "--retries", "1", "--trace", str(trace))
    out = capsys.readouterr().out
    assert code == 0, out
    answered = len(backup.requests)
    assert answered >= 3 and len(server.requests) == 2 * answered  # each call: one try + one retry, then fallback
    assert all(r.answered == "status" for r in server.requests)
    agent = [r["text"] for r in read_trace(trace) if r["type"] == "agent_message"]
    assert agent[0].startswith("echo: I want to book flight CA1234")
    models = [r for r in read_trace(trace) if r["type"] == "run_end"][-1]["totals"]["models"]
    assert models["failed_calls"] == answered and models["model_calls"] == answered


def test_retries_zero_fails_at_the_first_server_error(server: LoopbackServer, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-int")
    server.fail("status", times=5, status=500)
    code = _run("--backend", openai_spec(server), "--retries", "0")
    err = capsys.readouterr().err
    assert code == 1 and len(server.requests) == 1
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1


def test_timeout_cancels_a_slow_model_call(server: LoopbackServer, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-int")
    server.fail("timeout", delay=2.0)
    code = _run("--backend", openai_spec(server), "--timeout", "0.5", "--retries", "0")
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1
    assert err.startswith("error: seconds budget exhausted during a model call (limit 0.5s)")
