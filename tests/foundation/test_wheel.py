"""The built wheel is self-contained: installed away from the checkout, it finds its built-in roles and workflows.

The role and workflow files live at the repository root (``roles/``, ``workflows/``); ``setup.py``
copies them into the wheel under ``agentflow/_bundled/``. This test builds a wheel from a copy of the
sources, installs it into a folder of its own and runs executed workflows from the CLI there: one
from a file, one by its built-in name with its bundled example inputs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_carries_roles_and_workflows_and_runs_them_outside_the_checkout(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for folder in ("agentflow", "roles", "workflows"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__", "_bundled"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src)],
                   check=True, capture_output=True, cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("agentflow-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    bundled = {n.rsplit("/", 1)[-1] for n in names if "/_bundled/roles/" in n}
    assert bundled == {p.name for p in (ROOT / "roles").glob("*.yaml")}
    flows = {n.rsplit("/", 1)[-1] for n in names
             if n.startswith("agentflow/_bundled/workflows/") and "/examples/" not in n}
    assert flows == {p.name for p in (ROOT / "workflows").glob("*.pdl")}
    examples = {n.rsplit("/", 1)[-1] for n in names if "/_bundled/workflows/examples/" in n}
    assert examples == {p.name for p in (ROOT / "workflows" / "examples").iterdir()}

    site = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True, capture_output=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    shutil.copy2(ROOT / "workflows" / "multi_critic.pdl", work / "multi_critic.pdl")
    env = {**os.environ, "PYTHONPATH": str(site)}
    probe = subprocess.run(
        [sys.executable, "-c", "import agentflow.roles.loader as m; print(m.__file__); print(m.builtin_roles_dir())"],
        capture_output=True, text=True, cwd=work, env=env, check=True,
    )
    module, roles_dir = probe.stdout.split()
    assert module.startswith(str(site)) and roles_dir == str(site / "agentflow" / "_bundled" / "roles")
    run = subprocess.run(
        [sys.executable, "-m", "agentflow", "run", "multi_critic.pdl", "--backend", "test", "--input", "question=q"],
        capture_output=True, text=True, cwd=work, env=env,
    )
    assert run.returncode == 0, run.stderr
    assert "status: completed" in run.stdout
    by_name = subprocess.run(
        [sys.executable, "-m", "agentflow", "run", "table_critic", "--example", "--backend", "test",
         "--input", f"tree={work / 'tree.db'}"],
        capture_output=True, text=True, cwd=work, env=env,
    )
    assert by_name.returncode == 0, by_name.stderr
    assert "status: completed" in by_name.stdout and (work / "tree.db").is_file()
