"""`agentflow run --store URL` / `agentflow resume` end to end on every store backend (SQLite file,
PostgreSQL URL): a run SIGKILLed mid-conversation resumes to completion with each tool run once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from agentflow.store import open_store

DURABLE = Path(__file__).resolve().parent.parent / "durable"
DATA = DURABLE / "data"


def _cli(args: list[str], workdir: Path, **env: str) -> int:
    full = {k: v for k, v in os.environ.items() if not k.startswith("AF_")}
    full.update(AF_SIDE_EFFECTS=str(workdir / "effects.log"), **env)
    with (workdir / "out.log").open("a") as out:
        return subprocess.run([sys.executable, str(DURABLE / "crash_runner.py"), *args], env=full, cwd=workdir,
                              stdout=out, stderr=subprocess.STDOUT, timeout=120).returncode


def test_crash_and_resume_through_the_cli(store_url: str, tmp_path: Path) -> None:
    run = ["run", str(DATA / "flight.yaml"), "--backend", f"scripted:{DATA / 'agent.yaml'}",
           "--user", f"scripted:{DATA / 'users.yaml'}", "--tools", str(DATA / "tools.py"),
           "--store", store_url, "--run-id", "cli", "--classifier", "rules", "--quiet",
           "--trace", str(tmp_path / "trace.jsonl")]  # crash_runner kills after the 24th trace event
    assert _cli(run, tmp_path, AF_KILL_AT="24") == -signal.SIGKILL  # right after reserveFlight's result
    with open_store(store_url) as store:
        assert store.require_run("cli").status == "running"
    assert _cli(["resume", "cli", "--store", store_url], tmp_path) == 0, (tmp_path / "out.log").read_text()
    with open_store(store_url) as store:
        assert store.require_run("cli").status == "completed"
        assert [m["role"] for m in store.messages("cli")] == ["user", "agent"] * 4
        journal = store.journal("cli")
        assert [e.tool for e in journal if e.tool != "@llm"] == ["checkAvailability", "reserveFlight",
                                                                  "checkAvailability"]
        assert sum(e.tool == "@llm" for e in journal) == 7  # every agent answer recorded once
    tools = [json.loads(line)["tool"] for line in (tmp_path / "effects.log").read_text().splitlines()]
    assert tools == ["checkAvailability", "reserveFlight", "checkAvailability"]
