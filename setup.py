"""Build hook: ship the top-level ``roles/`` and ``workflows/`` folders inside the wheel.

The built-in role and workflow files live at the repository root, where users read and copy them.
An installed wheel has no repository root, so the build copies them into the package as
``agentflow/_bundled/roles`` and ``agentflow/_bundled/workflows`` (with the workflows' example
inputs); ``builtin_roles_dir()`` and ``builtin_workflows_dir()`` look there first and fall back to
the repository's folders (editable installs, checkouts). Everything else about the package is
declared in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


BUNDLED = {  # folder in the wheel -> the repository files it holds
    "roles": ("roles", "*.yaml"),
    "workflows": ("workflows", "*.pdl"),
    "workflows/examples": ("workflows/examples", "*"),
}


class BuildPyWithBundled(build_py):
    """``build_py`` that also copies the built-in roles and workflows into the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the repository's folders directly
            return
        for folder, (source_dir, pattern) in BUNDLED.items():
            target = Path(self.build_lib) / "agentflow" / "_bundled" / folder
            target.mkdir(parents=True, exist_ok=True)
            for source in sorted((ROOT / source_dir).glob(pattern)):
                if source.is_file():
                    shutil.copy2(source, target / source.name)


setup(cmdclass={"build_py": BuildPyWithBundled})
