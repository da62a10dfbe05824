"""The quickstart example runs and does what its docstring says."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

from agentflow.messages import Task

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "graph_quickstart.py"


async def test_quickstart_graph_converges_after_one_revision() -> None:
    ns = runpy.run_path(str(EXAMPLE), run_name="quickstart")
    app = ns["build"]().build()
    res = await app.run(Task(text="hello"))
    assert res.status == "completed"
    assert res.output is not None and res.output.text == "hello, on a typed graph."  # type: ignore[attr-defined]
    assert res.node_counts == {"draft": 1, "critic_style": 2, "critic_facts": 2, "judge": 2, "revise": 1}
    good = await app.run(Task(text="a graph."))
    assert good.steps == 4 and good.output.ok  # type: ignore[union-attr]


def test_quickstart_script_prints_its_run() -> None:
    out = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=60, check=True)
    assert "flowchart TD" in out.stdout and "status: completed steps: 8" in out.stdout
