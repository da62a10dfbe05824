"""The SDK side of durable guided runs: run_durable / resume with a Workflow, same as the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentflow.backends.base import ChatRequest
from agentflow.errors import UserError
from agentflow.guided.users import SimulatedUser
from agentflow.runner.conversation import Workflow
from agentflow.runner.durable_entry import run_durable
from agentflow.store import open_store
from agentflow.testing import FunctionBackend
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


async def test_a_simulated_user_remembers_the_conversation_across_a_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The simulator's memory is the conversation so far: a resumed run rebuilds it from the store.

    The simulated user says the n-th scripted line when its prompt shows n earlier user messages, so a
    simulator that forgot the conversation on resume would start over with the first line.
    """
    monkeypatch.setenv("AF_SIDE_EFFECTS", str(tmp_path / "effects.log"))
    prompts: list[str] = []

    def simulator(request: ChatRequest) -> dict[str, Any]:
        prompt = str(request.messages[-1].content)
        prompts.append(prompt)
        said = sum(1 for line in prompt.splitlines() if line.startswith("user: "))
        return {"text": USERS[said], "done": said == len(USERS) - 1}

    def user() -> SimulatedUser:  # a resumed run in a new process builds a new simulator
        return SimulatedUser(FunctionBackend(simulator), {"goal": "book a flight"}, max_turns=10)

    wf = Workflow.load(DATA / "flight.yaml")
    common = {"backend": f"scripted:{DATA / 'agent.yaml'}", "tools": load_python_tools(DATA / "tools.py"),
              "classifier": "rules", "store": tmp_path / "runs.db", "run_id": "sim"}
    first = await run_durable(wf, user(), require_approval={"reserveFlight"}, **common)
    assert first.status == "paused" and first.state.turn == 2
    done = await run_durable(wf, user(), resume=True, approve=True, **common)
    assert done.status == "completed"
    with open_store(tmp_path / "runs.db") as store:
        assert [m["text"] for m in store.messages("sim") if m["role"] == "user"] == USERS
    resumed_first = prompts[2]  # the first prompt of the resumed simulator
    assert f"user: {USERS[0]}" in resumed_first and f"user: {USERS[1]}" in resumed_first
    assert "Flight CA1234 is available" in resumed_first and "is booked" in resumed_first
