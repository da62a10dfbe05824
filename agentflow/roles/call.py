"""Calling a role: render its prompt, ask a backend for typed output, validate, repair, or fail loudly.

:func:`call_role` is the one-line API (``verdict = await call_role("judge", backend, candidate=...)``);
:func:`invoke_role` returns a :class:`RoleResult` with the usage and the number of attempts as well.
An output that does not parse or validate is sent back to the model with the validation error, up to
the role's ``repair.repairs`` times (the one repair loop, :func:`agentflow.backends.structured.complete_parsed`,
with its one JSON extraction); after that the call raises
:class:`~agentflow.errors.OutputValidationError` carrying (and showing) the raw output.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from agentflow.backends.base import Backend, ChatMessage, ChatRequest, ChatResponse
from agentflow.backends.structured import complete_parsed, extract_json
from agentflow.errors import OutputValidationError, UserError
from agentflow.events import EventBus
from agentflow.messages import Message, Usage
from agentflow.roles.loader import Role, RoleLibrary
from agentflow.roles.tooluse import RoleTool, run_tool_calls
from agentflow.roles.types import output_json_schema

__all__ = ["RoleResult", "RoleTool", "call_role", "call_role_sync", "invoke_role", "parse_output"]

@dataclass(frozen=True)
class RoleResult:
    """The outcome of one role call: the typed output, the raw text, what it cost, how many tries."""

    role: str
    output: Message
    raw: str
    usage: Usage
    attempts: int
    model: str = ""


def parse_output(role: Role, text: str) -> Message:
    """Parse and validate a model's text as ``role``'s output type.

    Raises:
        ValueError: not JSON, not an object, or invalid under the output type (message says why).
    """
    try:
        data = json.loads(extract_json(text))
    except json.JSONDecodeError as exc:
        raise ValueError(f"output is not JSON ({exc.msg} at char {exc.pos})") from None
    if not isinstance(data, dict):
        raise ValueError(f"output must be a JSON object, got {type(data).__name__}")
    data = {**data, "kind": role.spec.output_kind}
    try:
        return role.output_type.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'output'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise ValueError(problems) from None


def build_request(role: Role, inputs: Mapping[str, Any], history: Sequence[ChatMessage] = (),
                  metadata: Mapping[str, Any] | None = None) -> ChatRequest:
    """The chat request for one call of ``role`` with ``inputs``."""
    system, user = role.render(inputs)
    schema = output_json_schema(role.output_type)
    system += (
        "\n\nAnswer with one JSON object, and nothing else, valid under this JSON Schema:\n"
        + json.dumps(schema, ensure_ascii=False, separators=(",", ":"))
    )
    settings = role.spec.model
    return ChatRequest(
        messages=(ChatMessage(role="system", content=system), *history, ChatMessage(role="user", content=user)),
        model=settings.model,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        seed=settings.seed,
        response_schema=schema,
        response_schema_name=role.spec.output_kind,
        metadata={**(metadata or {}), "role": role.name},
    )


async def invoke_role(
    role: Role,
    backend: Backend,
    inputs: Mapping[str, Any] | None = None,
    *,
    bus: EventBus | None = None,
    history: Sequence[ChatMessage] = (),
    metadata: Mapping[str, Any] | None = None,
    tools: Mapping[str, RoleTool] | None = None,
) -> RoleResult:
    """Call ``role`` once (plus tool rounds and bounded repairs); return the validated output and its cost.

    Args:
        tools: implementations of the tools the role declares (``tools:`` in its file).

    Raises:
        UserError: the prompt uses an input that was not given, or a declared tool has no implementation.
        OutputValidationError: the output was still invalid after ``retry.repairs`` repairs.
        BackendError: the backend failed (wrap the backend with retries to retry those).
    """
    request = build_request(role, inputs or {}, history, metadata)
    offered = _offered_tools(role, tools or {})
    if offered:
        request = request.model_copy(update={"tools": tuple(t.spec.to_def() for t in offered.values())})
    total = Usage()
    attempts = role.spec.retry.repairs + 1
    tool_rounds = 0

    def observe(response: ChatResponse, latency: float, attempt: int) -> None:
        nonlocal total
        usage = response.usage.model_copy(
            update={"latency_s": response.usage.latency_s or latency, "calls": response.usage.calls or 1})
        total = total + usage
        if bus is not None:
            bus.emit("llm_call", role=role.name, model=response.model or getattr(backend, "name", ""),
                     input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                     latency_s=round(usage.latency_s, 6), cost_usd=usage.cost_usd, attempt=attempt,
                     finish_reason=response.finish_reason)

    async def tool_step(response: ChatResponse, asked: ChatRequest) -> ChatRequest | None:
        nonlocal tool_rounds
        if not (response.tool_calls and offered and tool_rounds < role.spec.tool_rounds):
            return None
        tool_rounds += 1
        results = await run_tool_calls(response.tool_calls, offered, role=role.name, bus=bus)
        last = {"tool_choice": "none"} if tool_rounds >= role.spec.tool_rounds else {}
        return asked.model_copy(update={**last, "messages": (
            *asked.messages, ChatMessage(role="assistant", content=response.text, tool_calls=response.tool_calls),
            *results,
        )})

    def on_invalid(attempt: int, problem: str, raw: str) -> None:
        if bus is not None:
            bus.emit("role_repair", role=role.name, attempt=attempt, error=problem, raw=raw[:2000])

    outcome = await complete_parsed(
        backend, request, lambda raw: parse_output(role, raw), repairs=role.spec.retry.repairs,
        feedback=lambda problem: f"Your answer was invalid: {problem}. Reply again with only the corrected JSON"
                                 " object.",
        observe=observe, tool_step=tool_step, on_invalid=on_invalid)
    if outcome.value is not None:
        model = outcome.responses[-1].model if outcome.responses else ""
        return RoleResult(role=role.name, output=outcome.value, raw=outcome.raw, usage=total,
                          attempts=outcome.attempts, model=model)
    raw, problem = outcome.raw, outcome.problem
    shown = raw if len(raw) <= 500 else raw[:500] + f"... ({len(raw)} chars)"
    raise OutputValidationError(
        f"role {role.name!r} produced invalid {role.spec.output_kind!r} output after {attempts} attempt(s):"
        f" {problem}; raw output: {shown!r}",
        raw=raw,
        usage=total,
        attempts=attempts,
    )


def _offered_tools(role: Role, tools: Mapping[str, RoleTool]) -> dict[str, RoleTool]:
    missing = [name for name in role.spec.tools if name not in tools]
    if missing:
        raise UserError(f"role {role.name!r} declares tool {missing[0]!r} but no implementation was given",
                        hint="pass it in tools=, declare it under APIs: or provide it with --tools FILE.py")
    return {name: tools[name] for name in role.spec.tools}


def _resolve(role: Role | str, library: RoleLibrary | None) -> Role:
    if isinstance(role, Role):
        return role
    return (library if library is not None else RoleLibrary()).get(role)


async def call_role(
    role: Role | str,
    backend: Backend,
    inputs: Mapping[str, Any] | None = None,
    *,
    library: RoleLibrary | None = None,
    bus: EventBus | None = None,
    history: Sequence[ChatMessage] = (),
    tools: Mapping[str, RoleTool] | None = None,
    **kw_inputs: Any,
) -> Message:
    """Call a role and return its typed output.

    Args:
        role: a loaded :class:`Role` or the name of one in ``library`` (built-ins by default).
        backend: the model backend.
        inputs: the prompt's variables (also accepted as keyword arguments).
        library: where role names are looked up.
        bus: receives ``llm_call`` (and ``role_repair``) events.
        history: chat messages placed between the system prompt and the rendered prompt.
        tools: implementations of the tools the role declares.
    """
    merged = {**(inputs or {}), **kw_inputs}
    result = await invoke_role(_resolve(role, library), backend, merged, bus=bus, history=history, tools=tools)
    return result.output


def call_role_sync(role: Role | str, backend: Backend, inputs: Mapping[str, Any] | None = None,
                   **kwargs: Any) -> Message:
    """:func:`call_role` for synchronous code (runs its own event loop)."""
    return asyncio.run(call_role(role, backend, inputs, **kwargs))
