"""The SDK side of durable guided runs: run_durable / resume with a Workflow, same as the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentflow.errors import UserError
from agentflow.runner.api import Workflow
from agentflow.runner.durable import run_durable
from agentflow.store import open_store
from agentflow.tools.python_file import load_python_tools

DATA = Path(__file__).resolve().parent / "data"
USERS = [line[2:] for line in (DATA / "users.yaml").read_text().splitlines() if line.startswith("- ")]


async def test_pause_for_approval_then_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AF_SIDE_EFFECTS", str(tmp_path / "effects.log"))
    wf = Workflow.load(DATA / "flight.yaml")
    common = {"backend": f"scripted:{DATA / 'agent.yaml'}", "tools": load_python_tools(DATA / "tools.py"),
              "classifier": "rules", "store": tmp_path / "runs.db", "run_id": "sdk"}
    first = await run_durable(wf, USERS, require_approval={"reserveFlight"}, **common)
    assert first.status == "paused" and first.state.turn == 2
    with pytest.raises(UserError, match="needs approval"):
        await run_durable(wf, USERS, resume=True, **common)
    done = await run_durable(wf, USERS, resume=True, approve=True, trace=tmp_path / "t.jsonl", **common)
    assert done.status == "completed" and done.state.turn == len(USERS)
    assert [c.name for c in done.state.calls] == ["checkAvailability", "reserveFlight", "checkAvailability"]
    assert (tmp_path / "effects.log").read_text().count("reserveFlight") == 1
    with open_store(tmp_path / "runs.db") as store:
        assert store.require_run("sdk").status == "completed"
        assert [m["text"] for m in store.messages("sdk") if m["role"] == "user"] == USERS
