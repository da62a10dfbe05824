"""The session runner for guided PDL workflows: each case becomes one run of the guided runtime.

``agentflow eval`` uses it by default (``RunnerSpec(target="agentflow.eval.guided:guided_runner")``).
A case's ``user.turns`` become a scripted user; a ``user.profile`` becomes the ``user_simulator`` role
with the case's OOW slots injected on their turns. Tools are the case's Python file when it names one,
otherwise deterministic mocks from the tool schemas — so a re-run gives the same tool results.
Workflows are loaded once per runner and shared by its sessions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agentflow.backends.base import Backend
from agentflow.controllers.state import CallRecord, HistoryItem, SessionState
from agentflow.errors import AgentflowError, UserError
from agentflow.eval.caching import ResponseCache, close_backends
from agentflow.eval.dataset import EvalCase, RefTurn
from agentflow.eval.outcome import SessionOutcome
from agentflow.events import Event, EventBus
from agentflow.runner import ScriptedUser, SessionConfig, SimulatedUser, Workflow, resolve_backends, run_session
from agentflow.runner.parse import parse_response
from agentflow.runner.users import UserChannel
from agentflow.tools.python_file import load_python_tools

__all__ = ["GuidedRunner", "guided_runner"]


class GuidedRunner:
    """Runs :class:`EvalCase` sessions on the guided runtime.

    Args:
        backend: ``--backend`` values (``SPEC`` or ``ROLE=SPEC``), as for ``agentflow run``; or (SDK) a
            backend object, or a mapping of role (``agent``, ``user_simulator``...) -> backend.
        base_dir: where relative script paths in backend specs are resolved.
        max_actions_per_turn: the guided session's per-turn action limit.
        cache: a SQLite file caching every model answer (a re-run of the same cases costs nothing).
    """

    def __init__(self, backend: Sequence[str] | str | Backend | Mapping[str, Backend] = ("test",), *,
                 base_dir: str | None = None, max_actions_per_turn: int = 6, cache: str | None = None) -> None:
        self.specs: Any = [backend] if isinstance(backend, str) else (
            list(backend) if isinstance(backend, Sequence) else backend)
        self.base_dir = Path(base_dir) if base_dir else None
        self.max_actions = max_actions_per_turn
        # Scripted backends hold a position: every session needs its own copy.
        self._per_session = isinstance(self.specs, list) and any("scripted" in s for s in self.specs)
        self.cache = ResponseCache(cache) if cache else None
        self._shared: dict[str, Backend] | None = None
        self._workflows: dict[tuple[str, str | None, str], Workflow] = {}
        self._functions: dict[str, dict[str, Any]] = {}
        self._lock = asyncio.Lock()

    def _backends(self) -> dict[str, Backend]:
        if self._per_session:
            return self._cached(resolve_backends(self.specs, base_dir=self.base_dir))
        if self._shared is None:
            self._shared = self._cached(resolve_backends(self.specs, base_dir=self.base_dir))
        return self._shared

    def _cached(self, backends: dict[str, Backend]) -> dict[str, Backend]:
        return self.cache.wrap_all(backends) if self.cache is not None else backends

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
        backends = self._backends()
        user: UserChannel
        if case.user is not None and case.user.turns is not None:
            user = ScriptedUser(case.user.turns)
        else:
            profile = case.user.profile if case.user is not None and case.user.profile else {}
            user = SimulatedUser(backends["user_simulator"], profile, max_turns=case.max_turns, bus=bus,
                                 oow_schedule={slot.turn: slot.subtype for slot in case.oow})
        session = workflow.session(backend=backends, tools=self._tools(case), mocks=True, bus=bus,
                                   config=SessionConfig(max_turns=case.max_turns,
                                                        max_actions_per_turn=self.max_actions))
        error: str | None = None
        answer: str | None = None
        try:
            result = await run_session(session, user)
            answer = result.replies[-1] if result.replies else None
        except UserError:
            raise
        except AgentflowError as exc:  # the run failed (backend, budget...): a failed session, trace kept
            error = f"{type(exc).__name__}: {exc}"[:500]
        return SessionOutcome(events=events, answer=answer, error=error)


    async def aclose(self) -> None:
        """Close the backends this runner built (clients, local models) and the cache."""
        if self._shared is not None:
            await close_backends(self._shared.values())
            self._shared = None
        if self.cache is not None:
            self.cache.close()

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
        backends = self._backends()
        session = workflow.session(backend=backends, tools=self._tools(case), mocks=True,
                                   bus=EventBus(case.id), state=state)
        response = await session.backend.complete(session.request())
        proposals = parse_response(response)
        if isinstance(proposals, list) and proposals:
            first = proposals[0]
            if first.kind == "call":
                return RefTurn(role="agent", call=first.name, args=dict(first.args))
            return RefTurn(role="agent", text=first.text)
        return RefTurn(role="agent", text=response.text)


def guided_runner(backend: Sequence[str] | str = ("test",), base_dir: str | None = None,
                  max_actions_per_turn: int = 6, cache: str | None = None) -> GuidedRunner:
    """The factory :class:`~agentflow.eval.outcome.RunnerSpec` names (JSON options in, runner out)."""
    return GuidedRunner(backend, base_dir=base_dir, max_actions_per_turn=max_actions_per_turn, cache=cache)
