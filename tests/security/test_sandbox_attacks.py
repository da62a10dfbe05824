"""Generated code attacking the sandbox (issue 13, class 1): each attack several ways, all must be held.

Files, the checkout and /etc/passwd; writes that outlive the run; UNIX and TCP sockets (directly,
through ctypes, a raw syscall, a child process); fork and thread bombs; disk fill across many files;
memory bombs; setsid'd children that never exit; the parent's environment through /proc.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentflow.tools.sandbox import SandboxLimits, run_python

REPO = Path(__file__).resolve().parents[2]
QUICK = SandboxLimits(timeout_s=8)


async def _out(code: str, limits: SandboxLimits = QUICK) -> str:
    res = await run_python(code, limits=limits)
    assert not res.timed_out, res.stderr
    return res.stdout + res.stderr


READS = [
    "print(open('/etc/passwd').read())",
    "import os; print(os.listdir('/etc'))",
    "print(open('/proc/1/root/etc/passwd').read())",
    "import os; print(open(os.path.join('/', 'etc', 'shadow')).read())",
    "import pathlib; print(pathlib.Path('/etc/hostname').read_text())",
]


@pytest.mark.parametrize("code", READS)
async def test_cannot_read_host_etc(code: str) -> None:
    out = await _out(code)
    assert "root:" not in out and ("FileNotFoundError" in out or "No such file" in out)


async def test_cannot_read_the_checkout_or_home() -> None:
    targets = [str(REPO / "README.md"), str(REPO / "pyproject.toml"), os.path.expanduser("~/.bashrc"),
               str(Path(sys.executable).resolve().parent.parent / "pyvenv.cfg")]
    for target in targets:
        out = await _out(f"print(open({target!r}).read()[:200])")
        assert "FileNotFoundError" in out, target
    walk = await _out("import os\nfor d, _, fs in os.walk('/'):\n    if not d.startswith('/proc'):\n        "
                      "[print(os.path.join(d, f)) for f in fs if f in ('test_sandbox_attacks.py', 'DESIGN.md', "
                      "'pyvenv.cfg', 'limits.py', 'passwd')]\nprint('WALKED')")
    assert walk.strip() == "WALKED"  # none of the checkout, the virtualenv, the package or /etc
    site = await _out("import os, sys; print([os.listdir(p) for p in sys.path if p.endswith('site-packages')]);"
                      "import yaml")
    assert "ModuleNotFoundError" in site


async def test_writes_outside_do_not_survive(tmp_path: Path) -> None:
    target = tmp_path / "escaped.txt"
    inside_boot = Path(__file__).resolve().parents[2] / "agentflow/tools/sandbox/inside/boot.py"
    before = inside_boot.read_bytes()
    code = f"""
import os
for path in ({str(target)!r}, '/tmp/x', '/root/x', '/x', '/usr/x', '/sandbox/sbx/boot.py', '/dev/x',
             {str(REPO / 'escaped.txt')!r}):
    try:
        with open(path, 'w') as fh:
            fh.write('pwned')
        print('wrote', path)
    except OSError as exc:
        print('refused', path, type(exc).__name__)
"""
    out = await _out(code)
    assert not target.exists() and not (REPO / "escaped.txt").exists()
    assert inside_boot.read_bytes() == before
    assert "refused /sandbox/sbx/boot.py" in out and "refused /usr/x" in out and "refused /dev/x" in out
    later = await _out("import os; print(sorted(os.listdir('/tmp')))")
    assert "'x'" not in later  # each run gets a fresh work dir


@pytest.fixture
def unix_server(tmp_path: Path) -> Iterator[tuple[str, list[int]]]:
    """A UNIX-domain server on the host filesystem (and an abstract one) that counts connections."""
    path = str(tmp_path / "agent.sock")
    hits: list[int] = []
    servers = []
    for address in (path, "\0agentflow-sandbox-test"):
        srv = socket.socket(socket.AF_UNIX)
        srv.bind(address)
        srv.listen(4)
        srv.settimeout(0.2)
        servers.append(srv)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            for srv in servers:
                try:
                    srv.accept()[0].close()
                    hits.append(1)
                except OSError:
                    pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield path, hits
    stop.set()
    t.join(2)
    for srv in servers:
        srv.close()


@pytest.fixture
def tcp_port() -> Iterator[tuple[int, list[int]]]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    srv.settimeout(0.2)
    hits: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                srv.accept()[0].close()
                hits.append(1)
            except OSError:
                pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield srv.getsockname()[1], hits
    stop.set()
    t.join(2)
    srv.close()


def _socket_attacks(family: str, address: str) -> list[str]:
    af = {"unix": 1, "inet": 2}[family]
    win = "print('CONN' + 'ECTED')"  # the marker never appears in the source a traceback may quote
    child = f"import socket; s = socket.socket(socket.AF_{family.upper()}); s.connect({address}); {win}"
    return [
        f"import socket\ns = socket.socket(socket.AF_{family.upper()})\ns.connect({address})\n{win}",
        f"import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nfd = libc.socket({af}, 1, 0)\n"
        f"if fd >= 0:\n    {win}",
        f"import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nfd = libc.syscall(41, {af}, 1, 0)\n"
        f"if fd >= 0:\n    {win}",
        f"import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nfd = libc.syscall(0x40000000 + 41, {af}, 1, 0)\n"
        f"if fd >= 0:\n    {win}",
        f"import subprocess, sys\nr = subprocess.run([sys.executable, '-I', '-c', {child!r}], capture_output=True,"
        f" text=True)\nprint(r.stdout, r.stderr)",
        f"import socket\na, b = socket.socketpair(socket.AF_INET)\n{win}",
        f"import os, shutil\nos.system('nc localhost 80')\nif shutil.which('sh'):\n    {win}",
    ]


async def test_no_unix_socket_reaches_the_host(unix_server: tuple[str, list[int]]) -> None:
    path, hits = unix_server
    for address in (repr(path), repr("\0agentflow-sandbox-test")):
        for code in _socket_attacks("unix", address):
            out = await _out(code)
            assert "CONNECTED" not in out, (code, out)
    assert hits == []


async def test_no_tcp(tcp_port: tuple[int, list[int]]) -> None:
    port, hits = tcp_port
    for code in _socket_attacks("inet", repr(("127.0.0.1", port))):
        out = await _out(code)
        assert "CONNECTED" not in out, (code, out)
    assert hits == []
    dns = await _out("import socket; print(socket.getaddrinfo('example.com', 80))")
    assert "gaierror" in dns or "PermissionError" in dns or "OSError" in dns


async def test_asyncio_still_works_in_the_sandbox() -> None:
    out = await _out("import asyncio\nasync def f():\n    await asyncio.sleep(0)\n    return 42\n"
                     "print(asyncio.run(f()))")
    assert out.strip().endswith("42")
