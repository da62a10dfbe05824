"""Planted secrets (environment, tool results, quoted by the agent) never reach any written file:
trace, store, console output, error output, `resume --show` — with and without a store key."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from agentflow.store import open_store

DATA = Path(__file__).resolve().parent / "data"
ForkRun = Callable[..., int]  # the `fork_run` fixture (conftest.py)
ENV_SECRET = "planted-env-secret-0c41d2"
RESULT_SECRETS = ("PNR-planted-result-5531", "tok-planted-result-8812")


def _env(workdir: Path, key: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AF_", "AGENTFLOW_STORE_KEY"))}
    env.update(AF_SIDE_EFFECTS=str(workdir / "effects.log"), FLIGHT_API_KEY=ENV_SECRET,
               SERVICE_TOKEN="svc-token-planted-77aa91")
    if key:
        env["AGENTFLOW_STORE_KEY"] = key
    return env


def _run(workdir: Path, agent: str) -> list[str]:
    return ["run", str(DATA / "flight.yaml"), "--backend", f"scripted:{DATA / agent}",
            "--user", f"scripted:{DATA / 'users.yaml'}", "--tools", str(DATA / "tools.py"),
            "--trace", str(workdir / "trace.jsonl"), "--store", str(workdir / "runs.db"), "--run-id", "s",
            "--classifier", "rules"]


def _written(workdir: Path) -> dict[str, str]:
    return {p.name: p.read_bytes().decode("utf-8", errors="replace") for p in workdir.iterdir()
            if p.is_file() and p.name not in ("effects.log", "stdin.txt")}


def _assert_clean(workdir: Path, *secrets: str) -> None:
    files = _written(workdir)
    assert {"trace.jsonl", "runs.db", "stdout.log"} <= set(files)
    for name, text in files.items():
        for secret in (ENV_SECRET, "svc-token-planted-77aa91", *RESULT_SECRETS, *secrets):
            assert secret not in text, f"{secret!r} leaked into {name}"


@pytest.mark.parametrize("key", [None, "a-long-random-store-key-for-tests-91c3"])
def test_uninterrupted_run_with_the_agent_quoting_a_secret(fork_run: ForkRun, tmp_path: Path, key: str | None) -> None:
    env = _env(tmp_path, key)
    assert fork_run(_run(tmp_path, "agent_echo.yaml"), env=env, cwd=tmp_path) == 0
    assert fork_run(["resume", "s", "--store", str(tmp_path / "runs.db"), "--show"], env=env, cwd=tmp_path) == 0
    _assert_clean(tmp_path, *([key] if key else []))
    text = (tmp_path / "trace.jsonl").read_text()
    assert "Your reference is ***." in text and '"pnr_secret": "***"' in text  # hidden, not dropped


def test_crash_and_resume_without_a_key_stays_clean(fork_run: ForkRun, tmp_path: Path) -> None:
    """Without AGENTFLOW_STORE_KEY a resumed run sees `***` where a replayed result held a secret."""
    env = _env(tmp_path, None)
    assert fork_run(_run(tmp_path, "agent.yaml"), env=env, cwd=tmp_path, kill_at=26) == -signal.SIGKILL
    assert fork_run(["resume", "s", "--store", str(tmp_path / "runs.db")], env=env, cwd=tmp_path) == 0
    _assert_clean(tmp_path)
    with open_store(tmp_path / "runs.db") as store:
        assert store.require_run("s").status == "completed"
        booking = next(e for e in store.journal("s") if e.tool == "reserveFlight")
    assert booking.result["result"]["pnr_secret"] == "***" and booking.result["result"]["seat_number"] == "12A"


def test_sealed_store_gives_the_secret_back_only_with_the_key(fork_run: ForkRun, tmp_path: Path) -> None:
    key = "another-long-random-store-key-5d2e"
    env = _env(tmp_path, key)
    assert fork_run(_run(tmp_path, "agent.yaml"), env=env, cwd=tmp_path) == 0
    from agentflow.errors import RunError
    from agentflow.store import Sealer

    with open_store(tmp_path / "runs.db") as plain:
        assert next(e for e in plain.journal("s") if e.tool == "reserveFlight").result["result"]["pnr_secret"] == "***"
    with open_store(tmp_path / "runs.db", sealer=Sealer(key)) as sealed:
        entry = next(e for e in sealed.journal("s") if e.tool == "reserveFlight")
        assert entry.result["result"]["pnr_secret"] == "PNR-planted-result-5531"
    with open_store(tmp_path / "runs.db", sealer=Sealer("the-wrong-key-entirely-000")) as wrong, \
            pytest.raises(RunError, match="AGENTFLOW_STORE_KEY"):
        wrong.journal("s")
    _assert_clean(tmp_path, key)
