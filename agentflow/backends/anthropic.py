"""``anthropic:MODEL`` — the official Anthropic SDK.

Spec: ``anthropic:MODEL[?base_url=URL&timeout=SECONDS&max_tokens=N&api_key_env=VAR]``. ``base_url``
defaults to ``$ANTHROPIC_BASE_URL``; the key comes from ``$ANTHROPIC_API_KEY``. SDK retries are off:
agentflow's retry wrapper owns them. Structured output uses tool mode (see ``_anthropic_convert``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from agentflow.backends._anthropic_convert import AnthropicStream, request_kwargs, response_from_dict
from agentflow.backends._loop_client import LoopBound
from agentflow.backends._provider_errors import map_provider_error
from agentflow.backends._spec_options import check_options, spec_text, to_float
from agentflow.backends.base import ChatRequest, ChatResponse, StreamChunk
from agentflow.errors import (
    ServerError,
    UserError,
)

__all__ = ["AnthropicBackend", "from_spec", "map_anthropic_error"]

_OPTIONS = ("base_url", "timeout", "max_tokens", "api_key_env")


def map_anthropic_error(exc: BaseException, provider: str) -> BaseException:
    """The agentflow error for an ``anthropic`` SDK exception (the shared ladder of ``_provider_errors``)."""
    return map_provider_error(exc, provider, "anthropic")


class AnthropicBackend:
    """A :class:`~agentflow.backends.base.Backend` over ``anthropic.AsyncAnthropic``.

    Args:
        model: the model name.
        api_key: the key.
        base_url: the endpoint (``None`` for api.anthropic.com).
        timeout: seconds per request.
        max_tokens: the answer length cap used when a request sets none (Anthropic requires one).
    """

    def __init__(self, model: str, *, api_key: str, base_url: str | None = None, timeout: float = 60.0,
                 max_tokens: int = 1024) -> None:
        self.model = model
        self.name = f"anthropic:{model}"
        self.base_url = base_url
        self._api_key = api_key
        self._timeout = timeout
        self._max_tokens = max_tokens
        self._clients = LoopBound(self._new_client, _close_client)

    def _new_client(self) -> Any:
        import anthropic

        return anthropic.AsyncAnthropic(api_key=self._api_key, base_url=self.base_url, max_retries=0,
                                        timeout=self._timeout)

    def _client(self) -> Any:
        """The SDK client for the running event loop (an HTTP pool cannot cross loops)."""
        return self._clients.get()

    def _raise(self, exc: Exception) -> None:
        mapped = map_anthropic_error(exc, self.name)
        if mapped is exc:
            raise exc
        raise mapped from exc

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """One message; provider failures raise :mod:`agentflow.errors` classes."""
        client = self._client()
        kwargs = request_kwargs(request, self.model, default_max_tokens=self._max_tokens)
        try:
            result = await client.messages.create(**kwargs)
            data = result.model_dump() if hasattr(result, "model_dump") else result
        except Exception as exc:
            self._raise(exc)
            raise  # unreachable; keeps type checkers content
        if not isinstance(data, dict):
            raise ServerError(f"{self.name}: the server answered with non-JSON content", provider=self.name)
        return response_from_dict(data, request=request, fallback_model=self.model)

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Stream text as it arrives; tool calls (and tool-mode JSON), usage and finish come last."""
        return self._stream(request)

    async def _stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        client = self._client()
        state = AnthropicStream(request, self.name)
        kwargs = request_kwargs(request, self.model, default_max_tokens=self._max_tokens, stream=True)
        stream: Any = None
        try:
            try:
                stream = await client.messages.create(**kwargs)
                async for event in stream:
                    piece = state.feed(event.model_dump())
                    if piece is not None:
                        yield piece
            except Exception as exc:
                self._raise(exc)
        finally:
            if stream is not None:
                await stream.close()
        yield state.finish()

    async def aclose(self) -> None:
        """Close the HTTP client (also done automatically when the event loop shuts down)."""
        await self._clients.aclose()


def from_spec(model: str, given: Mapping[str, str], environ: Mapping[str, str]) -> AnthropicBackend:
    """Build from a spec's model and options (see the module docstring)."""
    spec = spec_text("anthropic", model, given)
    options = check_options(model, given, _OPTIONS, prefix="anthropic")
    key_var = options.get("api_key_env") or "ANTHROPIC_API_KEY"
    api_key = environ.get(key_var, "")
    if not api_key:
        raise UserError(f"backend {spec!r} needs an API key: ${key_var} is not set",
                        hint=f"export {key_var}=sk-ant-...")
    return AnthropicBackend(
        model,
        api_key=api_key,
        base_url=options.get("base_url") or environ.get("ANTHROPIC_BASE_URL") or None,
        timeout=to_float(options, "timeout", 60.0, spec=spec),
        max_tokens=int(to_float(options, "max_tokens", 1024, spec=spec)),
    )


async def _close_client(client: Any) -> None:
    await client.close()
