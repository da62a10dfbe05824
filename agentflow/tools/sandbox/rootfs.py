"""The read-only minimal root a sandboxed process sees: the interpreter, its stdlib, the shared libraries
they load (found with ``ldd``), and nothing else — no checkout, no ``/etc``, no home, no site-packages.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["INSIDE_DIR", "Rootfs", "minimal_rootfs"]

INSIDE_DIR = Path(__file__).resolve().parent / "inside"
"""The trusted helper scripts (stdlib only), mounted read-only at ``/sandbox/sbx``."""


@dataclass(frozen=True)
class Rootfs:
    """What to mount: the interpreter to run, read-only files and dirs, and dirs to hide under empty tmpfs."""

    python: str
    ro_paths: tuple[str, ...]
    hidden: tuple[str, ...]

    def bwrap_args(self) -> list[str]:
        """The bind arguments for ``bwrap`` (a symlinked library is bound from its target at its name)."""
        args: list[str] = []
        for path in self.ro_paths:
            args += ["--ro-bind", os.path.realpath(path), path]
        for path in self.hidden:
            args += ["--tmpfs", path, "--remount-ro", path]
        return args


def _ldd(paths: list[str]) -> set[str]:
    libs: set[str] = set()
    for start in range(0, len(paths), 64):
        try:
            out = subprocess.run(["ldd", *paths[start:start + 64]], capture_output=True, text=True,
                                 timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        for line in out.splitlines():
            for token in line.split():
                if token.startswith("/") and os.path.exists(token):
                    libs.add(os.path.abspath(token))  # the name the loader looks for (a soname link)
    return libs


@functools.lru_cache(maxsize=4)
def minimal_rootfs(python: str | None = None) -> Rootfs:
    """The root for ``python`` (default: this interpreter's base, outside any virtualenv)."""
    exe = os.path.realpath(python or os.path.join(sys.base_exec_prefix, "bin", Path(sys.executable).name))
    if not os.path.exists(exe):
        exe = os.path.realpath(sys.executable)
    stdlib = os.path.dirname(os.path.realpath(os.__file__))  # the base stdlib, also from a virtualenv
    platstdlib = stdlib
    dynload = os.path.join(stdlib, "lib-dynload")
    modules = [str(p) for p in Path(dynload).glob("*.so")] if os.path.isdir(dynload) else []
    libs = _ldd([exe, *modules])
    ro = sorted({exe, stdlib, platstdlib, *libs})
    ro = [p for i, p in enumerate(ro) if not any(p.startswith(q + "/") for q in ro[:i])]
    site = os.path.join(os.path.realpath(stdlib), "site-packages")
    hidden = (site,) if os.path.isdir(site) else ()
    return Rootfs(python=exe, ro_paths=tuple(ro), hidden=hidden)
