"""The code sandbox's ordinary job: run code, report asserts, limits, refuse rather than degrade."""

from __future__ import annotations

import importlib

import pytest

from agentflow.tools import sandbox as sbx
from agentflow.tools.sandbox import SandboxLimits, run_python, run_tests

probe_mod = importlib.import_module("agentflow.tools.sandbox.probe")  # the package re-exports probe()


def test_this_machine_gets_the_full_sandbox() -> None:
    iso = sbx.probe()
    assert iso.mode == "bwrap", f"install bubblewrap + libseccomp (bash .ci/install-sandbox.sh): {iso.missing}"


async def test_runs_code_with_stdin_and_exit_status() -> None:
    ok = await run_python("import sys\nprint(6 * int(sys.stdin.read()))", stdin="7")
    assert ok.ok and ok.stdout.strip() == "42" and ok.isolation == "bwrap"
    bad = await run_python("raise SystemExit(3)")
    assert bad.returncode == 3 and not bad.ok


async def test_time_limit_kills_runaway_code() -> None:
    res = await run_python("while True:\n    pass", limits=SandboxLimits(timeout_s=1))
    assert res.timed_out and not res.ok


async def test_environment_is_clean_and_cwd_is_private(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-basics")
    res = await run_python("import os, json; print(json.dumps([dict(os.environ), os.getcwd()]))")
    assert "sk-secret-basics" not in res.stdout and '"/work"]' in res.stdout


async def test_run_tests_counts_each_assert() -> None:
    report = await run_tests("def add(a, b):\n    return a + b\n",
                             "assert add(1, 2) == 3\nassert add(1, 1) == 3\nassert add(0, 0) == 0\n")
    assert (report.passed, report.failed) == (2, 1)
    assert "add(1, 1) == 3" in report.failures[0]
    assert not report.ok and "2 passed, 1 failed" in report.summary()


async def test_run_tests_reports_broken_code_and_timeouts() -> None:
    broken = await run_tests("def add(a, b) return", "assert add(1, 2) == 3")
    assert "SyntaxError" in broken.error and not broken.ok
    slow = await run_tests("def f():\n    while True: pass\n", "assert f()", limits=SandboxLimits(timeout_s=1))
    assert slow.timed_out and "timed out" in slow.summary()


async def test_legitimate_code_passes_classes_generators_exceptions() -> None:
    code = '''
import collections, math
class Stack:
    def __init__(self): self.items = []
    def push(self, x): self.items.append(x)
    def pop(self):
        if not self.items: raise IndexError("empty")
        return self.items.pop()
    def __len__(self): return len(self.items)
def squares(n):
    for i in range(n): yield i * i
def stats(xs): return {"mean": sum(xs) / len(xs), "n": len(xs), "c": collections.Counter(xs)}
def root(x): return math.sqrt(x)
def pair(): return (1, [2, {3}], b"x", None, 1.5)
'''
    tests = '''
s = Stack()
s.push(1)
s.push(2)
assert len(s) == 2
assert s.pop() == 2
assert list(squares(4)) == [0, 1, 4, 9]
assert stats([1, 1, 2])["c"] == {1: 2, 2: 1}
assert abs(root(2) - 1.41421356) < 1e-6
assert pair() == (1, [2, {3}], b"x", None, 1.5)
try:
    Stack().pop()
    raised = False
except IndexError:
    raised = True
assert raised
from solution import squares as sq
assert sum(sq(3)) == 5
assert isinstance(s.items, list) and s.items == [1]
'''
    report = await run_tests(code, tests)
    assert report.ok and (report.passed, report.failed) == (9, 0), report.summary()


def _weaker(monkeypatch: pytest.MonkeyPatch) -> None:
    real = sbx.probe()
    fake = sbx.Isolation(bwrap=None, seccomp=real.seccomp, cgroup=real.cgroup,
                         missing=("filesystem: test says so",))
    monkeypatch.setattr(probe_mod, "probe", lambda: fake)


async def test_no_silent_weaker_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    _weaker(monkeypatch)
    monkeypatch.delenv(sbx.ENV_ALLOW_WEAKER, raising=False)
    with pytest.raises(sbx.SandboxUnavailable, match=r"filesystem: test says so.*install-sandbox\.sh"):
        await run_python("print(1)")
    with pytest.raises(sbx.SandboxUnavailable):
        await run_tests("x = 1", "assert x == 1")


async def test_weaker_mode_only_when_asked_and_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    _weaker(monkeypatch)
    with pytest.warns(sbx.SandboxWeakerWarning, match="not isolated: filesystem: test says so"):
        res = await run_python("print(6 * 7)", limits=SandboxLimits(allow_weaker=True))
    assert res.stdout.strip() == "42" and res.isolation == "weaker"
    monkeypatch.setenv(sbx.ENV_ALLOW_WEAKER, "1")
    with pytest.warns(sbx.SandboxWeakerWarning):
        report = await run_tests("def f():\n    return 2\n", "assert f() == 2")
    assert report.ok
    with pytest.raises(sbx.SandboxUnavailable):
        await run_python("print(1)", limits=SandboxLimits(allow_weaker=False))
