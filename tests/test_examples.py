"""Every script in examples/ runs (offline, on test backends) and prints what it promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))

# what specific examples must print (others must simply run cleanly and print something)
EXPECT = {
    "call_a_role.py": ["answer_grader: kind='verdict' ok=True", "category='process_jumping'"],
    "python_graph_workflow.py": ["completed", "ok=True", "['solver', 'judge', 'solver', 'judge']"],
    "run_pdl_workflow.py": ["completed -> ", "critic: 3 call(s)", "solver: 1 call(s)"],
}


def test_examples_exist() -> None:
    assert {p.name for p in EXAMPLES} >= set(EXPECT)


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip()
    for fragment in EXPECT.get(script.name, []):
        assert fragment in proc.stdout, f"{script.name} did not print {fragment!r}:\n{proc.stdout}"
