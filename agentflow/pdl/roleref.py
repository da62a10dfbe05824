"""Which role names a PDL file may call: built-in roles, ``roles/`` folders near the file, ``ROLEs``.

``ROLE.x(...)`` is checked against these names by :func:`agentflow.pdl.check` (``known_roles``), so a
misspelt role is a compile-time error with a "did you mean" hint instead of a run-time failure.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

__all__ = ["known_role_names"]


def _stems(folder: Path) -> set[str]:
    if not folder.is_dir():
        return set()
    return {p.stem for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()}


def known_role_names(pdl_path: str | Path, extra_dirs: Iterable[str | Path] = ()) -> set[str]:
    """Role names from the built-in folder, ``roles/`` beside the file and its parents, and ``extra_dirs``."""
    names: set[str] = set()
    try:
        from agentflow.roles.loader import builtin_roles_dir

        names |= _stems(builtin_roles_dir())
    except ImportError:  # the roles package is optional for parsing
        pass
    here = Path(pdl_path).resolve().parent
    for folder in (here, *list(here.parents)[:2]):
        names |= _stems(folder / "roles")
    for extra in extra_dirs:
        names |= _stems(Path(extra))
    return names
