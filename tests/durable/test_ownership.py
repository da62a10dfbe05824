"""One process drives a run at a time: resume refuses a run whose recorded process is alive."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

from agentflow.store import open_store

DATA = Path(__file__).resolve().parent / "data"
ForkRun = Callable[..., int]  # the `fork_run` fixture (conftest.py)


def test_resume_refuses_a_live_driver_unless_forced(fork_run: ForkRun, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AF_")}
    env["AF_SIDE_EFFECTS"] = str(tmp_path / "effects.log")
    run = ["run", str(DATA / "flight.yaml"), "--backend", f"scripted:{DATA / 'agent.yaml'}",
           "--user", f"scripted:{DATA / 'users.yaml'}", "--tools", str(DATA / "tools.py"), "--trace",
           str(tmp_path / "t.jsonl"), "--store", str(tmp_path / "runs.db"), "--run-id", "o", "--classifier", "rules"]
    assert fork_run(run, env=env, cwd=tmp_path, kill_at=12) == -signal.SIGKILL
    with open_store(tmp_path / "runs.db") as store:
        record = store.require_run("o")
        assert record.status == "running" and record.owner and record.owner.startswith(socket.gethostname())
    alive = subprocess.Popen(["sleep", "60"])
    try:
        with open_store(tmp_path / "runs.db") as store:  # pretend that live process drives the run
            store.claim_run("o", f"{socket.gethostname()}:{alive.pid}")
        resume = ["resume", "o", "--store", str(tmp_path / "runs.db")]
        assert fork_run(resume, env=env, cwd=tmp_path) == 2
        assert f"still being driven by process {alive.pid}" in (tmp_path / "stderr.log").read_text()
        assert fork_run([*resume, "--force"], env=env, cwd=tmp_path) == 0
    finally:
        alive.kill()
        alive.wait()
    with open_store(tmp_path / "runs.db") as store:
        record = store.require_run("o")
        assert record.status == "completed" and record.owner is None
