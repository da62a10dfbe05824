"""The guided session: a conversation under controllers, as an explicit state machine.

Per user turn: record the message → classify it (in-workflow / OOW / out of scope) and apply the
OOW policy → ask the agent (static prompt prefix, conversation, dynamic state) → every proposed call
or reply passes the :class:`~agentflow.controllers.ControllerChain` before anything executes →
allowed calls run through the :class:`~agentflow.tools.ToolExecutor` and their results go back to the
agent; blocked ones are explained to it → until it replies. Rejected proposals count toward the
per-turn action limit; past it the user gets a safe fallback reply. Unusable model output gets
bounded repair requests, then :class:`~agentflow.errors.OutputValidationError`.

All state is in :class:`~agentflow.controllers.SessionState`; ``checkpoint(state)`` is called after
every step so a durable store can persist it and resume the session.
"""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from agentflow.backends.base import Backend, ChatRequest, ChatResponse
from agentflow.controllers import (
    Classification,
    ControllerChain,
    HistoryItem,
    Proposal,
    RuleClassifier,
    SessionState,
    TurnClassifier,
    default_controllers,
    plan_policy,
    split_answer_tag,
)
from agentflow.controllers.state import CallRecord
from agentflow.errors import OutputValidationError
from agentflow.events import EventBus
from agentflow.guided.parse import Malformed, parse_response
from agentflow.guided.prompt import PromptBuilder, tool_defs
from agentflow.guided.workflow import GuidedWorkflow
from agentflow.tools.binding import ToolExecutor, ToolInvocation

__all__ = ["GuidedSession", "SaveState", "SessionConfig"]

SaveState = Callable[[SessionState], "Awaitable[None] | None"]

FALLBACK_REPLY = ("I'm sorry, I can't complete that step right now. Could you tell me how you would like to"
                  " continue?")


@dataclass(frozen=True)
class SessionConfig:
    """Limits and modes of a guided session."""

    max_actions_per_turn: int = 6
    max_turns: int = 30
    max_repairs: int = 2
    native_tools: bool = True
    history_turns: int = 6
    fallback_reply: str = FALLBACK_REPLY
    agent_role: str = "agent"
    max_tokens: int | None = None
    temperature: float | None = None


class GuidedSession:
    """One guided conversation. Drive it with :meth:`handle_user` per user message, or use a runner.

    Args:
        workflow: the converted PDL workflow.
        backend: the agent's model backend.
        tools: runs allowed calls.
        bus: receives the run's events (trace, display, store).
        classifier: labels user turns (deterministic rules by default).
        config: limits and modes.
        checkpoint: called with the state after every step.
        state: a state to continue from (resume); a fresh one otherwise.
    """

    def __init__(
        self,
        workflow: GuidedWorkflow,
        backend: Backend,
        tools: ToolExecutor,
        bus: EventBus,
        *,
        classifier: TurnClassifier | None = None,
        config: SessionConfig | None = None,
        checkpoint: SaveState | None = None,
        state: SessionState | None = None,
    ) -> None:
        self.workflow = workflow
        self.backend = backend
        self.tools = tools
        self.bus = bus
        self.classifier: TurnClassifier = classifier or RuleClassifier()
        self.config = config or SessionConfig()
        self._checkpoint = checkpoint
        self.state = state or SessionState(run_id=bus.run_id, workflow=workflow.name)
        if state is None:
            for key, value in workflow.inputs.items():
                self.state.slots[key] = value
        self.chain = ControllerChain(default_controllers(self.config.max_actions_per_turn), workflow.rules, bus)
        self.prompt = PromptBuilder(workflow, self.config.native_tools, self.config.history_turns)
        self._tool_defs = tool_defs(workflow) if self.config.native_tools else ()
        self.model_totals: Callable[[], dict[str, Any]] | None = None
        """The run's model ledger totals (all roles), added to ``run_end`` as ``totals["models"]``."""

    @property
    def finished(self) -> bool:
        """Whether the session reached an end state (turn limit, failure)."""
        return self.state.status in ("turn_limit", "failed", "completed")

    async def save(self) -> None:
        """Hand the current state to the checkpoint callback."""
        if self._checkpoint is not None:
            result = self._checkpoint(self.state)
            if inspect.isawaitable(result):
                await result

    async def handle_user(self, text: str) -> str:
        """Process one user message and return the agent's reply to it."""
        st = self.state
        st.turn += 1
        st.actions_this_turn = 0
        st.repairs_this_turn = 0
        st.feedback = []
        st.guidance = ""
        st.history.append(HistoryItem(role="user", text=text, turn=st.turn))
        self.bus.emit("user_message", text=text, turn=st.turn)
        await self._classify(text)
        if st.turn >= max(2, int(self.config.max_turns * 0.8)):
            st.guidance = (st.guidance + " The conversation is long: wrap up the current request.").strip()
        st.phase = "agent"
        await self.save()
        return await self.finish_turn()

    async def finish_turn(self) -> str:
        """Let the agent answer the current user message (also how a run resumed mid-turn continues)."""
        st = self.state
        reply = await self._agent_turn()
        st.phase = "await_user"
        if st.turn >= self.config.max_turns:
            st.status = "turn_limit"
            self.bus.emit("controller_decision", controller="turn_limit", decision="deny", action="turn",
                          name="", reason=f"turn limit {self.config.max_turns} reached", turn=st.turn)
        await self.save()
        return reply

    async def _classify(self, text: str) -> None:
        st = self.state
        label: Classification = (await self.classifier.classify(text, st, self.workflow.rules)).normalised()
        outcome = plan_policy(label, st, self.workflow.rules)
        if label.is_oow:
            st.counters.oow_turns += 1
            st.last_oow = {"category": label.category, "subtype": label.subtype}
            self.bus.emit("oow", category=label.category, subtype=label.subtype, policy=outcome.policy,
                          source=label.source, turn=st.turn)
        elif st.status == "cancelled":
            st.status = "active"
        invalidated: list[str] = []
        for slot, value in outcome.slot_updates.items():
            invalidated += st.set_slot(slot, value)
        if outcome.reset:
            invalidated += st.invalidate_all()
        if outcome.cancel:
            st.status = "cancelled"
        st.guidance = outcome.guidance
        if outcome.policy != "continue":
            self.bus.emit("oow_policy", policy=outcome.policy, category=label.category, subtype=label.subtype,
                          slot_updates=outcome.slot_updates, invalidated=invalidated, turn=st.turn)

    async def _agent_turn(self) -> str:
        st = self.state
        while True:
            if st.actions_this_turn >= self.config.max_actions_per_turn:
                return await self._fallback()
            response = await self._call_agent()
            parsed = parse_response(response)
            if isinstance(parsed, Malformed):
                self._repair(parsed)
                continue
            for proposal in parsed:
                reply = await self._handle(proposal)
                if reply is not None:
                    return reply
            await self.save()

    def _repair(self, bad: Malformed) -> None:
        st = self.state
        st.repairs_this_turn += 1
        st.counters.repairs += 1
        self.bus.emit("repair", attempt=st.repairs_this_turn, problem=bad.problem, raw=bad.raw[:500], turn=st.turn)
        if st.repairs_this_turn > self.config.max_repairs:
            st.status = "failed"
            raise OutputValidationError(
                f"the agent's output was unusable after {self.config.max_repairs} repair(s): {bad.problem};"
                f" raw output: {bad.raw[:200]!r}", raw=bad.raw)
        st.feedback.append(f"your last output was unusable: {bad.problem}")

    async def _handle(self, proposal: Proposal) -> str | None:
        st = self.state
        verdict = self.chain.evaluate(proposal, st)
        st.actions_this_turn += 1
        proposal = verdict.proposal
        if verdict.rewritten:
            st.counters.rewrites += 1
        if proposal.kind == "reply":
            if not verdict.allowed:
                st.counters.blocked_replies += 1
                st.feedback.append(f"your reply was blocked by {verdict.controller}: {verdict.reason}")
                self.bus.emit("reply_blocked", controller=verdict.controller, reason=verdict.reason,
                              text=proposal.text[:300], turn=st.turn)
                return None
            return self._say(split_answer_tag(proposal.text)[1] or proposal.text, answer=split_answer_tag(
                proposal.text)[0])
        if not verdict.allowed:
            self._block(proposal, verdict.controller, verdict.reason)
            return None
        await self._execute(proposal)
        return None

    def _say(self, text: str, *, answer: str | None = None, fallback: bool = False) -> str:
        st = self.state
        st.history.append(HistoryItem(role="agent", text=text, turn=st.turn))
        self.bus.emit("agent_message", text=text, turn=st.turn, answer=answer or "", fallback=fallback)
        return text

    def _block(self, proposal: Proposal, controller: str, reason: str) -> None:
        st = self.state
        st.counters.blocked += 1
        st.calls.append(CallRecord(call_id=proposal.call_id, name=proposal.name, args=proposal.args, turn=st.turn,
                                   status="blocked", controller=controller, reason=reason))
        st.history.append(HistoryItem(role="call", turn=st.turn, call_id=proposal.call_id, name=proposal.name,
                                      args=proposal.args))
        st.history.append(HistoryItem(role="result", turn=st.turn, call_id=proposal.call_id, name=proposal.name,
                                      text=f"BLOCKED by {controller}: {reason}. Nothing was executed."))
        self.bus.emit("tool_call", name=proposal.name, args=proposal.args, call_id=proposal.call_id,
                      status="blocked", controller=controller, reason=reason, turn=st.turn)

    async def _execute(self, proposal: Proposal) -> None:
        st = self.state
        self.bus.emit("tool_call", name=proposal.name, args=proposal.args, call_id=proposal.call_id,
                      status="executed", turn=st.turn)
        outcome = await self.tools.execute(ToolInvocation(name=proposal.name, args=proposal.args,
                                                          call_id=proposal.call_id))
        for key, value in proposal.args.items():
            if key in self.workflow.rules.slots and value not in (None, ""):
                st.set_slot(key, value)
        status: Literal["executed", "error"] = "executed" if outcome.ok else "error"
        st.counters.executed += 1 if outcome.ok or outcome.binding else 0  # unbound (no implementation): nothing ran
        st.counters.tool_errors += 0 if outcome.ok else 1
        st.calls.append(CallRecord(call_id=proposal.call_id, name=proposal.name, args=proposal.args, turn=st.turn,
                                   status=status, result=outcome.result, error=outcome.error))
        text = json.dumps(outcome.result, ensure_ascii=False) if outcome.ok else f"ERROR: {outcome.error}"
        st.history.append(HistoryItem(role="call", turn=st.turn, call_id=proposal.call_id, name=proposal.name,
                                      args=proposal.args))
        st.history.append(HistoryItem(role="result", turn=st.turn, call_id=proposal.call_id, name=proposal.name,
                                      text=text))
        self.bus.emit("tool_result", name=proposal.name, call_id=proposal.call_id, ok=outcome.ok,
                      result=outcome.result, error=outcome.error, binding=outcome.binding,
                      latency_s=round(outcome.latency_s, 6), turn=st.turn)

    async def _fallback(self) -> str:
        st = self.state
        st.counters.fallbacks += 1
        self.bus.emit("controller_decision", controller="action_limit", decision="fallback", action="reply",
                      name="", reason=f"{st.actions_this_turn} actions this turn without an allowed reply",
                      turn=st.turn)
        return self._say(self.config.fallback_reply, fallback=True)

    def request(self) -> ChatRequest:
        """The request the agent gets now (exposed for benchmarks and tests)."""
        return ChatRequest(
            messages=self.prompt.messages(self.state),
            tools=self._tool_defs,
            tool_choice="auto" if self._tool_defs else "none",
            max_tokens=self.config.max_tokens,
            temperature=self.config.temperature,
            metadata={"role": self.config.agent_role, "run_id": self.state.run_id},
        )

    async def _call_agent(self) -> ChatResponse:
        st = self.state
        request = self.request()
        started = time.perf_counter()
        response = await self.backend.complete(request)
        latency = response.usage.latency_s or (time.perf_counter() - started)
        usage = response.usage
        st.counters.llm_calls += 1
        st.counters.input_tokens += usage.input_tokens
        st.counters.output_tokens += usage.output_tokens
        st.counters.cost_usd += usage.cost_usd
        self.bus.emit("llm_call", role=self.config.agent_role, model=response.model or self.backend.name,
                      input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                      cached_tokens=usage.cached_tokens, latency_s=round(latency, 6), cost_usd=usage.cost_usd,
                      usage={"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
                             "cached_tokens": usage.cached_tokens},
                      turn=st.turn)
        return response
