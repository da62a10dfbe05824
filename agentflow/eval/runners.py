"""The default runner of ``agentflow eval``: conversations on the guided runtime, role workflows on the
executed runtime, chosen per case by its ``kind``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentflow.eval.dataset import EvalCase
from agentflow.eval.outcome import SessionOutcome

__all__ = ["DispatchRunner", "default_runner"]


class DispatchRunner:
    """Sends ``kind: session`` cases to the guided runner and ``kind: role`` cases to the executed one.

    Each runtime is imported and built on first use, so a dataset of conversations never loads the
    executed runtime and vice versa.
    """

    def __init__(self, backend: Sequence[str] | str = ("test",), *, base_dir: str | None = None,
                 cache: str | None = None) -> None:
        self.backend = [backend] if isinstance(backend, str) else list(backend)
        self.base_dir = base_dir
        self.cache = cache
        self._guided: Any = None
        self._executed: Any = None

    async def __call__(self, case: EvalCase) -> SessionOutcome:
        if case.kind == "role":
            if self._executed is None:
                from agentflow.eval.executed import ExecutedRunner

                self._executed = ExecutedRunner(self.backend, base_dir=self.base_dir, cache=self.cache)
            outcome: SessionOutcome = await self._executed(case)
            return outcome
        if self._guided is None:
            from agentflow.eval.guided import GuidedRunner

            self._guided = GuidedRunner(self.backend, base_dir=self.base_dir, cache=self.cache)
        outcome = await self._guided(case)
        return outcome

    async def aclose(self) -> None:
        """Close both runtimes' resources."""
        for runner in (self._guided, self._executed):
            close = getattr(runner, "aclose", None)
            if close is not None:
                await close()

    async def predict_turn(self, case: EvalCase, history: Any) -> Any:
        """Teacher-forced next-turn prediction (guided cases only)."""
        if self._guided is None:
            from agentflow.eval.guided import GuidedRunner

            self._guided = GuidedRunner(self.backend, base_dir=self.base_dir, cache=self.cache)
        return await self._guided.predict_turn(case, history)


def default_runner(backend: Sequence[str] | str = ("test",), base_dir: str | None = None,
                   cache: str | None = None) -> DispatchRunner:
    """The factory behind ``agentflow eval``'s default ``--runner``."""
    return DispatchRunner(backend, base_dir=base_dir, cache=cache)
