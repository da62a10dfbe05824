"""The session runner for guided PDL workflows: each case becomes one run of the guided runtime.

``agentflow eval`` uses it by default (``RunnerSpec(target="agentflow.eval.guided:guided_runner")``).
A case's ``user.turns`` become a scripted user; a ``user.profile`` becomes the ``user_simulator`` role
with the case's OOW slots injected on their turns. Tools are the case's Python file when it names one,
otherwise deterministic mocks from the tool schemas — so a re-run gives the same tool results.
Workflows are loaded once per runner and shared by its sessions.

Models are built as ``agentflow run`` builds them (``models=``: retries, fallback, cache, record/replay,
prices), with each session's own ledger and budget (:mod:`agentflow.eval.session_models`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agentflow.backends.base import Backend
from agentflow.controllers.state import CallRecord, HistoryItem, SessionState
from agentflow.errors import AgentflowError, BudgetExceeded, UserError
from agentflow.eval.dataset import EvalCase, RefTurn
from agentflow.eval.outcome import SessionOutcome
from agentflow.eval.session_models import ModelsArg, session_models
from agentflow.events import Event, EventBus
from agentflow.guided.parse import parse_response
from agentflow.guided.users import UserChannel
from agentflow.models import ModelOptions, RunModels
from agentflow.runner import ScriptedUser, SessionConfig, SimulatedUser, Workflow, resolve_backends, run_session
from agentflow.tools.python_file import load_python_tools

__all__ = ["GuidedRunner", "guided_runner"]


class GuidedRunner:
    """Runs :class:`EvalCase` sessions on the guided runtime.

    Args:
        backend: ``--backend`` values (``SPEC`` or ``ROLE=SPEC``), as for ``agentflow run``; or (SDK) a
            backend object, or a mapping of role (``agent``, ``user_simulator``...) -> backend.
        base_dir: where relative script paths in backend specs are resolved.
        max_actions_per_turn: the guided session's per-turn action limit.
        cache: a SQLite file caching every model answer (a re-run of the same cases costs nothing);
            the same as ``models=ModelOptions(cache=...)``.
        models: the model flags of ``agentflow run`` (:class:`ModelOptions` or its ``to_dict()`` form),
            budgets per session; or a :class:`~agentflow.eval.session_models.SessionModels` to share.
    """

    def __init__(self, backend: Sequence[str] | str | Backend | Mapping[str, Backend] = ("test",), *,
                 base_dir: str | None = None, max_actions_per_turn: int = 6, cache: str | None = None,
                 models: ModelsArg = None) -> None:
        self.specs: Any = [backend] if isinstance(backend, str) else (
            list(backend) if isinstance(backend, Sequence) else backend)
        self.base_dir = Path(base_dir) if base_dir else None
        self.max_actions = max_actions_per_turn
        self.models, self._own_models = session_models(models, cache=cache, base_dir=self.base_dir)
        self._workflows: dict[tuple[str, str | None, str], Workflow] = {}
        self._functions: dict[str, dict[str, Any]] = {}
        self._lock = asyncio.Lock()

    @property
    def options(self) -> ModelOptions:
        """The model flags every session runs with."""
        return self.models.options

    @property
    def cache(self) -> Any:
        """Response-cache ``hits`` / ``misses`` so far (``None`` without a cache)."""
        return self.models.cache

    async def _workflow(self, case: EvalCase) -> Workflow:
        key = (case.workflow, case.tools_spec, repr(sorted(case.input.items())))
        async with self._lock:
            if key not in self._workflows:
                self._workflows[key] = Workflow.load(case.workflow, tools_spec=case.tools_spec, inputs=case.input)
            return self._workflows[key]

    def _tools(self, case: EvalCase) -> dict[str, Any]:
        if case.tools is None:
            return {}
        if case.tools not in self._functions:
            self._functions[case.tools] = dict(load_python_tools(case.tools))
        return self._functions[case.tools]

    async def __call__(self, case: EvalCase) -> SessionOutcome:
        if case.kind != "session":
            raise UserError(f"case {case.id!r} is a {case.kind!r} case; the guided runner runs conversations",
                            hint="run role workflows with the executed runner")
        workflow = await self._workflow(case)
        events: list[dict[str, Any]] = []

        def collect(event: Event) -> None:
            events.append(event.to_dict())

        bus = EventBus(case.id, [collect])
        models = self.models.session()  # this session's own ledger and budget
        try:
            return await self._run(case, workflow, bus, events, models)
        finally:
            await self.models.done(models)

    async def _run(self, case: EvalCase, workflow: Workflow, bus: EventBus, events: list[dict[str, Any]],
                   models: RunModels) -> SessionOutcome:
        backends = resolve_backends(self.specs, models=models)
        user: UserChannel
        if case.user is not None and case.user.turns is not None:
            user = ScriptedUser(case.user.turns)
        else:
            profile = case.user.profile if case.user is not None and case.user.profile else {}
            user = SimulatedUser(backends["user_simulator"], profile, max_turns=case.max_turns, bus=bus,
                                 oow_schedule={slot.turn: slot.subtype for slot in case.oow})
        session = workflow.session(backend=backends, tools=self._tools(case), mocks=True, bus=bus,
                                   config=SessionConfig(max_turns=case.max_turns,
                                                        max_actions_per_turn=self.max_actions), models=models)
        error: str | None = None
        answer: str | None = None
        status: str | None = None
        try:
            result = await run_session(session, user)
            answer = result.replies[-1] if result.replies else None
        except UserError:
            raise
        except AgentflowError as exc:  # the run failed (backend, budget...): a failed session, trace kept
            error = f"{type(exc).__name__}: {exc}"[:500]
            status = "budget_exhausted" if isinstance(exc, BudgetExceeded) else None
        return SessionOutcome(events=events, answer=answer, error=error, status=status)

    async def aclose(self) -> None:
        """Close the backends this runner built (clients, local models) and the cache."""
        if self._own_models:
            await self.models.aclose()

    async def predict_turn(self, case: EvalCase, history: list[RefTurn]) -> RefTurn:
        """The agent's next action after a *reference* history (teacher forcing, no controller, no tool run).

        The history is loaded into a fresh session state (reference calls count as executed with an
        empty result), the agent's request is built exactly as in a live session, and its first
        proposal — a call or a reply — is returned.
        """
        workflow = await self._workflow(case)
        state = SessionState(run_id=case.id, workflow=workflow.guided.name)
        turn = 0
        for i, ref in enumerate(history):
            if ref.role == "user":
                turn += 1
                state.history.append(HistoryItem(role="user", text=ref.text, turn=turn))
            elif ref.call is not None:
                call_id = f"ref{i}"
                state.history.append(HistoryItem(role="call", name=ref.call, args=dict(ref.args), turn=turn,
                                                 call_id=call_id))
                state.calls.append(CallRecord(call_id=call_id, name=ref.call, args=dict(ref.args), turn=turn,
                                              status="executed"))
            else:
                state.history.append(HistoryItem(role="agent", text=ref.text, turn=turn))
        state.turn = turn
        models = self.models.session()
        try:
            session = workflow.session(backend=self.specs, tools=self._tools(case), mocks=True,
                                       bus=EventBus(case.id), state=state, models=models)
            response = await session.backend.complete(session.request())
        finally:
            await self.models.done(models)
        proposals = parse_response(response)
        if isinstance(proposals, list) and proposals:
            first = proposals[0]
            if first.kind == "call":
                return RefTurn(role="agent", call=first.name, args=dict(first.args))
            return RefTurn(role="agent", text=first.text)
        return RefTurn(role="agent", text=response.text)


def guided_runner(backend: Sequence[str] | str = ("test",), base_dir: str | None = None,
                  max_actions_per_turn: int = 6, cache: str | None = None,
                  models: Mapping[str, Any] | None = None) -> GuidedRunner:
    """The factory :class:`~agentflow.eval.outcome.RunnerSpec` names (JSON options in, runner out);
    ``models`` is :meth:`ModelOptions.to_dict` data."""
    return GuidedRunner(backend, base_dir=base_dir, max_actions_per_turn=max_actions_per_turn, cache=cache,
                        models=models)
