"""`agentflow resume` mistakes are one-line user errors (exit 2) that name the fix."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
ForkRun = Callable[..., int]  # the `fork_run` fixture (conftest.py)


def _err(workdir: Path) -> str:
    return (workdir / "stderr.log").read_text().strip().splitlines()[-1]


def test_resume_mistakes(fork_run: ForkRun, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AF_")}
    env["AF_SIDE_EFFECTS"] = str(tmp_path / "effects.log")
    db = str(tmp_path / "runs.db")
    assert fork_run(["resume", "r", "--store", db], env=env, cwd=tmp_path) == 2
    assert "not found" in _err(tmp_path) and not Path(db).exists()
    run = ["run", str(DATA / "flight.yaml"), "--backend", f"scripted:{DATA / 'agent.yaml'}", "--user",
           f"scripted:{DATA / 'users.yaml'}", "--tools", str(DATA / "tools.py"), "--store", db, "--run-id", "r",
           "--classifier", "rules", "--quiet"]
    assert fork_run(run, env=env, cwd=tmp_path) == 0
    assert fork_run(["resume", "typo", "--store", db], env=env, cwd=tmp_path) == 2
    assert "no run 'typo'" in _err(tmp_path)
    assert fork_run(["resume", "r", "--store", db], env=env, cwd=tmp_path) == 2
    assert "already completed" in _err(tmp_path) and "another --run-id" in _err(tmp_path)
    assert fork_run(run, env=env, cwd=tmp_path) == 2  # the same --run-id twice
    assert "already exists" in _err(tmp_path) and "agentflow resume r" in _err(tmp_path)
    assert "Traceback" not in (tmp_path / "stderr.log").read_text()
