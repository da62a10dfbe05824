"""The agentflow error tree.

Every error agentflow raises derives from :class:`AgentflowError`. Two branches matter to callers:

* :class:`UserError` — the user's own mistake (bad PDL, bad role spec, bad graph, bad CLI input).
  The CLI prints one line naming the problem, where it is and the fix, and exits with code 2.
* :class:`RunError` — the run failed (backend failure, unparseable model output after repairs,
  budget exceeded, compliance violation). The CLI exits with code 1.

Backend failures are further classified (:class:`RateLimited`, :class:`ContextWindowExceeded`, ...)
so wrappers decide what to retry by class, never by matching on error strings.

Stdlib only: this is layer 0.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AgentflowError",
    "AuthError",
    "BackendError",
    "BadRequest",
    "BudgetExceeded",
    "ComplianceViolation",
    "ContextWindowExceeded",
    "GraphBuildError",
    "Location",
    "OutputValidationError",
    "RateLimited",
    "RunError",
    "ServerError",
    "StepBudgetExceeded",
    "Timeout",
    "UserError",
]


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a user's file: 1-based line and column."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.path
        if self.col <= 0:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.col}"


class AgentflowError(Exception):
    """Root of every error agentflow raises."""

    exit_code: int = 1


class UserError(AgentflowError):
    """A mistake in the user's input; the message names the problem, where, and the fix.

    Args:
        message: what is wrong.
        location: where it is (file, line, column), when it comes from a file.
        hint: how to fix it, when there is an obvious fix.
    """

    exit_code = 2

    def __init__(self, message: str, *, location: Location | None = None, hint: str | None = None) -> None:
        self.message = message
        self.location = location
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        """One line: ``path:line:col: error: message (hint: ...)``."""
        text = f"{self.location}: error: {self.message}" if self.location else f"error: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


class GraphBuildError(UserError):
    """A graph that cannot run: unreachable nodes, unbounded cycles, type mismatches."""


class RunError(AgentflowError):
    """A run failed for a reason that is not the user's input."""

    exit_code = 1


class BudgetExceeded(RunError):
    """A token, cost, step or time budget was exhausted; the run stopped cleanly."""

    def __init__(self, message: str, *, budget: str = "", limit: float = 0.0, used: float = 0.0) -> None:
        self.budget = budget
        self.limit = limit
        self.used = used
        super().__init__(message)


class StepBudgetExceeded(BudgetExceeded):
    """A graph's global or per-loop step budget was exhausted."""


class ComplianceViolation(RunError):
    """A controller refused to let the run go on (e.g. the model kept violating the procedure)."""


class OutputValidationError(RunError):
    """A model's output failed validation after the allowed repairs; ``raw`` is what it said.

    ``usage`` is what the failed attempts cost (an :class:`agentflow.messages.Usage`, typed ``object``
    here because this module sits below ``messages``; ``None`` when unknown) and ``attempts`` how many
    there were, so a run's accounting and budgets include them.
    """

    def __init__(self, message: str, *, raw: str = "", usage: object | None = None, attempts: int = 0) -> None:
        self.raw = raw
        self.usage = usage
        self.attempts = attempts
        super().__init__(message)


class BackendError(RunError):
    """A model backend failed. Subclasses classify the failure for retry decisions."""

    retryable: bool = False

    def __init__(self, message: str, *, provider: str = "", status: int | None = None) -> None:
        self.provider = provider
        self.status = status
        super().__init__(message)


class RateLimited(BackendError):
    """The provider asked us to slow down; ``retry_after`` is in seconds when it said."""

    retryable = True

    def __init__(
        self, message: str, *, provider: str = "", status: int | None = 429, retry_after: float | None = None
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, provider=provider, status=status)


class ServerError(BackendError):
    """The provider failed on its side (5xx, truncated or invalid response)."""

    retryable = True


class Timeout(BackendError):
    """The provider did not answer in time."""

    retryable = True


class ContextWindowExceeded(BackendError):
    """The request does not fit the model's context window."""


class AuthError(BackendError):
    """The credentials were missing or refused."""


class BadRequest(BackendError):
    """The provider rejected the request as malformed."""
