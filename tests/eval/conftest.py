"""Shared fixtures of the evaluation tests: corpus paths and one small local Ray cluster."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parent.parent / "data" / "eval"
HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # eval_fakes must import the same way here and in Ray workers
    sys.path.insert(0, str(HERE))
if str(HERE.parent) not in sys.path:  # the loopback server of tests/backends (backends.loopback)
    sys.path.append(str(HERE.parent))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Any]:
    """A 2-CPU local Ray cluster for the module (starting one costs seconds: share it)."""
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'agentflow[ray]')")
    import os

    path = os.pathsep.join(p for p in [os.getcwd(), *sys.path] if p)
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": path}})
    try:
        yield ray
    finally:
        ray.shutdown()
