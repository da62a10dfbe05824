"""The code sandbox: limits, no network, stripped environment, assert-test reports."""

from __future__ import annotations

import socket
import threading

import pytest

from agentflow.tools.sandbox import SandboxLimits, _namespace_available, run_python, run_tests

MODES = ["shim", pytest.param("namespace", marks=pytest.mark.skipif(
    not _namespace_available(), reason="unshare -rn is not permitted on this machine"))]


@pytest.fixture
def listener() -> int:
    """A loopback TCP server the sandboxed code tries (and must fail) to reach."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port: int = srv.getsockname()[1]
    t = threading.Thread(target=lambda: srv.accept()[0].close(), daemon=True)
    t.start()
    yield port  # type: ignore[misc]
    srv.close()


@pytest.mark.parametrize("network", MODES)
async def test_runs_code_and_blocks_network(network: str, listener: int) -> None:
    lim = SandboxLimits(timeout_s=5, network=network)  # type: ignore[arg-type]
    ok = await run_python("print(6 * 7)", limits=lim)
    assert ok.ok and ok.stdout.strip() == "42" and ok.network == network
    code = f"import socket\nsocket.create_connection(('127.0.0.1', {listener}), timeout=2)\nprint('connected')"
    blocked = await run_python(code, limits=lim)
    assert blocked.returncode != 0 and "connected" not in blocked.stdout
    assert "OSError" in blocked.stderr


async def test_time_limit_kills_runaway_code() -> None:
    res = await run_python("while True:\n    pass", limits=SandboxLimits(timeout_s=1))
    assert res.timed_out and not res.ok
    assert res.duration_s < 30  # killed, not left running (a generous bound: CI machines are loaded)


async def test_memory_limit() -> None:
    res = await run_python("x = bytearray(600 * 1024 * 1024)\nprint('allocated')",
                           limits=SandboxLimits(memory_mb=256))
    assert "MemoryError" in res.stderr and "allocated" not in res.stdout


async def test_environment_is_stripped_and_cwd_is_temporary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    res = await run_python("import os, json; print(json.dumps([dict(os.environ), os.getcwd()]))")
    assert "sk-secret" not in res.stdout
    assert "agentflow-sbx-" in res.stdout


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
