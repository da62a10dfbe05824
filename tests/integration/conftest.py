"""Fixtures for the run-level model flags: loopback servers and the sample files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from backends.loopback import LoopbackServer

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "guided" / "flight"
FLIGHT = DATA / "pdl" / "000.yaml"
FLIGHT_TOOLS = DATA / "flight_tools.py"
AGENT_SCRIPT = DATA / "agent_happy.yaml"
USERS = DATA / "users_happy.yaml"
GVR = ROOT / "workflows" / "generate_verify_refine.pdl"


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture
def backup() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture(autouse=True)
def _no_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs here see only the keys a test sets (no real provider is ever reachable)."""
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(var, raising=False)


def openai_spec(server: LoopbackServer, model: str = "gpt-int") -> str:
    """An ``openai:`` spec pointed at a loopback server (short client timeout)."""
    return f"openai:{model}?base_url={server.openai_base_url}&timeout=5"
