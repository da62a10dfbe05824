"""Deterministic backends for tests and offline demos (no model, no network).

* :class:`SchemaBackend` (``--backend test``) synthesises schema-valid structured output, calls offered
  tools with schema-valid arguments, and otherwise replies with a short deterministic text.
* :class:`FunctionBackend` answers with a Python function of the request.
* :class:`ScriptedBackend` (``--backend scripted:FILE``) replays a list of steps and fails loudly when
  a step is missing or left unused.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from agentflow._ids import new_id
from agentflow.backends.base import ChatRequest, ChatResponse, StreamChunk, ToolCall, stream_via_complete
from agentflow.messages import Usage
from agentflow.testing.script import ScriptError, ScriptStep
from agentflow.testing.synth import synthesize

__all__ = ["FunctionBackend", "SchemaBackend", "ScriptedBackend"]


def _approx_tokens(text: str) -> int:
    return max(1, len(text) // 4) if text else 0


def _usage(request: ChatRequest, out_text: str) -> Usage:
    prompt = sum(_approx_tokens(m.content) for m in request.messages)
    return Usage(input_tokens=prompt, output_tokens=_approx_tokens(out_text), calls=1)


class SchemaBackend:
    """The ``test`` backend: valid, deterministic, model-free answers.

    With a ``response_schema`` it returns the simplest JSON valid under it. With tools on offer (and
    ``tool_choice`` not ``none``) it calls the first offered tool not yet called since the last user
    message — so a guided workflow makes progress and controllers get exercised — and otherwise replies
    with text.
    """

    def __init__(self, name: str = "test", reply: str = "Understood. How can I help you further?") -> None:
        self.name = name
        self._reply = reply

    async def complete(self, request: ChatRequest) -> ChatResponse:
        if request.response_schema is not None:
            text = json.dumps(synthesize(request.response_schema), ensure_ascii=False)
            return ChatResponse(text=text, usage=_usage(request, text), model=self.name)
        if request.tools and request.tool_choice != "none":
            called = _called_since_last_user(request)
            wanted = request.tool_choice if request.tool_choice not in ("auto", "required") else None
            for tool in request.tools:
                if (wanted and tool.name != wanted) or (tool.name in called and not wanted):
                    continue
                call = ToolCall(id=new_id("call"), name=tool.name, arguments=synthesize(tool.parameters))
                return ChatResponse(
                    tool_calls=(call,), usage=_usage(request, json.dumps(call.arguments)), model=self.name,
                    finish_reason="tool_calls",
                )
        return ChatResponse(text=self._reply, usage=_usage(request, self._reply), model=self.name)

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        return stream_via_complete(self, request)


def _called_since_last_user(request: ChatRequest) -> set[str]:
    called: set[str] = set()
    for message in reversed(request.messages):
        if message.role == "user":
            break
        called.update(call.name for call in message.tool_calls)
    return called


Reply = ChatResponse | str | dict[str, Any]
Responder = Callable[[ChatRequest], "Reply | Awaitable[Reply]"]


class FunctionBackend:
    """A backend driven by a Python function of the request.

    The function returns a :class:`ChatResponse`, a string (the reply text) or a dict (sent as JSON
    text, for structured output); it may be async.
    """

    def __init__(self, fn: Responder, name: str = "function") -> None:
        self.name = name
        self._fn = fn
        self.requests: list[ChatRequest] = []

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        result = self._fn(request)
        if inspect.isawaitable(result):
            result = await result
        if isinstance(result, ChatResponse):
            return result
        text = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
        return ChatResponse(text=text, usage=_usage(request, text), model=self.name)

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        return stream_via_complete(self, request)


class ScriptedBackend:
    """Replays a script in order; fails loudly on a missing step or, at :meth:`check_consumed`, unused ones.

    Args:
        steps: the script.
        roles: the roles this script speaks for (``None``: every role). A request from another role
            goes to ``fallback``.
        fallback: where requests from roles the script does not serve go (usually the test backend).
        source: where the script came from, for error messages.
    """

    def __init__(
        self,
        steps: list[ScriptStep],
        *,
        roles: set[str] | None = None,
        fallback: Any | None = None,
        source: str = "<script>",
        name: str = "scripted",
    ) -> None:
        self.name = name
        self.steps = list(steps)
        self.position = 0
        self.source = source
        self._roles = roles
        self._fallback = fallback
        self.requests: list[ChatRequest] = []

    def serves(self, role: str) -> bool:
        """Whether requests from ``role`` are answered by this script."""
        named = {s.role for s in self.steps if s.role}
        if role in named:
            return True
        return self._roles is None or role in self._roles

    async def complete(self, request: ChatRequest) -> ChatResponse:
        if not self.serves(request.role):
            if self._fallback is None:
                raise ScriptError(f"{self.source}: no script for role {request.role!r} and no fallback backend")
            response: ChatResponse = await self._fallback.complete(request)
            return response
        if self.position >= len(self.steps):
            last = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
            raise ScriptError(
                f"{self.source}: script ran out after {len(self.steps)} step(s); the model was asked again"
                f" (role {request.role or 'agent'!r}, last user message {last[:60]!r})",
                hint="add a `say:` or `call:` item for this turn",
            )
        step = self.steps[self.position]
        if step.role and request.role and step.role != request.role:
            raise ScriptError(
                f"{self.source}: step {self.position + 1} is for role {step.role!r} but role"
                f" {request.role!r} asked",
                hint="reorder the script to match the order in which roles are called",
            )
        self.position += 1
        self.requests.append(request)
        return step.to_response(request, _usage)

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        return stream_via_complete(self, request)

    @property
    def unused(self) -> list[ScriptStep]:
        """Steps not consumed yet."""
        return self.steps[self.position :]

    def check_consumed(self) -> None:
        """Raise :class:`ScriptError` when steps were left unused (call at the end of a run)."""
        if self.position < len(self.steps):
            left = len(self.steps) - self.position
            raise ScriptError(
                f"{self.source}: {left} script step(s) left unused, first: {self.steps[self.position].describe()}",
                hint="remove the extra steps or check why the run ended early",
            )
