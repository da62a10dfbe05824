"""Fixtures for the on-prem backend tests: a tiny llama + tokenizer built once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest


def require_local_extra() -> None:
    """Skip on a developer machine without the ``local`` extra; in CI (``CI`` set) that is a failure."""
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"the local extra is not installed ({exc.name}); pip install 'agentflow[local]'")


@pytest.fixture(scope="session")
def tiny_tok() -> Any:
    from ._tiny import tiny_tokenizer

    require_local_extra()

    return tiny_tokenizer()


@pytest.fixture(scope="session")
def tiny_model(tiny_tok: Any) -> Any:
    from ._tiny import tiny_llama

    return tiny_llama(tiny_tok)


@pytest.fixture
def hf_backend(tiny_model: Any, tiny_tok: Any) -> Iterator[Any]:
    from agentflow.backends.hf import HFBackend

    backend = HFBackend(tiny_model, tiny_tok, name="hf:tiny", max_new_tokens=12, window_s=0.02)
    yield backend
    backend.close()
