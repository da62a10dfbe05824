"""Durable executed-mode runs: SIGKILL a real ``agentflow run WORKFLOW.pdl --store`` at many points, resume.

The workflow (``data/executed/review.pdl``) has a parallel block (two critics, an idempotent lookup
and a side-effecting notification running at once) and a judge/refiner loop that notifies once per
round; judge and refiner answer from scripts, the others from the ``test`` backend. Every crashed run
is resumed with ``agentflow resume`` and must end with the uninterrupted run's final variables and
result, each tool having run exactly once (the tools append to a side-effect log).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agentflow.events import read_trace
from agentflow.store import open_store

ForkRun = Callable[..., int]  # the `fork_run` fixture (conftest.py)

DATA = Path(__file__).resolve().parent / "data" / "executed"
RUN_ID = "review-1"


def _env(workdir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AF_")}
    env.update(AF_SIDE_EFFECTS=str(workdir / "effects.log"), **extra)
    return env


def _run_args(workdir: Path) -> list[str]:
    return ["run", str(DATA / "review.pdl"), "--tools", str(DATA / "tools.py"), "--backend", "test",
            "--backend", f"judge=scripted:{DATA / 'judge.yaml'}",
            "--backend", f"refiner=scripted:{DATA / 'refiner.yaml'}", "--input", "question=apples",
            "--store", str(workdir / "runs.db"), "--run-id", RUN_ID, "--trace", str(workdir / "trace.jsonl")]


def _resume_args(workdir: Path, *extra: str) -> list[str]:
    return ["resume", RUN_ID, "--store", str(workdir / "runs.db"), *extra]


def _final(workdir: Path) -> dict[str, Any]:
    """The run's status and final frame (the last snapshot's outputs) from the store."""
    with open_store(workdir / "runs.db") as store:
        record = store.require_run(RUN_ID)
        checkpoint = store.load_checkpoint(RUN_ID)
        assert checkpoint is not None
        outputs = checkpoint.state["state"]["outputs"]
        return {"status": record.status, "outputs": outputs}


def _effects(workdir: Path) -> Counter[str]:
    log = workdir / "effects.log"
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return Counter(lines)


def _stdout(workdir: Path) -> str:
    return (workdir / "stdout.log").read_text(encoding="utf-8")


_REFERENCE: dict[str, Any] = {}


@pytest.fixture
def reference(fork_run: ForkRun, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The uninterrupted run (made once per test session)."""
    if not _REFERENCE:
        _REFERENCE.update(_reference(fork_run, tmp_path_factory.mktemp("reference")))
    return _REFERENCE


def _reference(fork_run: ForkRun, workdir: Path) -> dict[str, Any]:
    code = fork_run(_run_args(workdir), env=_env(workdir), cwd=workdir)
    assert code == 0, (workdir / "stderr.log").read_text()
    events = list(read_trace(workdir / "trace.jsonl"))
    final = _final(workdir)
    assert final["status"] == "completed"
    return {"final": final, "effects": _effects(workdir), "events": len(events), "stdout": _stdout(workdir)}


def test_reference_run_is_complete(reference: dict[str, Any]) -> None:
    effects = reference["effects"]
    assert sum(effects.values()) == 4 and all(n == 1 for n in effects.values())
    assert "revision two: exactly 42 apples" in reference["stdout"]
    frame = reference["final"]["outputs"][-1]["data"]
    assert frame["returned"] is True and frame["result"] == "revision two: exactly 42 apples"
    assert frame["vars"]["rounds"] == 2


def _crash_and_resume(fork_run: ForkRun, workdir: Path, kill_at: int, rerun: Counter[str] | None = None,
                      approve: bool = False, **env: str) -> int:
    """Run, killed after event ``kill_at``; resume. Returns the first run's exit code.

    ``rerun`` collects the effects of idempotent calls the kill cut off (after their effect, before
    their result was journaled): those run again on resume, by policy.

    A kill while the side-effecting ``notify`` was running (it runs in a worker thread, beside the
    other branches) pauses the resumed run: nobody knows whether it took effect. The test plays the
    human: ``--approve`` (run it again) when its effect is not in the log, ``--deny`` otherwise; with
    ``approve`` it always approves, and a notification that runs twice is counted in ``rerun``.
    """
    rerun = Counter() if rerun is None else rerun
    code = fork_run(_run_args(workdir), env=_env(workdir, **env), cwd=workdir, kill_at=kill_at)
    if code == 0:
        return 0
    assert code == -9, (workdir / "stderr.log").read_text()
    return _resume_to_end(fork_run, workdir, rerun, approve=approve)


def _resume_to_end(fork_run: ForkRun, workdir: Path, rerun: Counter[str], kill_at: int = 0,
                   approve: bool = False) -> int:
    """Resume a killed run (and decide on a paused call); -9 when ``kill_at`` kills the resumed run too."""
    _count_cut_off(workdir, rerun)
    resumed = fork_run(_resume_args(workdir), env=_env(workdir), cwd=workdir, kill_at=kill_at)
    if resumed == -9 and kill_at:
        return -9
    assert resumed == 0, (workdir / "stderr.log").read_text()
    with open_store(workdir / "runs.db") as store:
        record = store.require_run(RUN_ID)
    if record.status == "paused":
        pause = dict(record.pause or {})
        assert pause["reason"] == "interrupted_tool" and pause["tool"] == "notify", pause
        line = json.dumps({"args": pause["args"], "tool": "notify"}, sort_keys=True)
        _count_cut_off(workdir, rerun)
        took_effect = line in _effects(workdir)
        if took_effect and approve:  # the human runs it again anyway: its effect appears twice
            rerun[line] += 1
        elif took_effect:  # it took effect: refuse to run it again; the run fails, once
            assert fork_run(_resume_args(workdir, "--deny"), env=_env(workdir), cwd=workdir) == 1
            assert "denied by a human reviewer" in _stdout(workdir)
            return DENIED
        assert fork_run(_resume_args(workdir, "--approve"), env=_env(workdir), cwd=workdir) == 0
    return -9


def _count_cut_off(workdir: Path, rerun: Counter[str]) -> None:
    """Idempotent calls cut off after their effect (by a kill, or cancelled by a pause) run again."""
    with open_store(workdir / "runs.db") as store:
        cut = [e for e in store.journal(RUN_ID) if e.tool == "lookup" and e.status == "started"]
    effects = _effects(workdir)
    for entry in cut:
        line = json.dumps({"args": dict(entry.args), "tool": "lookup"}, sort_keys=True)
        if effects[line] > rerun[line]:
            rerun[line] += 1


DENIED = -100


def test_killed_after_every_event_resumes_to_the_same_result(
    fork_run: ForkRun, reference: dict[str, Any], tmp_path: Path
) -> None:
    """Every event in turn (mid-fan-out included): same final frame, every tool executed once."""
    killed = 0
    # every event through the fan-out (events 10-39) and into the loop, then every fourth one (time budget)
    points = [k for k in range(1, reference["events"] + 1) if k <= 45 or k % 4 == 0]
    for k in points:
        workdir = tmp_path / f"k{k}"
        workdir.mkdir()
        rerun: Counter[str] = Counter()
        code = _crash_and_resume(fork_run, workdir, k, rerun)
        killed += code in (-9, DENIED)
        if code == DENIED:  # killed inside notify after its effect: no tool ran twice, the run failed
            assert _final(workdir)["status"] == "failed"
            effects = _effects(workdir) - rerun
            assert max(effects.values()) == 1 and set(effects) <= set(reference["effects"])
            continue
        assert _final(workdir) == reference["final"], f"kill after event {k}"
        assert _effects(workdir) == reference["effects"] + rerun, f"kill after event {k}: {_effects(workdir)}"
        assert "revision two: exactly 42 apples" in _stdout(workdir)
        trace = list(read_trace(workdir / "trace.jsonl"))
        ends = [e for e in trace if e["type"] == "workflow_end"]
        assert len(ends) == 1 and ends[0]["status"] == "completed", f"kill after event {k}"
        seqs = [e["seq"] for e in trace]
        assert seqs == sorted(set(seqs)), f"kill after event {k}: trace seqs repeat"
    assert killed == len(points)


def test_killed_twice_in_a_row(fork_run: ForkRun, reference: dict[str, Any], tmp_path: Path) -> None:
    rerun: Counter[str] = Counter()
    assert fork_run(_run_args(tmp_path), env=_env(tmp_path), cwd=tmp_path, kill_at=16) == -9
    # the resumed run dies too (a notification in flight at either kill is approved to run again)
    assert _resume_to_end(fork_run, tmp_path, rerun, kill_at=25, approve=True) == -9
    assert _resume_to_end(fork_run, tmp_path, rerun, approve=True) == -9
    assert _final(tmp_path) == reference["final"]
    assert _effects(tmp_path) == reference["effects"] + rerun


@pytest.mark.parametrize("hold_notify", [False, True], ids=["free", "notify-in-flight"])
def test_killed_inside_an_idempotent_tool_runs_it_again(
    fork_run: ForkRun, reference: dict[str, Any], tmp_path: Path, hold_notify: bool
) -> None:
    """The kill cuts off the lookup, which runs again on resume.

    The notification running beside it may be cut off too, after its effect (forced with
    ``notify-in-flight``; by chance on a loaded machine): then the resumed run pauses for it, and the
    test approves running it again.
    """
    rerun: Counter[str] = Counter()
    env = {"AF_KILL_IN_TOOL": "lookup"} | ({"AF_HOLD_IN_TOOL": "notify"} if hold_notify else {})
    assert _crash_and_resume(fork_run, tmp_path, 0, rerun, approve=True, **env) == -9
    assert _final(tmp_path) == reference["final"]
    lookup = json.dumps({"args": {"topic": "apples"}, "tool": "lookup"}, sort_keys=True)
    audit = json.dumps({"args": {"channel": "audit", "text": "test"}, "tool": "notify"}, sort_keys=True)
    assert rerun[lookup] >= 1 and set(rerun) <= {lookup, audit}  # the call cut off by the kill ran again
    if hold_notify:
        assert rerun[audit] == 1 and "paused: tool call notify(" in _stdout(tmp_path)
    assert _effects(tmp_path) == reference["effects"] + rerun


def test_killed_inside_a_side_effect_pauses_for_a_decision(
    fork_run: ForkRun, reference: dict[str, Any], tmp_path: Path
) -> None:
    env = _env(tmp_path, AF_KILL_IN_TOOL="notify")
    rerun: Counter[str] = Counter()  # the idempotent lookup beside it may be cut off too (and run again)
    assert fork_run(_run_args(tmp_path), env=env, cwd=tmp_path) == -9
    _count_cut_off(tmp_path, rerun)
    assert fork_run(_resume_args(tmp_path), env=_env(tmp_path), cwd=tmp_path) == 0
    _count_cut_off(tmp_path, rerun)
    assert "paused: tool call notify(" in _stdout(tmp_path) and "--approve" in _stdout(tmp_path)
    assert _final(tmp_path)["status"] == "paused"
    assert fork_run(_resume_args(tmp_path), env=_env(tmp_path), cwd=tmp_path) == 2  # no decision given
    assert "is paused" in (tmp_path / "stderr.log").read_text()
    assert fork_run(_resume_args(tmp_path, "--approve"), env=_env(tmp_path), cwd=tmp_path) == 0
    assert _final(tmp_path) == reference["final"]
    audit = json.dumps({"args": {"channel": "audit", "text": "test"}, "tool": "notify"}, sort_keys=True)
    assert _effects(tmp_path) == reference["effects"] + Counter({audit: 1}) + rerun  # approved: it ran again


def test_resume_mistakes_are_one_line_user_errors(
    fork_run: ForkRun, reference: dict[str, Any], tmp_path: Path
) -> None:
    assert fork_run(_run_args(tmp_path), env=_env(tmp_path), cwd=tmp_path) == 0
    for args, expected in (
        (["resume", "nope", "--store", str(tmp_path / "runs.db")], "no run 'nope'"),
        (_resume_args(tmp_path), f"run '{RUN_ID}' already completed"),
        (["resume", RUN_ID, "--store", str(tmp_path / "missing.db")], "not found"),
        (_run_args(tmp_path), "already"),
    ):
        (tmp_path / "stderr.log").write_text("")
        assert fork_run(args, env=_env(tmp_path), cwd=tmp_path) == 2, args
        err = (tmp_path / "stderr.log").read_text()
        assert expected in err and len(err.strip().splitlines()) == 1, err


def test_planted_secrets_never_reach_a_written_file(
    fork_run: ForkRun, reference: dict[str, Any], tmp_path: Path
) -> None:
    """An environment secret passed in an input and a token in a tool result: not in the store, the trace or
    the console, across a crash and a resume (the store key seals the originals, so the resume is exact)."""
    env_secret, token = "planted-env-secret-5e1d", "tok-planted-result-93af"
    env = _env(tmp_path, REVIEW_API_KEY=env_secret, AF_PLANTED_TOKEN=token,
               AGENTFLOW_STORE_KEY="test-store-key-77c1d0a9e4b2f6c8")
    args = [a if a != "question=apples" else f"question=apples {env_secret}" for a in _run_args(tmp_path)]
    assert fork_run(args, env=env, cwd=tmp_path, kill_at=40) == -9
    assert fork_run(_resume_args(tmp_path), env=env, cwd=tmp_path) == 0, (tmp_path / "stderr.log").read_text()
    assert _final(tmp_path)["status"] == "completed"
    written = [p for p in tmp_path.iterdir() if p.is_file() and p.name != "effects.log"]
    assert {"runs.db", "trace.jsonl", "stdout.log"} <= {p.name for p in written}
    for path in written:
        data = path.read_bytes()
        assert env_secret.encode() not in data and token.encode() not in data, path.name
