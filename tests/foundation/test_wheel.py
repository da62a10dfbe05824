"""The built wheel is self-contained: installed away from the checkout, it finds its built-in roles.

The role files live at the repository root (``roles/``); ``setup.py`` copies them into the wheel as
``agentflow/_bundled/roles``. This test builds a wheel from a copy of the sources, installs it into a
folder of its own and runs an executed workflow (whose roles are all built-ins) from the CLI there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_carries_the_roles_and_runs_a_workflow_outside_the_checkout(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for folder in ("agentflow", "roles"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__", "_bundled"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src)],
                   check=True, capture_output=True, cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("agentflow-*.whl")
    bundled = {n.rsplit("/", 1)[-1] for n in zipfile.ZipFile(wheel).namelist() if "/_bundled/roles/" in n}
    assert bundled == {p.name for p in (ROOT / "roles").glob("*.yaml")}

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
