"""The guided agent's prompt: a static prefix (cacheable) then the conversation, then a compact state.

Layout of every request (the static part first so provider and vLLM prefix caches hit):

1. system — who the agent is, the rules of conduct, the procedure, the APIs with their
   preconditions, the ANSWERs, the slots. Identical for every call of a session.
2. the conversation so far (user/agent messages; this turn's API calls and results).
3. system — the dynamic state: slots filled, API results, which APIs are allowed *now* and why the
   others are blocked, OOW guidance and controller feedback.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from agentflow.backends.base import ChatMessage, ToolCall, ToolDef
from agentflow.controllers import SessionState, WorkflowRules
from agentflow.controllers.calls import missing_requirements
from agentflow.guided.workflow import GuidedWorkflow

__all__ = ["PromptBuilder", "tool_defs"]

_CONDUCT = (
    "Follow the PROCEDURE: each step, reply or call one API. Ask for missing info, never invent values. Call only"
    " APIs allowed now; claim only outcomes an API returned. Off-topic: answer briefly, then resume; never skip"
    " steps."
)
_TAG_RULE = "A reply giving an ANSWER starts with [ANSWER: name]."
_TEXT_MODE = 'To call an API, reply with only one line: CALL name {"arg": "value"}'


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _signature(name: str, params: dict[str, Any], returns: Sequence[str]) -> str:
    props: dict[str, Any] = params.get("properties", {}) or {}
    required = set(params.get("required", []) or [])
    args = ", ".join(f"{p}*" if p in required else p for p in props)
    out = f" -> {', '.join(returns)}" if returns else ""
    return f"{name}({args}){out}"


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).rstrip(".").lower() == " ".join(b.split()).rstrip(".").lower()


def tool_defs(workflow: GuidedWorkflow) -> tuple[ToolDef, ...]:
    """The native tool definitions offered to the model (one per declared API).

    A parameter description that repeats the description of the slot of the same name is dropped
    here: the prompt's SLOTS section states it once instead of once per API.
    """
    slots = workflow.rules.slots
    out: list[ToolDef] = []
    for spec in workflow.tools:
        definition = spec.to_def()
        props = dict(definition.parameters.get("properties", {}) or {})
        for name, schema in props.items():
            slot = slots.get(name)
            if isinstance(schema, dict) and slot and _same_text(str(schema.get("description", "")), slot.description):
                props[name] = {k: v for k, v in schema.items() if k != "description"}
        out.append(definition.model_copy(update={"parameters": {**definition.parameters, "properties": props}}))
    return tuple(out)


class PromptBuilder:
    """Builds the chat messages of one agent call.

    Args:
        workflow: the guided workflow.
        native_tools: tools go in ``ChatRequest.tools`` (True) or are described for the text format.
        history_turns: how many past user turns of conversation to keep verbatim.
    """

    def __init__(self, workflow: GuidedWorkflow, native_tools: bool = True, history_turns: int = 6) -> None:
        self.workflow = workflow
        self.native_tools = native_tools
        self.history_turns = history_turns
        self._static = self._build_static()

    @property
    def static_prefix(self) -> str:
        """The system prompt shared by every call of the session."""
        return self._static

    def _build_static(self) -> str:
        wf, rules = self.workflow, self.workflow.rules
        # the answer tag matters only when an ANSWER has preconditions (the answer controller checks it)
        gated = any(a.preconditions or a.conditions for a in rules.answers.values())
        lines = [f"You are the service agent for {wf.name!r}. {wf.description}".strip(),
                 f"{_CONDUCT} {_TAG_RULE}" if gated else _CONDUCT]
        if not self.native_tools:
            lines.append(_TEXT_MODE)
        if wf.procedure:
            lines += ["PROCEDURE:", wf.procedure]
        if rules.apis:
            lines.append("APIS:")
            for api in rules.apis.values():
                # native mode: arguments are in the tool definitions; text mode: here
                sig = f"{api.name} -> {', '.join(api.returns)}" if self.native_tools and api.returns else (
                    api.name if self.native_tools else _signature(api.name, api.parameters, api.returns))
                need = api.requirement_text()
                desc = "" if self.native_tools else f" - {api.description}"
                lines.append(f"- {sig}{desc}" + (f"; {need}" if need else ""))
        if rules.answers:
            parts = []
            for ans in rules.answers.values():
                need = ", ".join([*ans.preconditions, *(c.describe() for c in ans.conditions)])
                parts.append(ans.name + (f" (requires {need})" if need else ""))
            lines.append("ANSWERS: " + " | ".join(parts))
        if rules.slots:
            lines.append("SLOTS:")
            lines += [f"- {s.name}: {s.description.strip()}" for s in rules.slots.values()]
        return "\n".join(lines)

    def state_text(self, state: SessionState) -> str:
        """The dynamic part: slots, results, allowed/blocked APIs, guidance and feedback."""
        rules: WorkflowRules = self.workflow.rules
        slots = ", ".join(f"{k}={_short(v, 40)}" for k, v in state.slots.items()) or "none"
        lines = [f"STATE turn {state.turn}; slots: {slots}"]
        done = []
        for name in rules.apis:
            record = state.last_ok(name)
            if record is not None:
                done.append(f"{name} -> {_short(record.result, 72)}")
        if done:
            lines.append("Done: " + "; ".join(done))
        allowed, blocked = [], []
        for api in rules.apis.values():
            missing = missing_requirements(api.preconditions, api.conditions, state)
            if state.status == "cancelled":
                missing = ["the request was cancelled"]
            if missing:
                blocked.append(f"{api.name} ({missing[0]})")
            elif state.last_ok(api.name) is None:
                allowed.append(api.name)
        # done APIs are not offered again: small models otherwise repeat a call they already made
        lines.append("Allowed now: " + (", ".join(allowed) or "none; reply to the user")
                     + ("; done ones only with new values" if done else ""))
        if blocked:
            lines.append("Blocked: " + "; ".join(blocked))
        if state.guidance:
            lines.append("Guidance: " + state.guidance)
        lines += [f"Feedback: {item}" for item in state.feedback[-3:]]
        return "\n".join(lines)

    def conversation(self, state: SessionState) -> list[ChatMessage]:
        """Past turns as user/agent messages; this turn's calls and results in full."""
        first_turn = max(1, state.turn - self.history_turns + 1)
        messages: list[ChatMessage] = []
        for item in state.history:
            if item.turn < first_turn:
                continue
            if item.role == "user":
                messages.append(ChatMessage(role="user", content=item.text))
            elif item.role == "agent":
                messages.append(ChatMessage(role="assistant", content=item.text))
            elif item.turn == state.turn and item.role == "call":
                messages.append(self._call_message(item.call_id, item.name, item.args))
            elif item.turn == state.turn and item.role == "result":
                messages.append(self._result_message(item.call_id, item.name, item.text))
        return messages

    def _call_message(self, call_id: str, name: str, args: dict[str, Any]) -> ChatMessage:
        if self.native_tools:
            return ChatMessage(role="assistant", tool_calls=(ToolCall(id=call_id, name=name, arguments=args),))
        return ChatMessage(role="assistant", content=f"CALL {name} {json.dumps(args, ensure_ascii=False)}")

    def _result_message(self, call_id: str, name: str, text: str) -> ChatMessage:
        if self.native_tools:
            return ChatMessage(role="tool", content=text, tool_call_id=call_id, name=name)
        return ChatMessage(role="user", content=f"[result of {name}] {text}")

    def messages(self, state: SessionState) -> tuple[ChatMessage, ...]:
        """The full message list for one agent call."""
        return (
            ChatMessage(role="system", content=self._static),
            *self.conversation(state),
            ChatMessage(role="system", content=self.state_text(state)),
        )
