"""Build hook: ship the top-level ``roles/`` folder inside the wheel as ``agentflow/_bundled/roles``.

The built-in role files live at the repository root, where users read and copy them. An installed
wheel has no repository root, so the build copies them into the package; ``builtin_roles_dir()``
looks there first and falls back to the repository's ``roles/`` (editable installs, checkouts).
Everything else about the package is declared in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPyWithRoles(build_py):
    """``build_py`` that also copies ``roles/*.yaml`` into the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the repository's roles/ directly
            return
        target = Path(self.build_lib) / "agentflow" / "_bundled" / "roles"
        target.mkdir(parents=True, exist_ok=True)
        for source in sorted((ROOT / "roles").glob("*.yaml")):
            shutil.copy2(source, target / source.name)


setup(cmdclass={"build_py": BuildPyWithRoles})
