"""Helpers for the workflow tests: load a built-in workflow, script roles, collect events."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "workflows"


@pytest.fixture
def workflow_path() -> object:
    def get(name: str) -> Path:
        return WORKFLOWS / f"{name}.pdl"

    return get


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Template-tree databases and other relative outputs land in a temp dir."""
    monkeypatch.chdir(tmp_path)
