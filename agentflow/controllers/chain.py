"""Runs controllers in order over one proposal and records every decision as a trace event.

The first :class:`Deny` stops the chain; a :class:`Rewrite` replaces the proposal for the controllers
after it. Every decision (allow included) becomes a ``controller_decision`` event, so a trace shows
exactly which controller let an action through or stopped it and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agentflow.controllers.answers import AnswerController
from agentflow.controllers.calls import (
    ActionLimit,
    ArgumentSchema,
    Cancelled,
    DuplicateCall,
    Precondition,
    UnknownTool,
)
from agentflow.controllers.decision import Controller, Deny, Rewrite
from agentflow.controllers.rules import WorkflowRules
from agentflow.controllers.state import Proposal, SessionState
from agentflow.events import EventBus

__all__ = ["ChainResult", "ControllerChain", "default_controllers"]


def default_controllers(max_actions_per_turn: int = 6, answer_rewrite: str | None = None) -> list[Controller]:
    """The standard set, in the order that gives the clearest reasons."""
    return [
        ActionLimit(max_actions=max_actions_per_turn),
        Cancelled(),
        UnknownTool(),
        ArgumentSchema(),
        Precondition(),
        DuplicateCall(),
        AnswerController(rewrite_text=answer_rewrite),
    ]


@dataclass(frozen=True, slots=True)
class ChainResult:
    """The outcome: ``allowed`` with the (possibly rewritten) proposal, or the denying controller and reason."""

    allowed: bool
    proposal: Proposal
    controller: str = ""
    reason: str = ""
    rewritten: bool = False


class ControllerChain:
    """An ordered list of controllers applied to every proposal.

    Args:
        controllers: the checks, in order (see :func:`default_controllers`).
        rules: the workflow's rules.
        bus: where ``controller_decision`` events go (optional).
    """

    def __init__(self, controllers: Sequence[Controller], rules: WorkflowRules, bus: EventBus | None = None) -> None:
        self.controllers = list(controllers)
        self.rules = rules
        self.bus = bus

    def evaluate(self, proposal: Proposal, state: SessionState) -> ChainResult:
        """Check ``proposal``; never mutates ``state``."""
        rewritten = False
        reasons: list[str] = []
        for controller in self.controllers:
            if proposal.kind not in controller.applies_to:
                continue
            decision = controller.check(proposal, state, self.rules)
            reason = decision.reason if isinstance(decision, Deny | Rewrite) else ""
            self._emit(controller.name, decision.kind, proposal, reason, state.turn)
            if isinstance(decision, Deny):
                return ChainResult(False, proposal, controller.name, decision.reason, rewritten)
            if isinstance(decision, Rewrite):
                proposal = decision.proposal
                rewritten = True
                reasons.append(f"{controller.name}: {decision.reason}")
        return ChainResult(True, proposal, "", "; ".join(reasons), rewritten)

    def _emit(self, controller: str, decision: str, proposal: Proposal, reason: str, turn: int) -> None:
        if self.bus is None:
            return
        self.bus.emit(
            "controller_decision",
            controller=controller,
            decision=decision,
            action=proposal.kind,
            name=proposal.name,
            reason=reason,
            turn=turn,
        )
