"""Class 5 of issue 13 (and the url/required-key parts of 6): bad input is one located line, exit 2.

Each case was a Python traceback and exit 1 before: non-UTF-8 or deeply nested files behind every
file flag, a cache path that is a folder or not a database, an API ``url`` with an impossible port,
a run store whose checkpoint JSON was damaged, a PDL file without the keys pdl/SPEC.md requires.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]
FLIGHT = ROOT / "pdl" / "examples" / "flight_booking.pdl"
AGENT = ROOT / "pdl" / "examples" / "flight" / "agent.yaml"
USER = ROOT / "pdl" / "examples" / "flight" / "user.yaml"
TOOLS = ROOT / "pdl" / "examples" / "flight" / "tools.py"
TABLE = ROOT / "workflows" / "table_critic.pdl"
GUIDED = ["run", str(FLIGHT), "--backend", f"scripted:{AGENT}", "--user", f"scripted:{USER}", "--tools", str(TOOLS),
          "--quiet"]  # fmt: skip

BAD_BYTES: dict[str, bytes] = {
    "latin1": b'{"question": "caf\xe9"}\n',
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00",
    "nul": b'{"a": "b\x00"}\n',
    "deep-json": b"[" * 5000 + b"]" * 5000,
    "deep-object": b'{"a":' * 3000 + b"1" + b"}" * 3000,
    "truncated": b'{"question": [1, 2',
}


def _flag_argv(flag: str, path: Path) -> list[str]:
    table = ["run", str(TABLE), "--backend", "test", "--quiet"]
    return {
        "--input": [*table, "--input", f"question=@{path}"],
        "--inputs": [*table, "--inputs", str(path)],
        "--prices": [*GUIDED, "--prices", str(path)],
        "--replay": [*GUIDED, "--replay", str(path)],
        "eval": ["eval", str(path), "--no-progress"],
        "eval --compare": ["eval", "--compare", str(path), str(path)],
        "scripted backend": ["run", str(FLIGHT), "--backend", f"scripted:{path}", "--user", f"scripted:{USER}"],
        "scripted user": ["run", str(FLIGHT), "--backend", f"scripted:{AGENT}", "--user", f"scripted:{path}"],
        "sim profile": ["run", str(FLIGHT), "--backend", "test", "--user", f"sim:{path}", "--max-turns", "1"],
        "validate": ["validate", str(path)],
        "graph": ["graph", str(path)],
    }[flag]


def assert_one_located_line(res_err: str, rc: int, path: Path | str, *, col: bool = True) -> None:
    lines = [ln for ln in res_err.splitlines() if ln.strip()]
    assert rc == 2, res_err
    assert "Traceback" not in res_err
    errors = [ln for ln in lines if ": error: " in ln]
    assert errors, res_err
    pattern = rf"^{re.escape(str(path))}:\d+:\d+: error: " if col else rf"^{re.escape(str(path))}(:\d+)*: error: "
    assert re.match(pattern, errors[0]), errors[0]


@pytest.mark.parametrize("kind", sorted(BAD_BYTES))
@pytest.mark.parametrize("flag", ["--input", "--inputs", "--prices", "--replay", "eval", "eval --compare",
                                  "scripted backend", "scripted user", "sim profile", "validate", "graph"])  # fmt: skip
def test_every_file_flag_gives_one_located_line(tmp_path: Path, flag: str, kind: str) -> None:
    path = tmp_path / ("bad.json" if flag not in ("validate", "graph") else "bad.pdl")
    path.write_bytes(BAD_BYTES[kind])
    res = run_cli(_flag_argv(flag, path))
    if flag == "--input" and kind in ("deep-json", "deep-object", "truncated"):
        assert res.rc in (0, 1, 2) and "Traceback" not in res.err  # --input k=@file is text: any UTF-8 is a value
        return
    assert_one_located_line(res.err, res.rc, path)


@pytest.mark.parametrize("cmd", ["run", "validate"])
@pytest.mark.parametrize("content", [b"name: judge\nprompt: caf\xe9\n", b"name: judge\n" + b"  " * 0 + b"x: " +
                                     b"[" * 3000 + b"]" * 3000 + b"\n", b"\xff\xfe\x00n\x00a"])  # fmt: skip
def test_a_bad_role_file(tmp_path: Path, cmd: str, content: bytes) -> None:
    roles = tmp_path / "roles"
    roles.mkdir()
    (roles / "judge.yaml").write_bytes(content)
    argv = [cmd, str(TABLE), "--roles-dir", str(roles)] + (["--example", "--backend", "test"] if cmd == "run" else [])
    res = run_cli(argv)
    assert_one_located_line(res.err, res.rc, roles / "judge.yaml")


@pytest.mark.parametrize("make", ["dir", "text", "png"])
def test_cache_that_is_a_folder_or_not_a_database(tmp_path: Path, make: str) -> None:
    cache = tmp_path / "cache"
    if make == "dir":
        cache.mkdir()
    else:
        cache.write_bytes(b"not a database\n" if make == "text" else BAD_BYTES["binary"] * 200)
    res = run_cli([*GUIDED, "--cache", str(cache)])
    assert_one_located_line(res.err, res.rc, cache, col=False)


@pytest.mark.parametrize("url", ["http://localhost:99999/x", "http://localhost:abc/x", "ftp://host/x",
                                 "http:///nohost", "http://[::1/x"])  # fmt: skip
@pytest.mark.parametrize("cmd", ["validate", "run"])
def test_an_api_url_that_cannot_be_called(tmp_path: Path, url: str, cmd: str) -> None:
    pdl = tmp_path / "api.pdl"
    pdl.write_text(f"Name: t\nAPIs:\n  - name: getX\n    url: '{url}'\nProcedure: |\n  call getX\n  reply done\n")
    argv = ["validate", str(pdl), "--no-excerpt"] if cmd == "validate" else [
        "run", str(pdl), "--backend", "test", "--user", f"scripted:{USER}", "--allow-host", "localhost"]
    res = run_cli(argv)
    assert_one_located_line(res.err, res.rc, pdl)
    assert "API 'getX'" in res.err


@pytest.mark.parametrize(("text", "missing"), [
    ("Desc: x\nProcedure: |\n  reply done\n", "no name"),
    ("Name: ''\nProcedure: |\n  reply done\n", "empty Name"),
    ("Name: x\nDesc: y\n", "no procedure"),
    ("Desc: y\nAPIs: []\n", "no procedure"),
])  # fmt: skip
def test_required_keys(tmp_path: Path, text: str, missing: str) -> None:
    pdl = tmp_path / "w.pdl"
    pdl.write_text(text)
    res = run_cli(["validate", str(pdl), "--no-excerpt"])
    assert_one_located_line(res.err, res.rc, pdl)
    assert missing in res.err


def _corrupt(column: str) -> Callable[[sqlite3.Connection], None]:
    def do(db: sqlite3.Connection) -> None:
        table = "agentflow_checkpoints" if column == "state" else "agentflow_runs"
        db.execute(f"UPDATE {table} SET {column} = ?", ('{"broken": [1, 2' if column != "pause" else "[[[",))
    return do


@pytest.mark.parametrize("column", ["state", "meta"])
def test_resume_of_a_store_with_corrupt_json(tmp_path: Path, column: str) -> None:
    store = tmp_path / "runs.db"
    first = run_cli(["run", str(FLIGHT), "--backend", f"scripted:{AGENT}", "--user", f"scripted:{USER}", "--tools",
                     str(TOOLS), "--store", str(store), "--run-id", "r1", "--require-approval", "reserveFlight",
                     "--quiet"])  # fmt: skip
    assert first.rc in (0, 3), first.err
    with sqlite3.connect(store) as db:
        _corrupt(column)(db)
    res = run_cli(["resume", "r1", "--store", str(store), "--approve"])
    assert_one_located_line(res.err, res.rc, store, col=False)
    assert "the store holds a corrupt record" in res.err, res.err
