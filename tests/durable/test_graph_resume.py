"""Durable graph runs: a fan-out graph killed at every checkpoint (and inside a node, mid-fan-out)
resumes in a new process to the uninterrupted outputs, with each node's side effect done once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pytest

from agentflow.graph import END, START, CompiledGraph, Graph, Joined, Snapshot
from agentflow.messages import Message, Task
from agentflow.runner.durable_graph import graph_journal, run_graph_durable
from agentflow.store import open_store
from agentflow.tools.spec import ToolSpec


class Note(Message):
    kind: Literal["note"] = "note"
    text: str


WIDTH = 4
NOTIFY = ToolSpec(name="notify")  # a side effect, not idempotent


def build(workdir: Path, kill_in: str = "", kill_after_checkpoint: int = 0) -> tuple[CompiledGraph, Any]:
    """planner -> WIDTH critics (each notifies once through the journal) -> join -> aggregator."""
    log = workdir / "effects.log"
    state: dict[str, Any] = {"store": None}

    def effect(args: Any) -> dict[str, Any]:
        with log.open("a") as fh:
            fh.write(json.dumps(dict(args), sort_keys=True) + "\n")
        return {"sent": True}

    async def planner(task: Task) -> Note:
        return Note(text=f"plan for {task.text}")

    def make_critic(i: int) -> Any:
        async def critic(plan: Note) -> Note:
            await asyncio.sleep(0.001 * (WIDTH - i))  # finish in a different order than started
            journal = graph_journal(state["store"], "g")
            await journal.call(NOTIFY, {"critic": i, "plan": plan.text}, effect, site=f"critic{i}:{plan.text}")
            if kill_in == f"critic{i}":
                os.kill(os.getpid(), signal.SIGKILL)  # after the effect, before the step is checkpointed
            return Note(text=f"critique {i} of {plan.text}")

        return critic

    async def aggregator(joined: Joined) -> Note:
        texts = sorted(m.text for m in joined.messages if isinstance(m, Note))
        return Note(text=" | ".join(texts))

    g = Graph("review")
    g.add_node(planner)
    critics = [g.add_node(make_critic(i), name=f"critic{i}") for i in range(WIDTH)]
    for name in critics:
        g.add_edge("planner", name)
    g.add_node(aggregator)
    g.add_join("aggregator", critics)
    g.add_chain(START, "planner")
    g.add_edge("aggregator", END)
    app = g.build()

    async def go(resume: bool) -> Any:
        store = open_store(workdir / "runs.db")
        state["store"] = store
        calls = [0]
        run = app.run

        async def counted_run(*args: Any, **kwargs: Any) -> Any:
            inner = kwargs.pop("checkpoint")

            def checkpoint(snap: Snapshot) -> None:
                inner(snap)
                calls[0] += 1
                if calls[0] == kill_after_checkpoint:
                    os.kill(os.getpid(), signal.SIGKILL)

            return await run(*args, checkpoint=checkpoint, **kwargs)

        app.run = counted_run  # type: ignore[method-assign]
        try:
            return await run_graph_durable(app, None if resume else Task(text="q3 report"), store=store,
                                           run_id="g", resume=resume)
        finally:
            store.close()

    return app, go


def _in_child(fn: Callable[[], Any]) -> int:
    with warnings.catch_warnings():  # Python >= 3.12 warns about fork() when other tests left threads
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        code = 1
        try:
            fn()
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _final(workdir: Path) -> tuple[str, str, list[str]]:
    with open_store(workdir / "runs.db") as store:
        record = store.require_run("g")
        cp = store.load_checkpoint("g")
    assert cp is not None
    outputs = cp.state["state"]["outputs"]
    effects = sorted((workdir / "effects.log").read_text().splitlines())
    return record.status, outputs[-1]["data"]["text"] if outputs else "", effects


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, list[str]]:
    workdir = tmp_path_factory.mktemp("graph-ref")
    _, go = build(workdir)
    result = asyncio.run(go(False))
    assert result.ok
    status, text, effects = _final(workdir)
    assert status == "completed" and text.count("critique") == WIDTH and len(effects) == WIDTH
    return status, text, effects


def _resume(workdir: Path) -> None:
    _, go = build(workdir)
    result = asyncio.run(go(True))
    assert result.ok, result.error


def test_kill_after_every_checkpoint(reference: tuple[str, str, list[str]], tmp_path: Path) -> None:
    n_steps = 1 + WIDTH + 1
    for k in range(1, n_steps + 1):
        workdir = tmp_path / f"k{k}"
        workdir.mkdir()
        _, go = build(workdir, kill_after_checkpoint=k)
        assert _in_child(lambda go=go: asyncio.run(go(False))) == -signal.SIGKILL
        assert _in_child(lambda w=workdir: _resume(w)) == 0
        assert _final(workdir) == reference, f"killed after checkpoint {k}"


@pytest.mark.parametrize("victim", ["critic0", "critic2"])
def test_kill_inside_a_node_mid_fan_out(reference: tuple[str, str, list[str]], tmp_path: Path, victim: str) -> None:
    _, go = build(tmp_path, kill_in=victim)
    assert _in_child(lambda: asyncio.run(go(False))) == -signal.SIGKILL
    with open_store(tmp_path / "runs.db") as store:
        assert store.require_run("g").status == "running"  # killed: resumable
    assert _in_child(lambda: _resume(tmp_path)) == 0
    assert _final(tmp_path) == reference  # the victim ran again, but its notification was replayed


def test_resume_before_the_first_step_starts_from_the_recorded_input(tmp_path: Path) -> None:
    with open_store(tmp_path / "runs.db") as store:
        task = {"kind": "task", "text": "q3 report", "inputs": {}}
        store.create_run("g", {"graph": "review", "input": {"kind": "task", "data": task}})
    _resume(tmp_path)
    status, text, effects = _final(tmp_path)
    assert status == "completed" and "critique 0 of plan for q3 report" in text and len(effects) == WIDTH
