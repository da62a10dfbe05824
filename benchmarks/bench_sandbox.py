"""Cost of the code sandbox per run, against a plain subprocess and the old sandbox, in the same run.

Run: ``.venv/bin/python benchmarks/bench_sandbox.py [--rounds 20]``

Variants run interleaved, round by round, so machine load drifts equally over all of them; wall time
per run, median over rounds, and the ratio to the plain subprocess.

* ``plain``: ``python -I -S -B -c CODE`` as an asyncio subprocess (no isolation at all).
* ``old``: what ``tools/sandbox.py`` did before issue 13 (``unshare -rn`` + rlimits in ``preexec_fn``).
* ``bwrap``: :func:`agentflow.tools.sandbox.run_python` (namespaces, minimal root, seccomp, cgroup).
* ``tests plain`` / ``tests bwrap``: five asserts against a solution, in one plain process (the old
  harness's shape) vs :func:`agentflow.tools.sandbox.run_tests` (two sandboxes, values over pipes).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import shutil
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

from agentflow.tools.sandbox import probe, run_python, run_tests

CODE = "print(sum(i * i for i in range(10000)))"
SOLUTION = "def add(a, b):\n    return a + b\n"
TESTS = "".join(f"assert add({i}, 1) == {i + 1}\n" for i in range(5))
PY = [sys.executable, "-I", "-S", "-B"]


def _limits() -> None:
    for res, value in ((resource.RLIMIT_AS, 512 << 20), (resource.RLIMIT_CPU, 11), (resource.RLIMIT_NOFILE, 64)):
        resource.setrlimit(res, (value, value))


async def _proc(argv: list[str], preexec: Callable[[], None] | None = None) -> None:
    proc = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE, preexec_fn=preexec)
    _, err = await proc.communicate()
    assert proc.returncode == 0, err


async def plain() -> None:
    await _proc([*PY, "-c", CODE])


async def old() -> None:
    await _proc([shutil.which("unshare") or "unshare", "-rn", *PY, "-c", CODE], _limits)


async def bwrap() -> None:
    res = await run_python(CODE)
    assert res.ok, res.stderr


async def tests_plain() -> None:
    await _proc([*PY, "-c", f"exec({SOLUTION!r})\nexec({TESTS!r})"])


async def tests_bwrap() -> None:
    report = await run_tests(SOLUTION, TESTS)
    assert report.ok and report.passed == 5, report


async def main(rounds: int) -> None:
    variants: dict[str, Callable[[], Awaitable[None]]] = {
        "plain": plain, "old": old, "bwrap": bwrap, "tests plain": tests_plain, "tests bwrap": tests_bwrap}
    await bwrap()  # probe + ldd once, outside the timing
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            started = time.perf_counter()
            await fn()
            times[name].append(time.perf_counter() - started)
    print(f"isolation: {probe().mode}; rounds: {rounds}; wall time per run, median")
    base = statistics.median(times["plain"])
    for name, values in times.items():
        med = statistics.median(values)
        ref = base if not name.startswith("tests") else statistics.median(times["tests plain"])
        print(f"{name:12s}: {med * 1000:8.1f} ms   {med / ref:5.2f}x {'plain' if ref is base else 'tests plain'}"
              f"   ({med / base:5.2f}x plain)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    asyncio.run(main(parser.parse_args().rounds))
