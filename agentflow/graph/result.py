"""The outcome of a graph run: status, outputs, counters, and a snapshot when it can be resumed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from agentflow.errors import RunError
from agentflow.messages import Message

from .snapshot import Snapshot

__all__ = ["NodeTimeout", "RunOutcome", "RunResult", "Stop"]

RunOutcome = Literal["completed", "budget_exhausted", "cancelled", "failed"]
"""How a run ended:

* ``completed`` — every branch ended (at ``END``, or with no edge to follow);
* ``budget_exhausted`` — the global step budget or a loop budget without ``exit_to`` ran out
  (``error`` is the :class:`~agentflow.errors.StepBudgetExceeded`; ``snapshot`` can resume it
  with a bigger budget);
* ``cancelled`` — :meth:`RunHandle.cancel` or the run ``timeout`` stopped it (``snapshot`` holds
  what was pending);
* ``failed`` — a node raised or timed out (``error`` is the exception).
"""


@dataclass(slots=True)
class RunResult:
    """What ``await graph.run(...)`` returns.

    Attributes:
        status: see :data:`RunOutcome`.
        outputs: the messages that ended a branch, in the order the branches ended.
        messages: every message a node produced, in order (empty when ``keep_messages=False``).
        steps: node executions in this run (including those before a resume).
        node_counts: executions per node.
        loop_counts: iterations per loop budget.
        run_id: the run's id.
        error: the exception behind ``failed`` / ``budget_exhausted``, else ``None``.
        snapshot: for a run that did not complete, the state to resume from.
    """

    status: RunOutcome
    outputs: list[Message]
    messages: list[Message]
    steps: int
    node_counts: dict[str, int]
    loop_counts: dict[str, int]
    run_id: str
    error: BaseException | None = None
    snapshot: Snapshot | None = None
    reason: str = field(default="")

    @property
    def output(self) -> Message | None:
        """The last output (the usual single answer of a run), or ``None``."""
        return self.outputs[-1] if self.outputs else None

    @property
    def ok(self) -> bool:
        """Whether the run completed."""
        return self.status == "completed"

    def raise_for_status(self) -> RunResult:
        """Return ``self`` when completed; otherwise raise the error (or ``RunError`` when cancelled)."""
        if self.status == "completed":
            return self
        if self.error is not None:
            raise self.error
        raise RunError(f"graph run {self.run_id} was {self.status}: {self.reason or 'no reason given'}")


class NodeTimeout(RunError):
    """A node took longer than its ``timeout``."""

    def __init__(self, node: str, timeout: float) -> None:
        self.node = node
        self.timeout = timeout
        super().__init__(f"node {node!r} timed out after {timeout:g}s")


class Stop(Exception):
    """Ends a run early with a status (a budget ran out, a quorum cannot be reached); internal."""

    def __init__(self, status: RunOutcome, error: BaseException | None, reason: str) -> None:
        self.status = status
        self.error = error
        self.reason = reason
        super().__init__(reason)
