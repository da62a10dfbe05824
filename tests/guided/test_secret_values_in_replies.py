"""A secret a tool returns stays hidden when the agent later quotes it in plain text (non-durable runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentflow.cli import main
from agentflow.events import Event, secret_learner
from agentflow.redact import REDACTED, Redactor

DATA = Path(__file__).resolve().parents[1] / "data" / "guided" / "secret"
PLANTED = "zq-PLANTED-9137"


def test_cli_trace_and_display_hide_a_quoted_secret(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    trace = tmp_path / "t.jsonl"
    code = main(["run", "w.pdl", "--backend", "scripted:agent.yaml", "--user", "scripted:user.yaml",
                 "--tools", "tools.py", "--trace", str(trace)])
    out = capsys.readouterr().out
    assert code == 0
    text = trace.read_text(encoding="utf-8")
    assert PLANTED not in text and PLANTED not in out
    assert f"Your code is {REDACTED}" in text and f"Your code is {REDACTED}" in out


def test_learner_only_learns_from_tool_results() -> None:
    red = Redactor(fields=["pin"])
    learn = secret_learner(red, ["pin"])
    learn(Event("agent_message", "r", 1, 0.0, {"result": {"pin": "4711-xyz"}}))
    assert red.text("pin 4711-xyz") == "pin 4711-xyz"
    learn(Event("tool_result", "r", 2, 0.0, {"result": {"nested": [{"pin": "4711-xyz"}], "access_token": "tok-abcd"}}))
    assert red.text("pin 4711-xyz, token tok-abcd") == f"pin {REDACTED}, token {REDACTED}"
