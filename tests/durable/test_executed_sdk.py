"""Durable executed runs from the SDK: ``Orchestration.run_durable`` starts, crashes (SIGKILL in a forked
child) and resumes runs; a *sampling* model's answers given before the crash are replayed, so the
resumed run does not change its mind (which would change the tool calls and repeat side effects)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import uuid
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agentflow.backends.base import ChatRequest
from agentflow.errors import UserError
from agentflow.events import Event
from agentflow.messages import Answer
from agentflow.runner.orchestration import Orchestration
from agentflow.runner.workflows import load_workflow
from agentflow.store import open_store
from agentflow.testing import FunctionBackend

DATA = Path(__file__).resolve().parent / "data" / "executed"
BACKENDS: dict[str, Any] = {"*": "test", "judge": f"scripted:{DATA / 'judge.yaml'}",
                            "refiner": f"scripted:{DATA / 'refiner.yaml'}"}


def _sampling_solver() -> FunctionBackend:
    """A solver that answers differently every time it is asked (like a model sampling at T > 0)."""

    def answer(_req: ChatRequest) -> dict[str, Any]:
        return {"text": f"draft {uuid.uuid4().hex[:8]}"}

    return FunctionBackend(answer)


def _workflow() -> Orchestration:
    return load_workflow(DATA / "review.pdl", tools=DATA / "tools.py")


def _in_child(fn: Callable[[], None]) -> int:
    """Run ``fn`` in a forked child; its exit code, or ``-signal`` when it was killed."""
    sys.stdout.flush()
    sys.stderr.flush()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        code = 70
        try:
            fn()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _killer(after: str) -> Callable[[Event], None]:
    """An event sink that SIGKILLs the process right after the first ``after`` event of the notify tool."""

    def sink(event: Event) -> None:
        if event.type == after and event.data.get("name") == "notify":
            os.kill(os.getpid(), signal.SIGKILL)

    return sink


@pytest.fixture
def effects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "effects.log"
    monkeypatch.setenv("AF_SIDE_EFFECTS", str(log))
    monkeypatch.delenv("AF_KILL_IN_TOOL", raising=False)
    return log


def test_sampling_answers_are_replayed_after_a_crash_mid_fan_out(tmp_path: Path, effects: Path) -> None:
    db = tmp_path / "runs.db"

    def first() -> None:  # killed right after the parallel block's notification returned
        backends = {**BACKENDS, "solver": _sampling_solver()}
        asyncio.run(_workflow().run_durable({"question": "apples"}, store=db, run_id="s1", backend=backends,
                                            sinks=[_killer("tool_result")]))

    assert _in_child(first) == -signal.SIGKILL
    with open_store(db) as store:
        assert store.require_run("s1").status == "running"
        journal = store.journal("s1")
    drafts = [json.loads(e.result["text"])["text"] for e in journal if e.args.get("role") == "solver"]
    cut_lookup = any(e.tool == "lookup" and e.status == "started" for e in journal)
    assert len(drafts) == 1 and drafts[0].startswith("draft ")
    result = asyncio.run(_workflow().run_durable(store=db, run_id="s1", resume=True,
                                                 backend={**BACKENDS, "solver": _sampling_solver()}))
    assert result.ok, result.reason
    draft = result.variables["draft"]  # restored from the snapshot as the message it was
    assert isinstance(draft, Answer) and draft.text == drafts[0]  # the answer given before the crash, not a new one
    lines = [json.loads(line) for line in effects.read_text().splitlines()]
    audits = [e for e in lines if e["tool"] == "notify" and e["args"]["channel"] == "audit"]
    assert audits == [{"tool": "notify", "args": {"channel": "audit", "text": drafts[0]}}]  # once, same text
    tools = Counter(e["tool"] for e in lines)
    # the idempotent lookup (a worker thread beside notify) runs again only if the kill cut it off
    assert tools["notify"] == 3 and tools["lookup"] in ((1, 2) if cut_lookup else (1,))
    assert result.output == "revision two: exactly 42 apples"
    with open_store(db) as store:
        assert store.require_run("s1").status == "completed"
        assert store.require_run("s1").meta["inputs"] == {"question": "apples"}  # the resume reused them


def test_sdk_run_and_resume_mistakes(tmp_path: Path, effects: Path) -> None:
    db = tmp_path / "runs.db"
    wf = _workflow()
    result = asyncio.run(wf.run_durable({"question": "apples"}, store=db, run_id="s2", backend=BACKENDS))
    assert result.ok and result.output == "revision two: exactly 42 apples"
    assert len(effects.read_text().splitlines()) == 4
    with pytest.raises(UserError, match="already completed"):
        asyncio.run(wf.run_durable(store=db, run_id="s2", resume=True, backend=BACKENDS))
    with pytest.raises(UserError, match="no run 'missing'"):
        asyncio.run(wf.run_durable(store=db, run_id="missing", resume=True, backend=BACKENDS))
    with open_store(db) as store:  # a store object works as well as a path
        again = asyncio.run(wf.run_durable({"question": "pears"}, store=store, run_id="s3", backend=BACKENDS))
        assert again.ok and store.require_run("s3").status == "completed"
        assert len(store.events("s3")) > 0 and store.load_checkpoint("s3") is not None
