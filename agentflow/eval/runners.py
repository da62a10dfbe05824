"""The default runner of ``agentflow eval``: conversations on the guided runtime, role workflows on the
executed runtime, chosen per case by its ``kind``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agentflow.eval.dataset import EvalCase
from agentflow.eval.outcome import SessionOutcome
from agentflow.eval.session_models import ModelsArg, session_models

__all__ = ["DispatchRunner", "default_runner"]


class DispatchRunner:
    """Sends ``kind: session`` cases to the guided runner and ``kind: role`` cases to the executed one.

    Each runtime is imported and built on first use, so a dataset of conversations never loads the
    executed runtime and vice versa. Both share one model pool (``models=``: the model flags of
    ``agentflow run``, budgets per session), so a model is loaded once and the cache is one.
    """

    def __init__(self, backend: Sequence[str] | str = ("test",), *, base_dir: str | None = None,
                 cache: str | None = None, models: ModelsArg = None) -> None:
        self.backend = [backend] if isinstance(backend, str) else list(backend)
        self.base_dir = base_dir
        self.models, self._own_models = session_models(models, cache=cache,
                                                       base_dir=Path(base_dir) if base_dir else None)
        self._guided: Any = None
        self._executed: Any = None

    @property
    def cache(self) -> Any:
        """Response-cache ``hits`` / ``misses`` so far (``None`` without a cache)."""
        return self.models.cache

    def _guided_runner(self) -> Any:
        if self._guided is None:
            from agentflow.eval.guided import GuidedRunner

            self._guided = GuidedRunner(self.backend, base_dir=self.base_dir, models=self.models)
        return self._guided

    async def __call__(self, case: EvalCase) -> SessionOutcome:
        if case.kind == "role":
            if self._executed is None:
                from agentflow.eval.executed import ExecutedRunner

                self._executed = ExecutedRunner(self.backend, base_dir=self.base_dir, models=self.models)
            outcome: SessionOutcome = await self._executed(case)
            return outcome
        outcome = await self._guided_runner()(case)
        return outcome

    async def aclose(self) -> None:
        """Close both runtimes' resources and the shared models."""
        for runner in (self._guided, self._executed):
            close = getattr(runner, "aclose", None)
            if close is not None:
                await close()
        if self._own_models:
            await self.models.aclose()

    async def predict_turn(self, case: EvalCase, history: Any) -> Any:
        """Teacher-forced next-turn prediction (guided cases only)."""
        return await self._guided_runner().predict_turn(case, history)


def default_runner(backend: Sequence[str] | str = ("test",), base_dir: str | None = None,
                   cache: str | None = None, models: Mapping[str, Any] | None = None) -> DispatchRunner:
    """The factory behind ``agentflow eval``'s default ``--runner`` (``models``: ``ModelOptions.to_dict()``)."""
    return DispatchRunner(backend, base_dir=base_dir, cache=cache, models=models)
