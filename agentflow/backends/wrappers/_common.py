"""Helpers the wrappers share: request keys, folding a stream into a response, closing inner backends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from agentflow._ids import stable_hash
from agentflow.backends.base import ChatRequest, ChatResponse, StreamChunk
from agentflow.messages import Usage

__all__ = ["ResponseBuilder", "aclose_all", "one_chunk", "request_key"]


def request_key(request: ChatRequest, namespace: str = "") -> str:
    """The canonical identity of a request: everything the model sees, not the routing metadata.

    ``metadata`` (role, run id) is left out so a recorded or cached answer is found again in a
    different run of the same conversation.
    """
    payload: dict[str, Any] = request.model_dump(mode="json", exclude={"metadata"})
    return stable_hash({"ns": namespace, "request": payload})


class ResponseBuilder:
    """Folds stream chunks into the :class:`ChatResponse` they add up to."""

    def __init__(self, model: str = "") -> None:
        self.model = model
        self.text: list[str] = []
        self.tool_calls: list[Any] = []
        self.usage: Usage | None = None
        self.finish_reason: str | None = None

    def add(self, chunk: StreamChunk) -> None:
        self.text.append(chunk.text)
        self.tool_calls.extend(chunk.tool_calls)
        if chunk.usage is not None:
            self.usage = chunk.usage
        if chunk.finish_reason is not None:
            self.finish_reason = chunk.finish_reason

    @property
    def finished(self) -> bool:
        return self.finish_reason is not None

    def build(self) -> ChatResponse:
        return ChatResponse(text="".join(self.text), tool_calls=tuple(self.tool_calls),
                            usage=self.usage or Usage(calls=1), model=self.model,
                            finish_reason=self.finish_reason or "stop")


async def one_chunk(response: ChatResponse) -> AsyncIterator[StreamChunk]:
    """A whole response as a one-chunk stream (cache hits, replays)."""
    yield StreamChunk(text=response.text, tool_calls=response.tool_calls, usage=response.usage,
                      finish_reason=response.finish_reason)


async def aclose_all(*backends: object) -> None:
    """Close each backend that can be closed (providers hold HTTP clients)."""
    for backend in backends:
        close = getattr(backend, "aclose", None)
        if close is not None:
            await close()
