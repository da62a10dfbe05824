"""Running a guided session to its end with a user channel, and the compliance summary.

:func:`run_session` drives a :class:`~agentflow.guided.session.GuidedSession` with a
:class:`~agentflow.guided.users.UserChannel` until the user stops, the turn limit is hit or the run
fails, and always emits ``run_start`` / ``run_end`` (with ``status`` and ``totals``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentflow.controllers import SessionState
from agentflow.errors import AgentflowError, BudgetExceeded
from agentflow.guided.session import GuidedSession
from agentflow.guided.users import UserChannel
from agentflow.store.journal import PauseRun

__all__ = ["SessionResult", "compliance_summary", "run_session", "totals_of"]


@dataclass
class SessionResult:
    """How a guided run ended: ``status``, the final state, the agent's replies and the totals."""

    run_id: str
    status: str
    state: SessionState
    replies: list[str] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    @property
    def summary(self) -> str:
        """The one-line compliance summary."""
        return compliance_summary(self.status, self.totals)


def totals_of(state: SessionState) -> dict[str, Any]:
    """The ``run_end`` totals of a session state."""
    c = state.counters
    return {
        "turns": state.turn,
        "executed_calls": c.executed,
        "blocked_calls": c.blocked,
        "tool_errors": c.tool_errors,
        "blocked_replies": c.blocked_replies,
        "rewrites": c.rewrites,
        "fallbacks": c.fallbacks,
        "repairs": c.repairs,
        "oow_turns": c.oow_turns,
        "llm_calls": c.llm_calls,
        "input_tokens": c.input_tokens,
        "output_tokens": c.output_tokens,
        "cost_usd": round(c.cost_usd, 6),
    }


def compliance_summary(status: str, totals: dict[str, Any]) -> str:
    """``compliance: 2 executed, 1 blocked call(s), 0 blocked replies; 3 turns, 1 OOW; status completed``."""
    return (
        f"compliance: {totals.get('executed_calls', 0)} executed, {totals.get('blocked_calls', 0)} blocked call(s),"
        f" {totals.get('blocked_replies', 0)} blocked repl(ies), {totals.get('fallbacks', 0)} fallback(s);"
        f" {totals.get('turns', 0)} turn(s), {totals.get('oow_turns', 0)} OOW; status {status}"
    )


async def run_session(session: GuidedSession, user: UserChannel, *, resume_reply: str | None = None) -> SessionResult:
    """Drive ``session`` with ``user`` to the end.

    Args:
        session: the session (fresh, or rebuilt from a checkpoint).
        user: where user messages come from.
        resume_reply: on resume, the agent's last reply (what the user answers next).

    Raises:
        AgentflowError: after ``run_end`` (status ``failed``) is emitted, the error that stopped the run.
    """
    bus, st = session.bus, session.state
    bus.emit("run_start", workflow=session.workflow.name, mode="guided", user=user.kind,
             backend=session.backend.name, resumed=st.turn > 0, turn=st.turn)
    replies: list[str] = []
    reply = resume_reply
    status = "completed"
    error = ""
    paused = False
    try:
        if st.phase == "agent" and not session.finished:  # resumed in the middle of a turn: finish it first
            reply = await session.finish_turn()
            replies.append(reply)
        while not session.finished:
            message = await user.next_message(reply)
            if message is None:
                break
            reply = await session.handle_user(message)
            replies.append(reply)
        status = st.status if st.status in ("turn_limit", "cancelled") else "completed"
        if st.status == "active":
            st.status = "completed"
    except PauseRun:
        paused = True  # waiting for a human (approval, input): no run_end, no checkpoint of the cut-off step
        raise
    except AgentflowError as exc:
        # a run budget (--max-calls, --max-cost, ...) is a clean stop, told apart in run_end
        status, error = ("budget_exhausted" if isinstance(exc, BudgetExceeded) else "failed"), str(exc)
        st.status = "failed"
        raise
    finally:
        totals = totals_of(st)
        if session.model_totals is not None:
            totals["models"] = session.model_totals()  # every role's calls, from the run's cost ledger
        if not paused:
            st.phase = "done" if st.status != "failed" else st.phase
            bus.emit("run_end", status=status, totals=totals, error=error)
            await session.save()
    return SessionResult(run_id=st.run_id, status=status, state=st, replies=replies, totals=totals)
