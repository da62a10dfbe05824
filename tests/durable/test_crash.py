"""The crash test: SIGKILL a real ``agentflow run --store`` process at many points, resume, compare.

One uninterrupted run (a fresh ``python -m agentflow`` process) is the reference. Crashed runs are
killed right after *each* trace event in turn (in processes forked from this one, see conftest.py, so
that covering every event stays fast), inside a tool, twice in a row, and from outside at arbitrary
moments (fresh interpreters); each is resumed with ``agentflow resume`` and must reach the reference's
final state, message log and trace, with every tool executed exactly once (the tools append to a
side-effect log). Planted secrets (environment, tool results) must not appear in any written file.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agentflow.events import read_trace
from agentflow.store import open_store

ForkRun = Callable[..., int]  # the `fork_run` fixture (conftest.py)

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RUNNER = HERE / "crash_runner.py"
ENV_SECRET = "planted-env-secret-7f3a9c"
STORE_KEY = "test-store-key-0b8f2e6c4d1a9e7f3c5b"  # seals what redaction hides, so resumes are exact
SECRETS = (ENV_SECRET, "PNR-planted-result-5531", "tok-planted-result-8812", STORE_KEY)
# "models": run_end's per-process model ledger (calls made by *this* process; a resumed run's ledger
# starts empty). The session's own counters (llm_calls, tokens) cover the whole run and are compared.
VOLATILE = {"ts", "call_id", "latency_s", "run_id", "seq", "models"}
CALL_ID = re.compile(r"^call_[0-9a-f]+$")


@dataclass
class Outcome:
    status: str
    state: Any
    messages: list[tuple[str, str]]
    trace: list[Any]
    effects: list[str]
    workdir: Path


def _env(workdir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AF_")}
    env.update(AF_SIDE_EFFECTS=str(workdir / "effects.log"), FLIGHT_API_KEY=ENV_SECRET,
               AGENTFLOW_STORE_KEY=STORE_KEY, **extra)
    return env


def _run_args(workdir: Path) -> list[str]:
    return ["run", str(DATA / "flight.yaml"), "--backend", f"scripted:{DATA / 'agent.yaml'}",
            "--user", f"scripted:{DATA / 'users.yaml'}", "--tools", str(DATA / "tools.py"),
            "--trace", str(workdir / "trace.jsonl"), "--store", str(workdir / "runs.db"), "--run-id", "crash",
            "--classifier", "rules"]


def _resume_args(workdir: Path, *extra: str) -> list[str]:
    return ["resume", "crash", "--store", str(workdir / "runs.db"), *extra]


def _run_cmd(workdir: Path) -> list[str]:
    return [sys.executable, str(RUNNER), *_run_args(workdir)]


def _resume_cmd(workdir: Path, *extra: str) -> list[str]:
    return [sys.executable, str(RUNNER), *_resume_args(workdir, *extra)]


def _call(cmd: list[str], workdir: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    with (workdir / "stdout.log").open("a") as out, (workdir / "stderr.log").open("a") as err:
        proc = subprocess.run(cmd, env=_env(workdir, **extra), stdout=out, stderr=err, text=True, timeout=60,
                              cwd=workdir)
    return subprocess.CompletedProcess(cmd, proc.returncode)


def _normal(value: Any) -> Any:
    """Drop what legitimately differs between two runs (timestamps, random call ids, latencies)."""
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, str) and CALL_ID.match(value):
        return "call_*"
    return value


def _outcome(workdir: Path) -> Outcome:
    with open_store(workdir / "runs.db") as store:
        record = store.require_run("crash")
        cp = store.load_checkpoint("crash")
        messages = [(m["role"], m["text"]) for m in store.messages("crash")]
    effects = (workdir / "effects.log").read_text().splitlines() if (workdir / "effects.log").exists() else []
    trace = [_normal(e) for e in read_trace(workdir / "trace.jsonl") if e["type"] != "run_start"]
    return Outcome(record.status, _normal(cp.state if cp else None), messages, trace, effects, workdir)


def _fresh(tmp: Path, name: str) -> Path:
    workdir = tmp / name
    workdir.mkdir()
    return workdir


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    workdir = _fresh(tmp_path_factory.mktemp("crash"), "reference")
    cmd = [sys.executable, "-m", "agentflow", *_run_args(workdir)]
    assert _call(cmd, workdir).returncode == 0, (workdir / "stderr.log").read_text()
    out = _outcome(workdir)
    assert out.status == "completed" and len(out.effects) == 3
    return out


def _crash_and_resume(fork_run: ForkRun, workdir: Path, kill_at: int, kill_again_at: int = 0) -> Outcome:
    env = _env(workdir)
    first = fork_run(_run_args(workdir), env=env, cwd=workdir, kill_at=kill_at)
    assert first == -signal.SIGKILL, f"{workdir.name}: expected a SIGKILL, got {first}"
    if kill_again_at:
        again = fork_run(_resume_args(workdir), env=env, cwd=workdir, kill_at=kill_again_at)
        assert again in (-signal.SIGKILL, 0)
        if again == 0:  # the resume had fewer events left than kill_again_at: it finished
            return _outcome(workdir)
    done = fork_run(_resume_args(workdir), env=env, cwd=workdir)
    assert done == 0, f"{workdir.name}: resume failed: {(workdir / 'stderr.log').read_text()[-800:]}"
    return _outcome(workdir)


def _assert_same(out: Outcome, ref: Outcome, label: str) -> None:
    assert out.status == "completed", label
    assert out.effects == ref.effects, f"{label}: tools must run exactly once each"
    assert out.state == ref.state, f"{label}: final state differs"
    assert out.messages == ref.messages, f"{label}: message log differs"
    assert out.trace == ref.trace, f"{label}: trace differs"


def _secret_free(workdir: Path) -> None:
    for path in workdir.iterdir():
        if path.name == "effects.log":  # written by the user's own tools, not by agentflow
            continue
        data = path.read_bytes().decode("utf-8", errors="replace")
        for secret in SECRETS:
            assert secret not in data, f"{secret!r} leaked into {path.name}"


def test_reference_run_is_complete_and_secret_free(reference: Outcome) -> None:
    assert [json.loads(e)["tool"] for e in reference.effects] == ["checkAvailability", "reserveFlight",
                                                                  "checkAvailability"]
    assert reference.messages[0] == ("user", "I want to book flight CA1234 at 12 o'clock on January 7, 2199.")
    assert reference.trace[-1]["type"] == "run_end" and reference.trace[-1]["status"] == "completed"
    _secret_free(reference.workdir)


def test_kill_after_every_event_then_resume(reference: Outcome, fork_run: ForkRun, tmp_path: Path) -> None:
    n_events = len(reference.trace) + 1  # + run_start
    for k in range(1, n_events + 1):
        out = _crash_and_resume(fork_run, _fresh(tmp_path, f"k{k}"), k)
        _assert_same(out, reference, f"killed after event {k}")
        _secret_free(out.workdir)


@pytest.mark.parametrize(("first", "second"), [(9, 1), (14, 5), (25, 3), (36, 4)])
def test_killed_again_while_resuming(
    reference: Outcome, fork_run: ForkRun, tmp_path: Path, first: int, second: int
) -> None:
    out = _crash_and_resume(fork_run, _fresh(tmp_path, "twice"), first, second)
    _assert_same(out, reference, f"killed after event {first}, then after event {second} of the resume")


def test_fresh_interpreter_crash_and_resume(reference: Outcome, tmp_path: Path) -> None:
    """The same, with nothing shared: a new `python` for the crashed run and for the resume."""
    workdir = _fresh(tmp_path, "fresh")
    assert _call(_run_cmd(workdir), workdir, AF_KILL_AT="17").returncode == -signal.SIGKILL
    assert _call(_resume_cmd(workdir), workdir).returncode == 0, (workdir / "stderr.log").read_text()
    _assert_same(_outcome(workdir), reference, "fresh interpreters")
    _secret_free(workdir)


def test_kill_inside_an_idempotent_tool_retries_it(reference: Outcome, fork_run: ForkRun, tmp_path: Path) -> None:
    workdir = _fresh(tmp_path, "in-check")
    env = _env(workdir, AF_KILL_IN_TOOL="checkAvailability")
    assert fork_run(_run_args(workdir), env=env, cwd=workdir) == -signal.SIGKILL
    assert fork_run(_resume_args(workdir), env=_env(workdir), cwd=workdir) == 0
    out = _outcome(workdir)
    assert out.state == reference.state and out.messages == reference.messages and out.status == "completed"
    # The idempotent read ran twice (its policy: retry); the booking ran once.
    assert out.effects == [reference.effects[0], *reference.effects]


def test_kill_inside_a_side_effecting_tool_stops_and_asks(
    reference: Outcome, fork_run: ForkRun, tmp_path: Path
) -> None:
    workdir = _fresh(tmp_path, "in-reserve")
    env = _env(workdir)
    assert fork_run(_run_args(workdir), env=_env(workdir, AF_KILL_IN_TOOL="reserveFlight"), cwd=workdir) == -9
    assert fork_run(_resume_args(workdir), env=env, cwd=workdir) == 0
    assert "cut off by a crash" in (workdir / "stdout.log").read_text()
    with open_store(workdir / "runs.db") as store:
        record = store.require_run("crash")
        assert record.status == "paused" and (record.pause or {}).get("reason") == "interrupted_tool"
    refused = fork_run(_resume_args(workdir), env=env, cwd=workdir)  # a decision is required: a user error
    assert refused == 2 and "--approve" in (workdir / "stderr.log").read_text()
    # The human checked the airline: the booking did not go through; --approve runs it again.
    assert fork_run(_resume_args(workdir, "--approve"), env=env, cwd=workdir) == 0
    out = _outcome(workdir)
    assert out.status == "completed" and out.state == reference.state
    tools = [json.loads(e)["tool"] for e in out.effects]
    assert tools == ["checkAvailability", "reserveFlight", "reserveFlight", "checkAvailability"]


def test_external_sigkill_at_arbitrary_moments(reference: Outcome, tmp_path: Path) -> None:
    """Kill from outside while watching the trace grow (not at an event boundary chosen by the run)."""
    for i, lines in enumerate((9, 27)):
        workdir = _fresh(tmp_path, f"ext{i}")
        with (workdir / "stdout.log").open("a") as out, (workdir / "stderr.log").open("a") as err:
            proc = subprocess.Popen(_run_cmd(workdir), env=_env(workdir), stdout=out, stderr=err, cwd=workdir)
            trace = workdir / "trace.jsonl"
            deadline = time.monotonic() + 30
            while proc.poll() is None and time.monotonic() < deadline:
                if trace.exists() and trace.read_bytes().count(b"\n") >= lines:
                    proc.send_signal(signal.SIGKILL)
                    break
                time.sleep(0.0005)
            proc.wait(timeout=30)
        with open_store(workdir / "runs.db") as store:
            finished = store.require_run("crash").status == "completed"
        if not finished:  # else the run won the race (the kill landed after its last commit)
            assert _call(_resume_cmd(workdir), workdir).returncode == 0, (workdir / "stderr.log").read_text()
        _assert_same(_outcome(workdir), reference, f"external kill after ~{lines} lines")

