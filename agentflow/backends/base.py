"""The backend protocol and the provider-neutral request/response types.

A backend is anything with ``async complete(request) -> response`` and ``stream(request)``. Provider
modules (``openai``, ``anthropic``, ``litellm``, ``vllm``, ``hf``) translate these types both ways and
map provider errors onto :mod:`agentflow.errors`; wrappers (retry, cache, budget, fallback, rate limit)
take a backend and return a backend. Nothing provider-shaped crosses this boundary.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from agentflow.messages import Usage

__all__ = [
    "Backend",
    "ChatMessage",
    "ChatRequest",
    "ChatResponse",
    "StreamChunk",
    "ToolCall",
    "ToolDef",
    "stream_via_complete",
]

_CFG = ConfigDict(frozen=True, extra="forbid")


class ToolCall(BaseModel):
    """A tool call the model proposed."""

    model_config = _CFG

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class ToolDef(BaseModel):
    """A tool offered to the model: name, description and a JSON Schema for its arguments."""

    model_config = _CFG

    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})


class ChatMessage(BaseModel):
    """One message of a conversation with a model."""

    model_config = _CFG

    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None


class ChatRequest(BaseModel):
    """What we ask a model. ``response_schema`` asks for structured (JSON) output of that schema.

    ``metadata`` carries routing hints (``role``: which role asks, ``run_id``) that backends may use
    for per-role behaviour, cost attribution and scripted tests; providers never see it.
    """

    model_config = _CFG

    messages: tuple[ChatMessage, ...]
    model: str | None = None
    tools: tuple[ToolDef, ...] = ()
    tool_choice: Literal["auto", "required", "none"] | str = "auto"
    response_schema: dict[str, Any] | None = None
    response_schema_name: str = "output"
    temperature: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def role(self) -> str:
        """The role that made this request (``""`` when unknown)."""
        return str(self.metadata.get("role", ""))


class ChatResponse(BaseModel):
    """What a model answered."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = Field(default_factory=Usage)
    model: str = ""
    finish_reason: str = "stop"


class StreamChunk(BaseModel):
    """A piece of a streamed response. The last chunk carries ``usage`` and ``finish_reason``."""

    model_config = _CFG

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage | None = None
    finish_reason: str | None = None


@runtime_checkable
class Backend(Protocol):
    """A model backend. ``name`` identifies it in traces (e.g. ``openai:gpt-4o``)."""

    name: str

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """Answer one request."""
        ...

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Answer one request piece by piece."""
        ...


async def stream_via_complete(backend: Backend, request: ChatRequest) -> AsyncIterator[StreamChunk]:
    """A ``stream`` for backends that cannot stream: the whole answer as one chunk."""
    response = await backend.complete(request)
    yield StreamChunk(
        text=response.text,
        tool_calls=response.tool_calls,
        usage=response.usage,
        finish_reason=response.finish_reason,
    )
