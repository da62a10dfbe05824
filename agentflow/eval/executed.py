"""The session runner for role workflows (executed PDL): one case = one run on the case's ``input``.

The final answer is the workflow's output; the *drafts* are the successive answers a critic loop
produced (each ``answer``/``revision`` a role output), from which the report derives error-correction
(first draft wrong, final right) and degradation (first right, final wrong) rates.

Models are built as ``agentflow run`` builds them (``models=``), with each session's own ledger and
budget (:mod:`agentflow.eval.session_models`); a session stopped by its budget ends ``budget_exhausted``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agentflow.backends.base import Backend
from agentflow.errors import AgentflowError, BudgetExceeded, UserError
from agentflow.eval.dataset import EvalCase
from agentflow.eval.outcome import SessionOutcome
from agentflow.eval.session_models import ModelsArg, session_models
from agentflow.events import Event
from agentflow.models import BackendArg, BackendChoice
from agentflow.runner.orchestration import Orchestration, load_orchestration

__all__ = ["DRAFT_KINDS", "ExecutedRunner", "drafts_of", "executed_runner"]

DRAFT_KINDS = frozenset({"answer", "revision"})
"""Role-output kinds that count as a draft of the final answer."""


def drafts_of(events: Sequence[Mapping[str, Any]]) -> list[Any]:
    """The successive answer texts of a run, first draft to last (one item when nothing was revised)."""
    out: list[Any] = []
    for ev in events:
        output = ev.get("output")
        if ev.get("type") == "role_output" and isinstance(output, Mapping) and output.get("kind") in DRAFT_KINDS:
            out.append(output.get("text", output))
    return out


def _final(output: Any) -> Any:
    if isinstance(output, Mapping) and len(output) == 1:
        return next(iter(output.values()))
    return output


class ExecutedRunner:
    """Runs ``kind: role`` cases on the executed-workflow runtime.

    Args:
        backend: ``--backend`` values (``SPEC`` or ``ROLE=SPEC``), or (SDK) a backend object or a mapping
            of role -> backend with ``"*"`` as the default.
        base_dir: where relative script paths in backend specs are resolved.
        cache: a SQLite file caching every model answer (a re-run of the same cases costs nothing);
            the same as ``models=ModelOptions(cache=...)``.
        models: the model flags of ``agentflow run`` (:class:`~agentflow.models.ModelOptions` or
            its ``to_dict()`` form), budgets per session; or a shared
            :class:`~agentflow.eval.session_models.SessionModels`.
    """

    def __init__(self, backend: Sequence[str] | str | Backend | Mapping[str, Backend] = ("test",), *,
                 base_dir: str | None = None, cache: str | None = None, models: ModelsArg = None) -> None:
        self.plan: BackendArg
        self.plan = BackendChoice.of(backend)  # parsed once, when the runner is made
        self.base_dir = Path(base_dir) if base_dir else None
        self.models, self._own_models = session_models(models, cache=cache, base_dir=self.base_dir)
        self._workflows: dict[tuple[str, str | None], Orchestration] = {}
        self._lock = asyncio.Lock()

    @property
    def cache(self) -> Any:
        """Response-cache ``hits`` / ``misses`` so far (``None`` without a cache)."""
        return self.models.cache

    async def _workflow(self, case: EvalCase) -> Orchestration:
        key = (case.workflow, case.tools)
        async with self._lock:
            if key not in self._workflows:
                self._workflows[key] = load_orchestration(case.workflow, tools=case.tools)
            return self._workflows[key]

    async def aclose(self) -> None:
        """Close the backends this runner built (clients, local models) and the cache."""
        if self._own_models:
            await self.models.aclose()

    async def __call__(self, case: EvalCase) -> SessionOutcome:
        workflow = await self._workflow(case)
        events: list[dict[str, Any]] = []

        def collect(event: Event) -> None:
            events.append(event.to_dict())

        models = self.models.session()  # this session's own ledger and budget
        try:
            result = await workflow.run(case.input, backend=self.plan, sinks=[collect], run_id=case.id,
                                        models=models)
        except UserError:
            raise
        except AgentflowError as exc:
            return SessionOutcome(events=events, error=f"{type(exc).__name__}: {exc}"[:500],
                                  status="budget_exhausted" if isinstance(exc, BudgetExceeded) else None)
        finally:
            await self.models.done(models)
        error = None if result.ok else f"{result.status}: {result.reason or result.error}"[:500]
        status = "budget_exhausted" if result.status == "budget_exhausted" else None
        return SessionOutcome(events=events, answer=_final(result.output), drafts=drafts_of(events), error=error,
                              status=status)


def executed_runner(backend: Sequence[str] | str = ("test",), base_dir: str | None = None,
                    cache: str | None = None, models: Mapping[str, Any] | None = None) -> ExecutedRunner:
    """A :class:`~agentflow.eval.outcome.RunnerSpec` factory for role-workflow datasets (``models``:
    ``ModelOptions.to_dict()`` data)."""
    return ExecutedRunner(backend, base_dir=base_dir, cache=cache, models=models)
