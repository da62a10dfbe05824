"""Controller decisions and the controller protocol.

A controller looks at one proposed action (an API call or a reply) against the session state and the
workflow rules and returns :class:`Allow`, :class:`Deny` (with a reason the model is shown) or
:class:`Rewrite` (a corrected proposal). Controllers are pure: they never mutate the state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from agentflow.controllers.rules import WorkflowRules
from agentflow.controllers.state import Proposal, SessionState

__all__ = ["Allow", "Controller", "Decision", "Deny", "Rewrite"]


@dataclass(frozen=True, slots=True)
class Allow:
    """The proposal may go ahead."""

    kind: str = "allow"


@dataclass(frozen=True, slots=True)
class Deny:
    """The proposal must not go ahead; ``reason`` says why (shown to the model and traced)."""

    reason: str
    kind: str = "deny"


@dataclass(frozen=True, slots=True)
class Rewrite:
    """The proposal goes ahead in a corrected form."""

    proposal: Proposal
    reason: str
    kind: str = "rewrite"


Decision = Allow | Deny | Rewrite


@runtime_checkable
class Controller(Protocol):
    """A small check on proposals. ``applies_to`` names the proposal kinds it looks at."""

    name: str
    applies_to: frozenset[str]

    def check(self, proposal: Proposal, state: SessionState, rules: WorkflowRules) -> Decision:
        """Decide on one proposal."""
        ...
