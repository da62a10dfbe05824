"""Start one sandboxed process: ``bwrap`` with every namespace, the minimal read-only root, a size-limited
tmpfs work dir, the seccomp filter, a cgroup and rlimits; or, when explicitly allowed, the weaker mode (a
plain subprocess in a temp dir with the same rlimits, seccomp and cgroup where those exist).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agentflow.tools.sandbox.cgroup import TreeCgroup
from agentflow.tools.sandbox.limits import SandboxLimits
from agentflow.tools.sandbox.probe import Isolation
from agentflow.tools.sandbox.rootfs import INSIDE_DIR, minimal_rootfs

__all__ = ["Sandboxed", "start"]

_ENV = {"PATH": "/usr/bin:/bin", "HOME": "/work", "TMPDIR": "/work", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1"}
_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


def _boot(path: str, package: str, role: str, limits: SandboxLimits, args: list[str]) -> list[str]:
    mem = limits.memory_mb * 1024 * 1024
    rl = {"AS": mem, "CPU": limits.cpu_s if limits.cpu_s is not None else int(limits.timeout_s) + 1,
          "FSIZE": limits.max_file_mb * 1024 * 1024, "NOFILE": limits.max_open_files,
          "NPROC": limits.max_processes}
    code = f"import sys; sys.path.insert(0, {path!r}); from {package} import boot; boot.main({path!r})"
    return ["-I", "-S", "-B", "-c", code, role, ",".join(f"{k}={v}" for k, v in rl.items()), *args]


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name, 0)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


@dataclass
class Sandboxed:
    """A started sandboxed process and what to clean up after it."""

    proc: asyncio.subprocess.Process
    cgroup: TreeCgroup | None
    workdir: tempfile.TemporaryDirectory[str] | None = None
    fds: list[int] = field(default_factory=list)

    def kill(self) -> None:
        """Kill the whole tree: bwrap (its PID namespace dies with it), the cgroup, the process group."""
        # Once bwrap is reaped its PID namespace is gone; only the weaker mode may leave members in the
        # process group (which keeps the group id from being reused while they live).
        if self.proc.returncode is None or self.workdir is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
        if self.cgroup is not None:
            self.cgroup.kill()

    async def finish(self, deadline: float, stdin: bytes | None = None) -> tuple[bytes, bytes, bool]:
        """Wait until ``deadline`` (loop time), kill the tree; stdout, stderr, whether it timed out."""
        loop = asyncio.get_running_loop()
        timed_out = False
        comm = asyncio.ensure_future(self.proc.communicate(stdin))
        try:
            out, err = await asyncio.wait_for(asyncio.shield(comm), timeout=max(0.0, deadline - loop.time()))
        except TimeoutError:
            timed_out = True
            self.kill()
            try:
                out, err = await asyncio.wait_for(comm, timeout=5)
            except TimeoutError:  # a writer outside our reach holds the pipes (weaker mode only)
                out, err = b"", b"the sandboxed process tree did not exit after the kill"
        self.kill()
        self.close()
        return out, err, timed_out

    def close(self) -> None:
        """Release the cgroup, fds and temp dir."""
        if self.cgroup is not None:
            self.cgroup.kill()
            self.cgroup.remove()
            self.cgroup = None
        for fd in self.fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.fds = []
        if self.workdir is not None:
            self.workdir.cleanup()
            self.workdir = None


def _pre_exec(group: TreeCgroup | None, seccomp_in_process: bool) -> Callable[[], None]:
    def run() -> None:  # in the child between fork and exec
        if group is not None:
            group.join()
        if seccomp_in_process:
            from agentflow.tools.sandbox.seccomp import load_in_process

            load_in_process()

    return run


def _bwrap_argv(iso: Isolation, limits: SandboxLimits, files: dict[str, int], seccomp_fd: int) -> list[str]:
    root = minimal_rootfs()
    argv = [str(iso.bwrap), "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
            "--new-session", "--clearenv", "--hostname", "sandbox"]  # bwrap stays PID 1: its death kills all
    for key, value in _ENV.items():
        argv += ["--setenv", key, value]
    argv += root.bwrap_args()
    argv += ["--ro-bind", str(INSIDE_DIR), "/sandbox/sbx", "--proc", "/proc", "--size", "65536", "--tmpfs", "/dev"]
    for dev in _DEVICES:
        argv += ["--dev-bind", dev, dev]
    argv += ["--remount-ro", "/dev", "--size", str(limits.disk_mb * 1024 * 1024), "--tmpfs", "/work",
             "--symlink", "/work", "/tmp"]
    for name, fd in files.items():
        argv += ["--file", str(fd), f"/work/{name}"]
    argv += ["--chdir", "/work", "--remount-ro", "/", "--seccomp", str(seccomp_fd), root.python]
    return argv


async def start(iso: Isolation, limits: SandboxLimits, role: str, args: list[str], files: dict[str, str],
                pass_fds: tuple[int, ...] = (), *, stdin: bool = False) -> Sandboxed:
    """Start ``role`` (see ``inside/boot.py``) with ``files`` in its work dir and ``pass_fds`` open."""
    mem = limits.memory_mb * 1024 * 1024
    group = TreeCgroup.create(limits.max_processes + 2, mem * 2) if iso.cgroup else None
    std = {"stdin": asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
           "stdout": asyncio.subprocess.PIPE, "stderr": asyncio.subprocess.PIPE}
    if iso.bwrap and iso.seccomp is not None:
        fds = {name: _memfd(name, text.encode("utf-8")) for name, text in files.items()}
        seccomp_fd = _memfd("seccomp", iso.seccomp)
        argv = _bwrap_argv(iso, limits, fds, seccomp_fd)
        exe, rest = argv[0], argv[1:] + _boot("/sandbox", "sbx", role, limits, args)
        keep = (*fds.values(), seccomp_fd, *pass_fds)
        proc = await asyncio.create_subprocess_exec(
            exe, *rest, env=dict(_ENV), pass_fds=keep, start_new_session=True,
            preexec_fn=_pre_exec(group, False), **std)  # type: ignore[arg-type]
        return Sandboxed(proc, group, None, [*fds.values(), seccomp_fd])
    work = tempfile.TemporaryDirectory(prefix="agentflow-sbx-")
    for name, text in files.items():
        Path(work.name, name).write_text(text, encoding="utf-8")
    env = {**_ENV, "HOME": work.name, "TMPDIR": work.name}
    python = os.path.realpath(sys.executable)
    proc = await asyncio.create_subprocess_exec(
        python, *_boot(str(INSIDE_DIR.parent), INSIDE_DIR.name, role, limits, args), cwd=work.name, env=env,
        pass_fds=pass_fds, start_new_session=True, preexec_fn=_pre_exec(group, iso.seccomp is not None),
        **std)  # type: ignore[arg-type]
    return Sandboxed(proc, group, work)
