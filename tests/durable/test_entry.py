"""One durable entry for every kind of run, and one loader for every kind of workflow."""

from __future__ import annotations

from pathlib import Path

import pytest

import agentflow
from agentflow import Conversation, Orchestration, Task, load_workflow, run_durable
from agentflow.graph import END, START, Graph
from agentflow.messages import Revision
from agentflow.store import open_store
from agentflow.tools.python_file import load_python_tools

DATA = Path(__file__).resolve().parent / "data"
ROOT = Path(__file__).resolve().parents[2]
USERS = [line[2:] for line in (DATA / "users.yaml").read_text().splitlines() if line.startswith("- ")]


def test_load_workflow_returns_the_kind_the_file_declares() -> None:
    assert isinstance(load_workflow(DATA / "flight.yaml"), Conversation)
    assert isinstance(load_workflow("debate_vote"), Orchestration)
    assert agentflow.Workflow is Conversation  # the earlier name still works


async def test_conversation_runs_durably_through_the_one_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AF_SIDE_EFFECTS", str(tmp_path / "effects.log"))
    wf = Conversation.load(DATA / "flight.yaml")
    common = {"backend": f"scripted:{DATA / 'agent.yaml'}", "tools": load_python_tools(DATA / "tools.py"),
              "classifier": "rules", "store": tmp_path / "runs.db", "run_id": "entry"}
    first = await run_durable(wf, USERS, require_approval={"reserveFlight"}, **common)
    assert first.status == "paused"
    result = await run_durable(wf, USERS, resume=True, approve=True, **common)
    assert result.status == "completed"
    with open_store(tmp_path / "runs.db") as store:
        assert store.require_run("entry").status == "completed"


async def test_orchestration_runs_durably_through_the_one_entry(tmp_path: Path) -> None:
    wf = Orchestration.load("debate_vote")
    result = await run_durable(wf, {"question": "17*3?"}, store=tmp_path / "runs.db", run_id="orch", backend="test")
    assert result.ok
    with open_store(tmp_path / "runs.db") as store:
        assert store.require_run("orch").status == "completed"


async def test_graph_runs_durably_through_the_one_entry(tmp_path: Path) -> None:
    async def draft(task: Task) -> Revision:
        return Revision(text=task.text + ".")

    g = Graph("one")
    g.add_node(draft)
    g.add_edge(START, "draft")
    g.add_edge("draft", END)
    result = await run_durable(g.build(), Task(text="hi"), store=tmp_path / "runs.db", run_id="g1")
    assert result.output == Revision(text="hi.")
    with open_store(tmp_path / "runs.db") as store:
        assert store.require_run("g1").status == "completed"


async def test_wrong_input_shape_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="needs its user"):
        await run_durable(Conversation.load(DATA / "flight.yaml"), {"a": 1}, store=tmp_path / "r.db", run_id="x")
    with pytest.raises(TypeError, match="needs a Conversation"):
        await run_durable("flight.pdl", store=tmp_path / "r.db", run_id="x")  # type: ignore[arg-type]
