"""``agentflow run`` end to end with every hosted backend, each a real SDK talking to the loopback server."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agentflow.cli.app import main
from agentflow.events import read_trace

from .loopback import LoopbackServer

FLIGHT = Path(__file__).resolve().parents[1] / "data" / "guided" / "flight" / "pdl" / "000.yaml"


def _spec(kind: str, server: LoopbackServer) -> str:
    port = server.url.rsplit(":", 1)[1]
    return {
        "openai": f"openai:gpt-e2e?base_url={server.openai_base_url}",
        "anthropic": "anthropic:claude-e2e",
        "litellm": f"litellm:openai/gpt-e2e?api_base={server.openai_base_url}&api_key_env=OPENAI_API_KEY",
        "vllm": f"vllm+http://127.0.0.1:{port}:served-model",
    }[kind]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # LiteLLM's own pydantic deprecations
@pytest.mark.parametrize("kind", ["openai", "anthropic", "litellm", "vllm"])
def test_agentflow_run_with_hosted_backend(kind: str, tmp_path: Path, server: LoopbackServer,
                                           monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-e2e")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-e2e")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    users = tmp_path / "users.yaml"
    users.write_text(yaml.safe_dump(["I want to book flight CA1234.", "Economy, John Smith."]))
    trace = tmp_path / "trace.jsonl"
    code = main(["run", str(FLIGHT), "--backend", _spec(kind, server), "--user", f"scripted:{users}",
                 "--trace", str(trace)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "echo: I want to book flight CA1234." in out and "status completed" in out
    calls = [r for r in read_trace(trace) if r["type"] == "llm_call"]
    assert calls and all(c["input_tokens"] > 0 for c in calls)
    assert len(server.requests) >= 2
    assert "sk-e2e" not in trace.read_text() and "sk-ant-e2e" not in trace.read_text()
