"""The sandbox's value types: the limits of one run, what a run did, and a test report."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["SandboxLimits", "SandboxResult", "TestReport"]


@dataclass(frozen=True)
class SandboxLimits:
    """Limits of one sandboxed run (each applies to the whole process tree unless it says otherwise)."""

    timeout_s: float = 10.0
    """Wall clock; past it the whole tree is killed (PID namespace and cgroup)."""
    memory_mb: int = 512
    """Address space per process (``RLIMIT_AS``) and, with a cgroup, memory of the whole tree."""
    cpu_s: int | None = None
    """CPU seconds per process (default: the timeout rounded up)."""
    max_output_chars: int = 64_000
    max_file_mb: int = 16
    """Largest single file (``RLIMIT_FSIZE``)."""
    disk_mb: int = 32
    """Size of the private tmpfs work dir: all files together."""
    max_processes: int = 16
    """Processes and threads of the tree (cgroup ``pids.max``; ``RLIMIT_NPROC`` in the user namespace)."""
    max_open_files: int = 64
    allow_weaker: bool | None = None
    """Run without namespaces when bubblewrap cannot; ``None``: env ``AGENTFLOW_SANDBOX_ALLOW_WEAKER=1``."""


@dataclass(frozen=True)
class SandboxResult:
    """What a sandboxed run did."""

    returncode: int
    stdout: str
    stderr: str
    duration_s: float
    timed_out: bool = False
    isolation: str = ""
    """``bwrap`` (namespaces, seccomp, rlimits) or ``weaker`` (explicitly allowed; see docs/sandbox.md)."""

    @property
    def ok(self) -> bool:
        """Exited 0 within the time limit."""
        return self.returncode == 0 and not self.timed_out


@dataclass(frozen=True)
class TestReport:
    """Outcome of running assert-style tests against code in the sandbox."""

    __test__ = False  # not a pytest class

    passed: int
    failed: int
    failures: list[str] = field(default_factory=list)
    error: str = ""
    timed_out: bool = False
    stderr: str = ""

    @property
    def ok(self) -> bool:
        """All tests ran and passed (and there was at least one)."""
        return self.failed == 0 and self.passed > 0 and not self.error and not self.timed_out

    def summary(self) -> str:
        """A short text for a model: counts, then the failures."""
        if self.timed_out:
            return "the tests timed out (infinite loop or too slow)"
        head = f"{self.passed} passed, {self.failed} failed"
        lines = [head, *self.failures[:10]]
        if self.error:
            lines.append(f"error: {self.error}")
        return "\n".join(lines)
