"""A model that answers differently after a restart must not cause a second side effect.

The "model" here is a script whose *arguments* depend on the process (attempt 1 books cabin-1, attempt
2 would book cabin-2), like a sampling LLM. The run is killed right after the booking tool returned,
before the step was checkpointed. On resume the agent's answers for the step in flight are replayed
from the journal, so the booking is replayed too: exactly one booking, with the first attempt's args.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import traceback
import warnings
from pathlib import Path
from typing import Any

import pytest

from agentflow.events import Event, JsonlTraceWriter
from agentflow.runner.conversation import Workflow
from agentflow.runner.durable_entry import run_durable
from agentflow.store import open_store
from agentflow.testing import ScriptedBackend, ScriptStep
from agentflow.tools.python_file import load_python_tools

DATA = Path(__file__).resolve().parent / "data"
USERS = [line[2:] for line in (DATA / "users.yaml").read_text().splitlines() if line.startswith("- ")]
WHEN = "12 o'clock on January 7, 2199"


def _model(attempt: int) -> ScriptedBackend:
    steps = [
        ScriptStep(call="checkAvailability", args={"plan_code": "CA1234", "estimated_time": WHEN}),
        ScriptStep(say="Available. Which cabin?"),
        ScriptStep(call="reserveFlight", args={"plan_code": "CA1234", "cabin_type": f"cabin-{attempt}",
                                               "estimated_time": WHEN}),
        ScriptStep(say=f"Booked (attempt {attempt})."),
        ScriptStep(call="checkAvailability", args={"plan_code": "CZ5678", "estimated_time": WHEN}),
        ScriptStep(say="CZ5678 has seats."),
        ScriptStep(say="Bye!"),
    ]
    return ScriptedBackend(steps, name="sampling-model")


def _attempt(workdir: Path, attempt: int, resume: bool, kill_after_booking: bool) -> None:
    os.environ["AF_SIDE_EFFECTS"] = str(workdir / "effects.log")
    if kill_after_booking:
        write = JsonlTraceWriter.__call__

        def write_then_die(self: JsonlTraceWriter, event: Event) -> None:
            write(self, event)
            if event.type == "tool_result" and event.data.get("name") == "reserveFlight":
                os.kill(os.getpid(), signal.SIGKILL)

        JsonlTraceWriter.__call__ = write_then_die  # type: ignore[method-assign]
    wf = Workflow.load(DATA / "flight.yaml")
    result = asyncio.run(run_durable(
        wf, USERS, backend=_model(attempt), tools=load_python_tools(DATA / "tools.py"), classifier="rules",
        store=workdir / "runs.db", run_id="m", resume=resume, trace=workdir / "trace.jsonl"))
    assert result.status == "completed", result.error


def _child(fn: Any) -> int:
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


@pytest.mark.timeout(120)
def test_resumed_step_replays_the_models_answer(tmp_path: Path) -> None:
    assert _child(lambda: _attempt(tmp_path, 1, resume=False, kill_after_booking=True)) == -signal.SIGKILL
    assert _child(lambda: _attempt(tmp_path, 2, resume=True, kill_after_booking=False)) == 0
    effects = [json.loads(line) for line in (tmp_path / "effects.log").read_text().splitlines()]
    bookings = [e["args"] for e in effects if e["tool"] == "reserveFlight"]
    assert bookings == [{"plan_code": "CA1234", "cabin_type": "cabin-1"}]  # once, as the first model decided
    with open_store(tmp_path / "runs.db") as store:
        assert store.require_run("m").status == "completed"
        texts = [m["text"] for m in store.messages("m") if m["role"] == "agent"]
    # The call that proposed the booking was replayed; the answer after it was first asked in attempt 2.
    assert texts[1] == "Booked (attempt 2)."
    with open_store(tmp_path / "runs.db") as store:
        state = store.load_checkpoint("m")
    assert state is not None
    booked = [c for c in state.state["state"]["calls"] if c["name"] == "reserveFlight"]
    assert [c["args"]["cabin_type"] for c in booked] == ["cabin-1"]
