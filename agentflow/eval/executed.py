"""The session runner for role workflows (executed PDL): one case = one run on the case's ``input``.

The final answer is the workflow's output; the *drafts* are the successive answers a critic loop
produced (each ``answer``/``revision`` a role output), from which the report derives error-correction
(first draft wrong, final right) and degradation (first right, final wrong) rates.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agentflow.backends.base import Backend
from agentflow.backends.registry import BackendPlan, build_backend, default_spec, parse_backend_args
from agentflow.errors import AgentflowError, UserError
from agentflow.eval.caching import ResponseCache, close_backends
from agentflow.eval.dataset import EvalCase
from agentflow.eval.outcome import SessionOutcome
from agentflow.events import Event
from agentflow.runner.executed import BackendArg, Orchestration, load_workflow

__all__ = ["DRAFT_KINDS", "ExecutedRunner", "drafts_of"]

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
        cache: a SQLite file caching every model answer (a re-run of the same cases costs nothing).
    """

    def __init__(self, backend: Sequence[str] | str | Backend | Mapping[str, Backend] = ("test",), *,
                 base_dir: str | None = None, cache: str | None = None) -> None:
        self.plan: BackendArg
        if isinstance(backend, str):
            self.plan = parse_backend_args([backend])
        elif isinstance(backend, Sequence):
            self.plan = parse_backend_args(list(backend))
        else:
            self.plan = backend
        self.cache = ResponseCache(cache) if cache else None
        self._owned: list[Backend] = []
        if self.cache is not None:
            self.plan = self._cached_plan(self.plan)
        self.base_dir = Path(base_dir) if base_dir else None
        self._workflows: dict[tuple[str, str | None], Orchestration] = {}
        self._lock = asyncio.Lock()

    def _cached_plan(self, plan: BackendArg) -> BackendArg:
        assert self.cache is not None
        if isinstance(plan, str):
            plan = parse_backend_args([plan])
        if isinstance(plan, BackendPlan):
            env = os.environ
            per_role: dict[str, Backend] = {
                role: build_backend(spec, environ=env, base_dir=self.base_dir, roles={role})
                for role, spec in plan.per_role.items()}
            default = build_backend(plan.default or default_spec(env), environ=env, base_dir=self.base_dir)
            self._owned += [default, *per_role.values()]
            return {"*": self.cache.wrap(default), **self.cache.wrap_all(per_role)}
        if isinstance(plan, Mapping):
            objects = {k: v for k, v in plan.items() if not isinstance(v, str)}
            return {**plan, **self.cache.wrap_all(objects)}
        return self.cache.wrap(plan)

    async def _workflow(self, case: EvalCase) -> Orchestration:
        key = (case.workflow, case.tools)
        async with self._lock:
            if key not in self._workflows:
                self._workflows[key] = load_workflow(case.workflow, tools=case.tools)
            return self._workflows[key]

    async def aclose(self) -> None:
        """Close the backends built for the cache and the cache (runs close their own backends)."""
        await close_backends(self._owned)
        self._owned = []
        if self.cache is not None:
            self.cache.close()

    async def __call__(self, case: EvalCase) -> SessionOutcome:
        workflow = await self._workflow(case)
        events: list[dict[str, Any]] = []

        def collect(event: Event) -> None:
            events.append(event.to_dict())

        try:
            result = await workflow.run(case.input, backend=self.plan, sinks=[collect], run_id=case.id)
        except UserError:
            raise
        except AgentflowError as exc:
            return SessionOutcome(events=events, error=f"{type(exc).__name__}: {exc}"[:500])
        error = None if result.ok else f"{result.status}: {result.reason or result.error}"[:500]
        return SessionOutcome(events=events, answer=_final(result.output), drafts=drafts_of(events), error=error)
