"""Generated code trying to exhaust or outlive the sandbox (issue 13, class 1): fork and thread bombs,
disk fill across many files, memory bombs of one process and of many, setsid'd children that never
exit, and the parent's environment through /proc. Each is bounded for the whole process tree.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from agentflow.tools.sandbox import SandboxLimits, run_python


def _host_processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


FORK_BOMBS = [
    "import os, time\nn = 0\nfor _ in range(200):\n    try:\n        pid = os.fork()\n    except OSError:\n"
    "        break\n    if pid == 0:\n        time.sleep(30)\n        os._exit(0)\n    n += 1\nprint('FORKED', n)",
    "import threading, time\nthreading.stack_size(256 * 1024)\nn = 0\nfor _ in range(200):\n    try:\n"
    "        threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
    "    except (RuntimeError, MemoryError):\n        break\n    n += 1\nprint('FORKED', n)",
    "import subprocess, sys\nn = 0\nfor _ in range(200):\n    try:\n        subprocess.Popen([sys.executable, '-c', "
    "'import time; time.sleep(30)'])\n    except OSError:\n        break\n    n += 1\nprint('FORKED', n)",
]


@pytest.mark.parametrize("code", FORK_BOMBS)
async def test_fork_and_thread_bombs_are_bounded(code: str) -> None:
    res = await run_python(code, limits=SandboxLimits(timeout_s=20, max_processes=16))
    count = int(re.findall(r"FORKED (\d+)", res.stdout)[0])
    assert count < 16, res.stdout


async def test_disk_fill_across_many_files_is_bounded() -> None:
    code = """
total = 0
for i in range(20):
    try:
        with open(f'/work/f{i}', 'wb') as fh:
            for _ in range(8):
                fh.write(b'x' * (1024 * 1024))
                total += 1024 * 1024
    except OSError as exc:
        print('STOPPED', type(exc).__name__, exc.errno)
        break
print('TOTAL', total)
"""
    res = await run_python(code, limits=SandboxLimits(timeout_s=20, disk_mb=16))
    total = int(re.findall(r"TOTAL (\d+)", res.stdout)[0])
    assert total <= 16 * 1024 * 1024 and "STOPPED OSError 28" in res.stdout  # ENOSPC
    tmp = await run_python("open('/tmp/a', 'wb').write(b'x' * (40 * 1024 * 1024))", limits=SandboxLimits(disk_mb=16))
    assert "OSError" in tmp.stderr or "File too large" in tmp.stderr or tmp.returncode != 0


async def test_memory_bombs_are_bounded() -> None:
    one = await run_python("x = b'x' * (2 * 1024 ** 3)\nprint('ALLOC')", limits=SandboxLimits(memory_mb=256))
    assert "MemoryError" in one.stderr and "ALLOC" not in one.stdout
    many = """
import os, time
kids = []
for _ in range(6):
    pid = os.fork()
    if pid == 0:
        try:
            block = b'x' * (100 * 1024 * 1024)
            print('ALLOC', flush=True)
            time.sleep(3)
        finally:
            os._exit(0)
    kids.append(pid)
for pid in kids:
    os.waitpid(pid, 0)
"""
    res = await run_python(many, limits=SandboxLimits(timeout_s=20, memory_mb=128))
    assert res.stdout.count("ALLOC") <= 3  # the tree's cgroup holds 2 x 128 MiB


@pytest.mark.parametrize("style", ["setsid", "double-fork", "new-group"])
async def test_children_that_never_exit_do_not_outlive_the_run(style: str) -> None:
    marker = f"agentflow-sbx-forever-{os.getpid()}-{style}"
    detach = {"setsid": "os.setsid()", "double-fork": "os.setsid()\n    if os.fork():\n        os._exit(0)",
              "new-group": "os.setpgid(0, 0)"}[style]
    code = f"""
import os, sys
if os.fork() == 0:
    {detach}
    os.close(1)
    os.close(2)
    os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(1000)', {marker!r}])
print('PARENT DONE')
"""
    res = await run_python(code, limits=SandboxLimits(timeout_s=30))
    assert not res.timed_out and "PARENT DONE" in res.stdout  # the run ends when its main process does
    assert _host_processes_with(marker) == []
    stuck = await run_python(code + "import time\ntime.sleep(1000)\n", limits=SandboxLimits(timeout_s=1))
    assert stuck.timed_out and _host_processes_with(marker) == []


async def test_parent_environment_is_out_of_reach(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-sandbox-probe-value")
    code = """
import os
seen = []
for path in [f'/proc/{os.getppid()}/environ', '/proc/1/environ', '/proc/self/environ']:
    try:
        seen.append(open(path, 'rb').read())
    except OSError as exc:
        seen.append(repr(exc).encode())
for pid in os.listdir('/proc'):
    if pid.isdigit():
        try:
            seen.append(open(f'/proc/{pid}/environ', 'rb').read())
        except OSError:
            pass
print(b'|'.join(seen))
print(os.getppid(), sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))
"""
    res = await run_python(code)
    assert "sk-ant-sandbox-probe-value" not in res.stdout + res.stderr
    pids = re.findall(r"\[([\d, ]+)\]", res.stdout)[-1]
    assert [int(p) for p in pids.split(",")] == [1, 2]  # only the sandbox's own PID namespace is visible
