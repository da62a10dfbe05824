"""A cgroup for one sandboxed process tree: ``pids.max`` and a memory limit for all of it, and a kill
that reaches every process in it. cgroup v2 (a writable delegated subtree) or v1 (``pids`` and
``memory`` hierarchies); ``None`` when neither is writable here.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

__all__ = ["TreeCgroup"]

_ROOT = Path("/sys/fs/cgroup")


def _own_paths() -> dict[str, str]:
    """Controller (``""`` for v2) -> this process's cgroup path, from ``/proc/self/cgroup``."""
    found: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for name in controllers.split(",") if controllers else [""]:
                found[name] = path
    return found


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
    except OSError:
        return False
    return True


class TreeCgroup:
    """The cgroup dirs (one for v2, one per controller for v1) of one sandboxed tree."""

    def __init__(self, dirs: list[Path]) -> None:
        self.dirs = dirs

    @classmethod
    def create(cls, max_processes: int, memory_bytes: int) -> TreeCgroup | None:
        """A fresh cgroup with the limits set, or ``None`` when this machine gives none to this user."""
        name = f"agentflow-sbx-{os.getpid()}-{os.urandom(4).hex()}"
        own = _own_paths()
        unified = _ROOT / "unified" if (_ROOT / "unified" / "cgroup.controllers").exists() else _ROOT
        if "" in own and (unified / "cgroup.controllers").exists():
            v2 = unified / own[""].lstrip("/") / name
            with contextlib.suppress(OSError):
                v2.mkdir()
                if (v2 / "pids.max").exists() and _write(v2 / "pids.max", str(max_processes)):
                    if (v2 / "memory.max").exists():
                        _write(v2 / "memory.max", str(memory_bytes))
                        _write(v2 / "memory.swap.max", "0")
                    return cls([v2])
                v2.rmdir()
        dirs: list[Path] = []
        for controller, files in (("pids", {"pids.max": max_processes}),
                                  ("memory", {"memory.limit_in_bytes": memory_bytes})):
            if controller not in own:
                continue
            path = _ROOT / controller / own[controller].lstrip("/") / name
            try:
                path.mkdir()
            except OSError:
                continue
            if all(_write(path / f, str(v)) for f, v in files.items()):
                dirs.append(path)
            else:
                with contextlib.suppress(OSError):
                    path.rmdir()
        if not any(d.parts[len(_ROOT.parts)] == "pids" for d in dirs):
            cls(dirs).remove()
            return None
        return cls(dirs)

    def join(self) -> None:
        """Move the calling process in (the pre-exec hook: its children are born inside)."""
        for d in self.dirs:
            fd = os.open(d / "cgroup.procs", os.O_WRONLY)
            try:
                os.write(fd, b"0")
            finally:
                os.close(fd)

    def kill(self) -> None:
        """SIGKILL every process in the cgroup."""
        for d in self.dirs:
            if (d / "cgroup.kill").exists() and _write(d / "cgroup.kill", "1"):
                continue
            for _ in range(20):  # a fork in flight may add one; repeat until empty
                try:
                    pids = [int(p) for p in (d / "cgroup.procs").read_text().split()]
                except OSError:
                    break
                if not pids:
                    break
                for pid in pids:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                time.sleep(0.005)

    def remove(self) -> None:
        """Remove the (emptied) cgroup dirs."""
        for d in self.dirs:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
