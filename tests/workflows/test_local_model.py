"""Built-in workflows on the bundled local model (SmolLM2-135M via the HF backend): slow, real inference.

The model is tiny, so these tests check the machinery — constrained typed outputs, parallel role
calls, the loop and the report — not the quality of the answers.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentflow.errors import UserError
from agentflow.events import Event
from agentflow.runner.workflows import load_workflow

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_backend() -> object:
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401

        from agentflow.models import build_backend

        return build_backend("local")
    except (ImportError, UserError) as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"the local model is not available here: {exc}")


@pytest.mark.timeout(900)  # three constrained generations on CPU; minutes on a busy 2-core machine
def test_debate_vote_on_the_local_model(local_backend: object) -> None:
    events: list[Event] = []
    wf = load_workflow(ROOT / "workflows" / "debate_vote.pdl")
    result = wf.run_sync({"question": "What is 12 + 30?", "rounds": "0"}, backend=local_backend,
                         sinks=[events.append])
    assert result.ok, result.reason
    assert isinstance(result.output, str)
    calls = [e for e in events if e.type == "llm_call"]
    assert [e.data["role"] for e in calls].count("debater") >= 3
    assert all(e.data["output_tokens"] > 0 for e in calls)
    assert result.stats["debater"].calls == 3


LOCAL_CLI_INPUTS: dict[str, list[str]] = {
    "table_critic": ["question=@workflows/examples/table_critic.question.txt",
                     "table=@workflows/examples/table_critic.table.md", "expected=12%"],
    "multi_critic": ["question=What was the net margin in 2020?",
                     "context=@workflows/examples/multi_critic.context.md"],
    "plan_act": ["task=Find the price of the book in EUR, given 12 USD and 1 USD = 0.9 EUR."],
    "generate_verify_refine": ["question=How far is 3 km plus 500 m?"],
    "debate_vote": ["question=What is 17 * 3?"],
    "code_tests": ["task=Write a Python function add(a, b) that returns a + b."],
}


@pytest.mark.timeout(900)
@pytest.mark.parametrize("workflow", sorted(LOCAL_CLI_INPUTS))
def test_every_builtin_workflow_completes_from_the_cli_on_the_local_model(
    workflow: str, local_backend: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`agentflow run workflows/X.pdl --backend local ...` ends `completed` with real role calls (exit 0)."""
    import json

    from agentflow.cli import main

    monkeypatch.chdir(ROOT)
    trace = tmp_path / "t.jsonl"
    argv = ["run", f"workflows/{workflow}.pdl", "--backend", "local", "--trace", str(trace)]
    for value in LOCAL_CLI_INPUTS[workflow]:
        argv += ["--input", value]
    code = main(argv)
    out = capsys.readouterr().out
    assert code == 0, out[-2000:]
    assert "status: completed" in out
    events = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()]
    calls = [e for e in events if e["type"] == "llm_call"]
    assert calls and all(e["model"] == "local" and e["output_tokens"] > 0 for e in calls)
