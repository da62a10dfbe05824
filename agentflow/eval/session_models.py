"""The model side of an evaluation runner: ``agentflow run``'s model flags, applied per session.

A runner holds one :class:`SessionModels`: a pool (:class:`~agentflow.models.RunModels`) that
builds each provider once and owns the run-wide parts — the response cache, the recording, the replay
store, the price table — and gives every session its own ``RunModels`` (:meth:`RunModels.for_session`)
with a fresh ledger and budget. So ``--max-calls/--max-tokens/--max-cost/--timeout`` are *per session*
(a session that runs out stops with status ``budget_exhausted`` and the evaluation goes on), while
``--retries/--fallback/--prices`` apply to every model call and ``--cache`` makes a re-run free.

Options travel to Ray workers as plain data (:meth:`ModelOptions.to_dict`), see :func:`model_options`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from agentflow.errors import UserError
from agentflow.models import ModelOptions, RunModels
from agentflow.redact import Redactor

__all__ = ["CacheStats", "ModelsArg", "SessionModels", "model_options", "session_models"]


def model_options(models: ModelOptions | Mapping[str, Any] | None = None, *,
                  cache: str | Path | None = None) -> ModelOptions:
    """The options a runner uses: ``models`` (options or their dict form) plus the older ``cache=`` keyword."""
    options = models if isinstance(models, ModelOptions) else ModelOptions.from_dict(models or {})
    if cache is not None:
        if options.cache is not None and Path(options.cache) != Path(cache):
            raise UserError(f"two response caches given: cache={cache!s} and models.cache={options.cache!s}",
                            hint="give the cache once, as models=ModelOptions(cache=...)")
        options = replace(options, cache=cache)
    return options


@dataclass
class CacheStats:
    """Response-cache lookups of a runner, over every session it ran."""

    hits: int = 0
    misses: int = 0


class SessionModels:
    """One runner's model pool; :meth:`session` gives each session its own :class:`RunModels`.

    Args:
        options: the model flags (``agentflow eval`` takes the same as ``agentflow run``).
        base_dir: where relative ``scripted:`` paths are resolved.
    """

    def __init__(self, options: ModelOptions, *, base_dir: Path | None = None) -> None:
        self.options = options
        self.pool = RunModels(options, base_dir=base_dir, redactor=Redactor.for_environ(os.environ))
        self.cache = CacheStats() if options.cache is not None else None

    def session(self) -> RunModels:
        """Fresh models for one session (its own ledger and budget; providers and cache shared)."""
        return self.pool.for_session()

    async def done(self, models: RunModels) -> None:
        """Count a finished session's cache lookups and close what it built for itself (scripts)."""
        if self.cache is not None:
            hits, misses = models.cache_counts()
            self.cache.hits += hits
            self.cache.misses += misses
        await models.aclose()

    async def aclose(self) -> None:
        """Close the shared providers (SDK clients, local models) and the cache."""
        await self.pool.aclose()


ModelsArg = ModelOptions | Mapping[str, Any] | SessionModels | None
"""What runners accept as ``models=``: options, their plain-dict form (from a RunnerSpec), a pool to
share with another runner, or nothing (today's defaults)."""


def session_models(models: ModelsArg, *, cache: str | Path | None = None,
                   base_dir: Path | None = None) -> tuple[SessionModels, bool]:
    """A runner's pool from its ``models=`` / ``cache=`` arguments, and whether the runner owns it."""
    if isinstance(models, SessionModels):
        if cache is not None:
            raise UserError("cache= cannot be combined with a shared SessionModels", hint="set the cache on it")
        return models, False
    return SessionModels(model_options(models, cache=cache), base_dir=base_dir), True
