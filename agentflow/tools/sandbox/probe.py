"""What isolation this machine gives, and the choice between the full sandbox and an explicit weaker one.

The full sandbox needs ``bwrap`` with user namespaces, seccomp (pyseccomp + libseccomp) and a bound on
the process count (a writable cgroup, or not running as root, where ``RLIMIT_NPROC`` applies). When any
is missing the sandbox refuses, unless the weaker mode is allowed explicitly; then it warns with the list
of what is not isolated.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import warnings
from dataclasses import dataclass

from agentflow.tools.sandbox.cgroup import TreeCgroup
from agentflow.tools.sandbox.seccomp import SeccompUnavailable, bpf_program

__all__ = ["ENV_ALLOW_WEAKER", "Isolation", "SandboxUnavailable", "SandboxWeakerWarning", "choose", "probe"]

ENV_ALLOW_WEAKER = "AGENTFLOW_SANDBOX_ALLOW_WEAKER"


class SandboxUnavailable(RuntimeError):
    """The full sandbox cannot run here and the weaker mode was not allowed."""


class SandboxWeakerWarning(UserWarning):
    """Generated code runs in the weaker mode; the message lists what is not isolated."""


@dataclass(frozen=True)
class Isolation:
    """What a run gets: ``bwrap`` (path), the seccomp BPF, whether a cgroup works, and what is missing."""

    bwrap: str | None
    seccomp: bytes | None
    cgroup: bool
    missing: tuple[str, ...]

    @property
    def mode(self) -> str:
        """``bwrap`` when nothing is missing, else ``weaker``."""
        return "bwrap" if self.bwrap and not self.missing else "weaker"


def _bwrap_works(exe: str) -> bool:
    try:
        done = subprocess.run([exe, "--unshare-all", "--unshare-user", "--die-with-parent", "--ro-bind", "/", "/",
                               "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


@functools.lru_cache(maxsize=1)
def probe() -> Isolation:
    """Look once per process (the answer does not change while it runs)."""
    missing: list[str] = []
    exe = shutil.which("bwrap")
    if not exe or not _bwrap_works(exe):
        exe = None
        missing += [
            "filesystem: the code reads every file this user can (/etc/passwd, the checkout, home) and writes "
            "outside its folder; disk use is bounded per file only (RLIMIT_FSIZE), not in total",
            "processes: no PID namespace, so it sees this user's processes and reads /proc/PID/environ of "
            "same-user ones (API keys), and a wall-clock kill reaches its tree only through the cgroup",
            "network, IPC and hostname: no namespaces (sockets are blocked only by seccomp, if present)",
        ]
    try:
        bpf: bytes | None = bpf_program()
    except SeccompUnavailable as exc:
        bpf = None
        missing.append(f"system calls: no seccomp filter ({exc}): socket(), ptrace and the rest are not denied")
    group = TreeCgroup.create(8, 64 * 1024 * 1024)
    if group is not None:
        group.remove()
    elif os.geteuid() == 0:
        missing.append("process count: no writable cgroup and running as root, where RLIMIT_NPROC does not "
                       "apply, so a fork bomb is bounded only by the wall-clock kill")
    # Not root and no cgroup: RLIMIT_NPROC (set inside the user namespace) bounds the processes, and
    # RLIMIT_AS each one's memory; docs/sandbox.md says the tree's memory is then bounded by their product.
    return Isolation(bwrap=exe, seccomp=bpf, cgroup=group is not None, missing=tuple(missing))


def _env_allows() -> bool:
    return os.environ.get(ENV_ALLOW_WEAKER, "").strip().lower() in ("1", "true", "yes")


def choose(allow_weaker: bool | None) -> Isolation:
    """The isolation to run with; raises :class:`SandboxUnavailable` rather than degrade silently."""
    iso = probe()
    if iso.mode == "bwrap":
        return iso
    allowed = _env_allows() if allow_weaker is None else allow_weaker
    text = "; ".join(iso.missing)
    if not allowed:
        raise SandboxUnavailable(
            f"the code sandbox cannot isolate generated code here ({text}). Install bubblewrap and libseccomp "
            f"(bash .ci/install-sandbox.sh), or allow the weaker mode explicitly with {ENV_ALLOW_WEAKER}=1 "
            "(see docs/sandbox.md)")
    warnings.warn(SandboxWeakerWarning(f"running generated code in the WEAKER sandbox; not isolated: {text}"),
                  stacklevel=3)
    return iso
