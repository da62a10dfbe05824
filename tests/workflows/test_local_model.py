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
from agentflow.runner.executed import load_workflow

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_backend() -> object:
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401

        from agentflow.backends.registry import build_backend

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
