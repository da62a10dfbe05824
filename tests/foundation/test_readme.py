"""README.md stays true: its Python snippets run, and its main-job command works as written."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


RUNNABLE = [b for b in _blocks("python") if "await " not in b]  # top-level await needs a user's loop


@pytest.mark.parametrize("code", RUNNABLE, ids=[f"python-{i}" for i in range(len(RUNNABLE))])
def test_python_snippets_run(code: str, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip(), "each snippet prints what it shows"


def test_main_job_command_runs_as_written(tmp_path: Path) -> None:
    setup = _blocks("bash")[0].strip()
    command = setup.split("&&")[-1].strip()  # the part after installing: `.venv/bin/agentflow run ...`
    argv = shlex.split(command)
    assert argv[0].endswith("agentflow") and argv[1] == "run"
    argv = [a.replace("trace.jsonl", str(tmp_path / "trace.jsonl")) for a in argv]
    proc = subprocess.run([sys.executable, "-m", "agentflow", *argv[1:]], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "1 blocked call" in proc.stdout and "status completed" in proc.stdout
    calls = [json.loads(line) for line in (tmp_path / "trace.jsonl").read_text().splitlines()]
    tool_calls = [(c["name"], c["status"]) for c in calls if c["type"] == "tool_call"]
    assert tool_calls == [("reserveFlight", "blocked"), ("checkAvailability", "executed"),
                          ("reserveFlight", "executed")]
    blocked = next(c for c in calls if c["type"] == "tool_call" and c["status"] == "blocked")
    assert blocked["controller"] == "precondition" and "checkAvailability" in blocked["reason"]
