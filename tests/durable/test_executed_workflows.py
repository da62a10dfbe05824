"""Durable runs of the shipped executed workflows, killed at sampled points and resumed.

``table_critic`` has a judge/critic/refiner/curator loop and built-in tools with side effects on a
SQLite template tree (``template_add`` files a lesson, ``record_episode`` counts the run): a repeated
call would show as an extra lesson or episode. ``multi_critic`` fans out to three critics at once.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agentflow.events import read_trace
from agentflow.store import open_store

ForkRun = Callable[..., int]  # the `fork_run` fixture (conftest.py)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "workflows" / "examples"
RUN_ID = "wf-1"


def _args(workdir: Path, name: str) -> list[str]:
    common = ["--store", str(workdir / "runs.db"), "--run-id", RUN_ID, "--trace", str(workdir / "trace.jsonl"),
              "--backend", "test"]
    if name == "table_critic":
        judge = workdir / "judge.yaml"
        judge.write_text("- say: '{\"ok\": false, \"score\": 0.2, \"reason\": \"wrong row\"}'\n"
                         "- say: '{\"ok\": true, \"score\": 0.9, \"reason\": \"fine\"}'\n")
        return ["run", str(ROOT / "workflows" / "table_critic.pdl"), *common, "--backend", f"judge=scripted:{judge}",
                "--input", f"question=@{EXAMPLES / 'table_critic.question.txt'}",
                "--input", f"table=@{EXAMPLES / 'table_critic.table.md'}", "--input", "tree=tree.db"]
    return ["run", str(ROOT / "workflows" / "multi_critic.pdl"), *common, "--input", "question=What is 6*7?",
            "--input", f"context=@{EXAMPLES / 'multi_critic.context.md'}"]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("AF_")}


def _final(workdir: Path) -> dict[str, Any]:
    with open_store(workdir / "runs.db") as store:
        checkpoint = store.load_checkpoint(RUN_ID)
        assert checkpoint is not None
        out: dict[str, Any] = {"status": store.require_run(RUN_ID).status,
                               "outputs": checkpoint.state["state"]["outputs"]}
    tree = workdir / "tree.db"
    if tree.exists():
        with sqlite3.connect(tree) as db:
            out["lessons"] = db.execute("select count(*) from lessons").fetchone()[0]
            out["episodes"] = db.execute("select count(*) from episodes").fetchone()[0]
    return out


@pytest.mark.parametrize(("name", "every"), [("table_critic", 3), ("multi_critic", 4)])
def test_shipped_workflow_killed_and_resumed(fork_run: ForkRun, tmp_path: Path, name: str, every: int) -> None:
    ref = tmp_path / "reference"
    ref.mkdir()
    assert fork_run(_args(ref, name), env=_env(), cwd=ref) == 0, (ref / "stderr.log").read_text()
    reference = _final(ref)
    assert reference["status"] == "completed"
    if name == "table_critic":
        assert reference["lessons"] == 1 and reference["episodes"] == 1
    events = len(list(read_trace(ref / "trace.jsonl")))
    for k in range(1, events + 1, every):
        workdir = tmp_path / f"k{k}"
        workdir.mkdir()
        assert fork_run(_args(workdir, name), env=_env(), cwd=workdir, kill_at=k) == -9
        resume = ["resume", RUN_ID, "--store", str(workdir / "runs.db")]
        assert fork_run(resume, env=_env(), cwd=workdir) == 0, (workdir / "stderr.log").read_text()
        assert _final(workdir) == reference, f"{name}: kill after event {k}"
