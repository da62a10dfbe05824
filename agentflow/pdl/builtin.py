"""The built-in workflows by name: ``agentflow run multi_critic`` works from an installed wheel.

The workflow files live at the repository root (``workflows/*.pdl``), where users read and copy them.
A wheel has no repository root, so the build copies them into ``agentflow/_bundled/workflows`` (see
``setup.py``) with their example inputs; this module finds them there, or in the checkout for an
editable install. A path that exists always wins over a built-in of the same name.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["builtin_workflow", "builtin_workflow_names", "builtin_workflows_dir", "resolve_workflow_path"]


def builtin_workflows_dir() -> Path:
    """The folder of built-in workflow files (the wheel's bundled copy, else the checkout's)."""
    here = Path(__file__).resolve()
    bundled = here.parents[1] / "_bundled" / "workflows"
    return bundled if bundled.is_dir() else here.parents[2] / "workflows"


def builtin_workflow_names() -> list[str]:
    """The built-in workflows' names, sorted (``multi_critic``, ``plan_act``...)."""
    folder = builtin_workflows_dir()
    return sorted(p.stem for p in folder.glob("*.pdl")) if folder.is_dir() else []


def builtin_workflow(name: str) -> Path | None:
    """The file of built-in workflow ``name`` (``multi_critic`` or ``multi_critic.pdl``), if there is one."""
    stem = name[: -len(".pdl")] if name.endswith(".pdl") else name
    if not stem or "/" in stem or "\\" in stem or stem.startswith("."):
        return None
    candidate = builtin_workflows_dir() / f"{stem}.pdl"
    return candidate if candidate.is_file() else None


def resolve_workflow_path(path: str | Path) -> Path:
    """``path`` itself when it exists or is not a bare built-in name; else the built-in it names."""
    given = Path(path)
    if given.exists():
        return given
    found = builtin_workflow(str(path))
    return found if found is not None else given
