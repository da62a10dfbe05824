"""Fixtures for the run-store conformance suite: one SQLite file, and a real PostgreSQL server.

The PostgreSQL server is started once per test session from the locally installed binaries (Debian
package ``postgresql``: ``initdb``/``pg_ctl``) in a temporary directory on a free loopback port, with
trust authentication. When the binaries or psycopg are missing, PostgreSQL tests are skipped with the
reason; set ``AGENTFLOW_TEST_PG_DSN`` to use an existing server instead.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agentflow.store import SqlRunStore, open_store

BACKENDS = ["sqlite", "postgres"]
TABLES = ("agentflow_runs", "agentflow_checkpoints", "agentflow_messages", "agentflow_events", "agentflow_journal",
          "agentflow_inbox")


def _pg_bindir() -> Path | None:
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if versions:
        return Path(versions[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb refuses to run as root: run the server tools as the ``postgres`` user when we are root."""
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("PostgreSQL: running as root and `runuser` is missing, cannot drop to the postgres user")
    return [runuser, "-u", "postgres", "--", *cmd]


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    """A DSN of a throwaway local PostgreSQL server (or ``AGENTFLOW_TEST_PG_DSN``)."""
    pytest.importorskip("psycopg", reason="PostgreSQL store tests need psycopg: pip install 'agentflow[postgres]'")
    if os.environ.get("AGENTFLOW_TEST_PG_DSN"):
        yield os.environ["AGENTFLOW_TEST_PG_DSN"]
        return
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL binaries not installed (apt-get install postgresql); AGENTFLOW_TEST_PG_DSN unset")
    # Not under pytest's tmp dir: that one is private to our user, and the server runs as `postgres`.
    root = Path(tempfile.mkdtemp(prefix="agentflow-pg-"))
    if os.geteuid() == 0:
        try:
            shutil.chown(root, "postgres", "postgres")
        except LookupError:
            shutil.rmtree(root, ignore_errors=True)
            pytest.skip("PostgreSQL: running as root and there is no `postgres` user to run the server as")
    data, port = root / "data", _free_port()
    init = subprocess.run(
        _as_postgres(
            [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]
        ),
        capture_output=True, text=True, timeout=120,
    )
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"PostgreSQL initdb failed: {init.stderr.strip()[-300:]}")
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    pg_ctl = str(bindir / "pg_ctl")
    start = subprocess.run(
        _as_postgres([pg_ctl, "-D", str(data), "-l", str(root / "log"), "-o", opts, "-w", "-t", "60", "start"]),
        capture_output=True, text=True, timeout=120,
    )
    if start.returncode != 0:
        log = (root / "log").read_text(errors="replace")[-300:] if (root / "log").exists() else ""
        pytest.skip(f"PostgreSQL server did not start: {start.stderr.strip()[-200:]} {log}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]),
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def _clean_pg(dsn: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table}")


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The ``--store`` value of an empty store, for each backend."""
    if request.param == "sqlite":
        return str(tmp_path / "runs.db")
    dsn: str = request.getfixturevalue("pg_dsn")
    _clean_pg(dsn)
    return dsn


@pytest.fixture
def store(store_url: str) -> Iterator[SqlRunStore]:
    """An open, empty run store, for each backend."""
    s = open_store(store_url)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def raw_dump() -> Callable[[str], str]:
    """A function returning everything a store holds, as text (for leak checks)."""
    return _raw_dump


def _raw_dump(url: str) -> str:
    """Every byte the store holds, as text: the SQLite files, or every row of every PostgreSQL table."""
    if not url.startswith("postgresql://"):
        parts = [Path(url), Path(url + "-wal"), Path(url + "-shm")]
        return "".join(p.read_bytes().decode("utf-8", errors="replace") for p in parts if p.exists())
    import psycopg

    chunks: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        for table in TABLES:
            for row in conn.execute(f"SELECT * FROM {table}").fetchall():
                chunks.append(repr(row))
    return "\n".join(chunks)
