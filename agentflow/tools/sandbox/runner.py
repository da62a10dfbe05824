"""Run generated code in the sandbox: a script (:func:`run_python`) or assert tests against a solution
(:func:`run_tests`, two sandboxes: the solution in one, the test harness in another, joined by pipes; the
report comes from the harness over a pipe the solution never holds).
"""

from __future__ import annotations

import asyncio
import json
import os
import time

from agentflow.tools.sandbox.launch import start
from agentflow.tools.sandbox.limits import SandboxLimits, SandboxResult, TestReport
from agentflow.tools.sandbox.probe import choose

__all__ = ["run_python", "run_python_sync", "run_tests"]


def _text(raw: bytes, cap: int, tail: bool = False) -> str:
    text = raw.decode("utf-8", "replace")
    return text[-cap:] if tail else text[:cap]


async def run_python(code: str, *, limits: SandboxLimits | None = None, stdin: str = "") -> SandboxResult:
    """Run ``code`` as a script in the sandbox and return its exit status and output.

    Raises :class:`~agentflow.tools.sandbox.probe.SandboxUnavailable` when the full sandbox cannot run
    here and the weaker mode was not allowed.
    """
    lim = limits or SandboxLimits()
    iso = choose(lim.allow_weaker)
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    deadline = loop.time() + lim.timeout_s
    box = await start(iso, lim, "script", ["main.py"], {"main.py": code}, stdin=True)
    out, err, timed_out = await box.finish(deadline, stdin.encode())
    code_ = box.proc.returncode
    return SandboxResult(returncode=code_ if code_ is not None and not timed_out else -9,
                         stdout=_text(out, lim.max_output_chars), stderr=_text(err, lim.max_output_chars, True),
                         duration_s=time.perf_counter() - started, timed_out=timed_out, isolation=iso.mode)


def run_python_sync(code: str, *, limits: SandboxLimits | None = None, stdin: str = "") -> SandboxResult:
    """:func:`run_python` for synchronous code."""
    return asyncio.run(run_python(code, limits=limits, stdin=stdin))


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


async def run_tests(code: str, tests: str, *, limits: SandboxLimits | None = None) -> TestReport:
    """Run assert-style ``tests`` against ``code``; each top-level assert is one test.

    The solution's top-level names reach the tests as proxies (``add(1, 2)`` runs in the solution's
    sandbox, the result comes back by value); ``from solution import add`` works too.
    """
    lim = limits or SandboxLimits()
    iso = choose(lim.allow_weaker)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + lim.timeout_s
    to_sol_r, to_sol_w = os.pipe()
    to_har_r, to_har_w = os.pipe()
    report_r, report_w = os.pipe()
    try:
        solution = await start(iso, lim, "serve", ["solution.py", str(to_sol_r), str(to_har_w)],
                               {"solution.py": code}, (to_sol_r, to_har_w))
        try:
            harness = await start(iso, lim, "harness", ["tests.py", str(to_har_r), str(to_sol_w), str(report_w)],
                                  {"tests.py": tests}, (to_har_r, to_sol_w, report_w))
        except BaseException:
            solution.kill()
            solution.close()
            raise
    finally:
        for fd in (to_sol_r, to_sol_w, to_har_r, to_har_w, report_w):
            os.close(fd)
    try:
        _, h_err, timed_out = await harness.finish(deadline)
        solution.kill()
        _, s_err, _ = await solution.finish(loop.time())
        raw = await loop.run_in_executor(None, _read_all, report_r)
    finally:
        os.close(report_r)
    stderr = _text(s_err + h_err, lim.max_output_chars, True)
    if timed_out:
        return TestReport(passed=0, failed=0, timed_out=True, stderr=stderr)
    try:
        data = json.loads(raw)
    except ValueError:
        why = h_err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no report"]
        return TestReport(passed=0, failed=0, error=f"the test harness crashed: {why[0]}", stderr=stderr)
    return TestReport(passed=int(data["passed"]), failed=int(data["failed"]),
                      failures=[str(f) for f in data["failures"]], error=str(data["error"]), stderr=stderr)
