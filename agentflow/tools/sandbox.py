"""Run untrusted, model-written Python in a subprocess sandbox.

Generated code never runs in our process. Each run gets:

* a fresh temporary directory as its working directory (deleted afterwards) and a stripped
  environment (no API keys, no ``PYTHONPATH``);
* an isolated interpreter (``python -I -S -B``: no user site, no ``site``, no bytecode writes);
* resource limits (``setrlimit``): address space (memory), CPU seconds, file size, open files, and
  no new processes; plus a wall-clock timeout that kills the whole process group;
* no network: a new, empty network namespace (``unshare -rn``) when the kernel allows it, otherwise a
  boot shim that replaces the socket API before the code runs (best effort; ``network`` in the result
  says which one applied).

Linux/macOS only (``resource`` is POSIX).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = ["SandboxLimits", "SandboxResult", "TestReport", "run_python", "run_python_sync", "run_tests"]

_BOOT = r'''
import sys
def _blocked(*a, **k):
    raise OSError(101, "network access is disabled in the agentflow sandbox")
import socket as _s, _socket
for _name in ("socket", "create_connection", "create_server", "socketpair", "fromfd", "getaddrinfo"):
    setattr(_s, _name, _blocked)
_socket.socket = _blocked
_socket.getaddrinfo = _blocked
del _s, _socket, _name
'''

_HARNESS = r'''
import ast, json, sys, traceback
ns = {"__name__": "__main__"}
src = open("solution.py", encoding="utf-8").read()
tests = open("tests.py", encoding="utf-8").read()
report = {"passed": 0, "failed": 0, "failures": [], "error": ""}
try:
    exec(compile(src, "solution.py", "exec"), ns)
    tree = ast.parse(tests, "tests.py")
except BaseException as exc:
    report["error"] = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    tree = None
if tree is not None:
    for stmt in tree.body:
        code = compile(ast.Module(body=[stmt], type_ignores=[]), "tests.py", "exec")
        line = ast.get_source_segment(tests, stmt) or ""
        try:
            exec(code, ns)
        except BaseException as exc:
            if isinstance(stmt, ast.Assert):
                report["failed"] += 1
                msg = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                report["failures"].append(f"line {stmt.lineno}: {line.strip()[:200]} -> {msg[:300]}")
            else:
                report["error"] = f"line {stmt.lineno}: " + "".join(
                    traceback.format_exception_only(type(exc), exc)).strip()
                break
        else:
            if isinstance(stmt, ast.Assert):
                report["passed"] += 1
sys.stdout.write("\n" + MARKER + json.dumps(report) + "\n")
'''


@dataclass(frozen=True)
class SandboxLimits:
    """Limits of one sandboxed run."""

    timeout_s: float = 10.0
    memory_mb: int = 512
    cpu_s: int | None = None
    """CPU seconds (default: the timeout rounded up)."""
    max_output_chars: int = 64_000
    max_file_mb: int = 16
    network: Literal["auto", "namespace", "shim"] = "auto"


@dataclass(frozen=True)
class SandboxResult:
    """What a sandboxed run did."""

    returncode: int
    stdout: str
    stderr: str
    duration_s: float
    timed_out: bool = False
    network: str = ""
    """How the network was cut: ``namespace`` or ``shim``."""

    @property
    def ok(self) -> bool:
        """Exited 0 within the time limit."""
        return self.returncode == 0 and not self.timed_out


@dataclass(frozen=True)
class TestReport:
    """Outcome of running assert-style tests against code in the sandbox."""

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


_NAMESPACE_OK: dict[str, bool] = {}


def _namespace_available() -> bool:
    """Whether ``unshare -rn`` works here (checked once per process; the answer cannot change)."""
    if "ok" not in _NAMESPACE_OK:
        exe = shutil.which("unshare")
        ok = False
        if exe and sys.platform.startswith("linux"):
            try:
                ok = subprocess.run([exe, "-rn", "true"], capture_output=True, timeout=5).returncode == 0
            except (OSError, subprocess.SubprocessError):
                ok = False
        _NAMESPACE_OK["ok"] = ok
    return _NAMESPACE_OK["ok"]


def _limiter(limits: SandboxLimits) -> object:
    def apply() -> None:  # runs in the child between fork and exec
        import resource

        mem = limits.memory_mb * 1024 * 1024
        cpu = limits.cpu_s if limits.cpu_s is not None else int(limits.timeout_s) + 1
        for res, value in ((resource.RLIMIT_AS, mem), (resource.RLIMIT_CPU, cpu),
                           (resource.RLIMIT_FSIZE, limits.max_file_mb * 1024 * 1024),
                           (resource.RLIMIT_NOFILE, 64), (resource.RLIMIT_CORE, 0)):
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(res, (value, value))

    return apply


def _command(script: str, limits: SandboxLimits) -> tuple[list[str], str]:
    python = [sys.executable, "-I", "-S", "-B"]
    use_ns = limits.network == "namespace" or (limits.network == "auto" and _namespace_available())
    if use_ns:
        return [shutil.which("unshare") or "unshare", "-rn", *python, script], "namespace"
    return [*python, "boot.py", script], "shim"


async def _run(workdir: Path, script: str, limits: SandboxLimits, stdin: str) -> SandboxResult:
    (workdir / "boot.py").write_text(_BOOT + f"\nimport runpy\nrunpy.run_path({script!r}, run_name='__main__')\n")
    argv, network = _command(script, limits)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(workdir), "TMPDIR": str(workdir), "LANG": "C.UTF-8",
           "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *argv, cwd=workdir, env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, preexec_fn=_limiter(limits),  # type: ignore[arg-type]
        start_new_session=True,
    )
    timed_out = False
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), timeout=limits.timeout_s)
    except TimeoutError:
        timed_out = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = await proc.communicate()
    cap = limits.max_output_chars
    return SandboxResult(
        returncode=proc.returncode if proc.returncode is not None else -9,
        stdout=out.decode("utf-8", "replace")[:cap], stderr=err.decode("utf-8", "replace")[-cap:],
        duration_s=time.perf_counter() - started, timed_out=timed_out, network=network,
    )


async def run_python(code: str, *, limits: SandboxLimits | None = None, stdin: str = "") -> SandboxResult:
    """Run ``code`` as a script in the sandbox and return its exit status and output."""
    lim = limits or SandboxLimits()
    with tempfile.TemporaryDirectory(prefix="agentflow-sbx-") as tmp:
        work = Path(tmp)
        (work / "main.py").write_text(code, encoding="utf-8")
        result = await _run(work, "main.py", lim, stdin)
    return result


def run_python_sync(code: str, *, limits: SandboxLimits | None = None, stdin: str = "") -> SandboxResult:
    """:func:`run_python` for synchronous code."""
    return asyncio.run(run_python(code, limits=limits, stdin=stdin))


async def run_tests(code: str, tests: str, *, limits: SandboxLimits | None = None) -> TestReport:
    """Run assert-style ``tests`` against ``code`` in the sandbox; each top-level assert is one test."""
    lim = limits or SandboxLimits()
    marker = f"@@agentflow-report-{os.urandom(8).hex()}@@"
    with tempfile.TemporaryDirectory(prefix="agentflow-sbx-") as tmp:
        work = Path(tmp)
        (work / "solution.py").write_text(code, encoding="utf-8")
        (work / "tests.py").write_text(tests, encoding="utf-8")
        (work / "harness.py").write_text(f"MARKER = {marker!r}\n" + _HARNESS, encoding="utf-8")
        result = await _run(work, "harness.py", lim, "")
    if result.timed_out:
        return TestReport(passed=0, failed=0, timed_out=True, stderr=result.stderr)
    _, found, tail = result.stdout.rpartition(marker)
    if not found:
        why = result.stderr.strip().splitlines()[-1:] or [f"exit status {result.returncode}"]
        return TestReport(passed=0, failed=0, error=f"the test run crashed: {why[0]}", stderr=result.stderr)
    data = json.loads(tail.strip().splitlines()[0])
    return TestReport(passed=int(data["passed"]), failed=int(data["failed"]), failures=list(data["failures"]),
                      error=str(data["error"]), stderr=result.stderr)
