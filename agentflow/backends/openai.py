"""``openai:MODEL`` — the official OpenAI SDK, and any OpenAI-compatible server through ``base_url``.

Spec: ``openai:MODEL[?base_url=URL&timeout=SECONDS&api_key_env=VAR&token_param=max_tokens]``.
``base_url`` defaults to ``$OPENAI_BASE_URL``; the key comes from ``$OPENAI_API_KEY`` (or the variable
``api_key_env`` names). The SDK's own retries are off (``max_retries=0``): agentflow's retry wrapper
owns retries so that they are visible, classified and budgeted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from agentflow.backends._loop_client import LoopBound
from agentflow.backends._openai_convert import (
    StreamAccumulator,
    StructuredMode,
    request_kwargs,
    response_from_dict,
    wire_names,
)
from agentflow.backends._provider_errors import map_provider_error
from agentflow.backends._spec_options import check_options, spec_text, to_float
from agentflow.backends.base import ChatRequest, ChatResponse, StreamChunk
from agentflow.errors import UserError

__all__ = ["OpenAIBackend", "from_spec"]

_OPTIONS = ("base_url", "timeout", "api_key_env", "token_param", "structured")


class OpenAIBackend:
    """A :class:`~agentflow.backends.base.Backend` over ``openai.AsyncOpenAI``.

    Args:
        model: the model name sent to the server.
        api_key: the key (``"EMPTY"`` for servers that need none).
        base_url: an OpenAI-compatible endpoint (``http://host:port/v1``); ``None`` for api.openai.com.
        timeout: seconds per request before :class:`~agentflow.errors.Timeout`.
        provider: the spec prefix shown in ``name`` (``openai``, ``vllm``).
        structured: how ``response_schema`` is sent (see :data:`StructuredMode`).
        token_param: the request field for ``max_tokens`` (OpenAI now wants ``max_completion_tokens``).
    """

    def __init__(
        self,
        model: str,
        *,
        api_key: str,
        base_url: str | None = None,
        timeout: float = 60.0,
        provider: str = "openai",
        structured: StructuredMode = "json_schema",
        token_param: str = "max_completion_tokens",
    ) -> None:
        self.model = model
        self.name = f"{provider}:{model}"
        self.base_url = base_url
        self._api_key = api_key
        self._timeout = timeout
        self._structured: StructuredMode = structured
        self._token_param = token_param
        self._clients = LoopBound(self._new_client, _close_client)

    def _new_client(self) -> Any:
        import openai

        return openai.AsyncOpenAI(api_key=self._api_key, base_url=self.base_url, max_retries=0, timeout=self._timeout)

    def _client(self) -> Any:
        """The SDK client for the running event loop (an HTTP pool cannot cross loops)."""
        return self._clients.get()

    def _kwargs(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        return request_kwargs(request, self.model, structured=self._structured, token_param=self._token_param,
                              stream=stream)

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """One chat completion; provider failures raise :mod:`agentflow.errors` classes."""
        client = self._client()
        try:
            result = await client.chat.completions.create(**self._kwargs(request, stream=False))
            data = result.model_dump() if hasattr(result, "model_dump") else result
        except Exception as exc:
            mapped = map_provider_error(exc, self.name, "openai")
            if mapped is exc:
                raise
            raise mapped from exc
        if not isinstance(data, dict):
            from agentflow.errors import ServerError

            raise ServerError(f"{self.name}: the server answered with non-JSON content", provider=self.name)
        return response_from_dict(data, fallback_model=self.model, names=wire_names(request))

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Stream text as it arrives; tool calls, usage and finish reason come on the last chunk."""
        return self._stream(request)

    async def _stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        client = self._client()
        accumulator = StreamAccumulator(self.name, names=wire_names(request))
        stream: Any = None
        try:
            try:
                stream = await client.chat.completions.create(**self._kwargs(request, stream=True))
                async for chunk in stream:
                    piece = accumulator.feed(chunk.model_dump())
                    if piece is not None:
                        yield piece
            except Exception as exc:
                mapped = map_provider_error(exc, self.name, "openai")
                if mapped is exc:
                    raise
                raise mapped from exc
        finally:
            if stream is not None:
                await stream.close()
        yield accumulator.finish()

    async def aclose(self) -> None:
        """Close the HTTP client (also done automatically when the event loop shuts down)."""
        await self._clients.aclose()


def from_spec(model: str, given: Mapping[str, str], environ: Mapping[str, str]) -> OpenAIBackend:
    """Build from a spec's model and options (see the module docstring)."""
    spec = spec_text("openai", model, given)
    options = check_options(model, given, _OPTIONS, prefix="openai")
    base_url = options.get("base_url") or environ.get("OPENAI_BASE_URL") or None
    key_var = options.get("api_key_env") or "OPENAI_API_KEY"
    api_key = environ.get(key_var, "")
    if not api_key:
        if base_url is None:
            raise UserError(f"backend {spec!r} needs an API key: ${key_var} is not set",
                            hint=f"export {key_var}=sk-... or pass base_url=URL for a server that needs no key")
        api_key = "EMPTY"
    structured = options.get("structured", "json_schema")
    if structured not in ("json_schema", "structured_outputs", "guided_json"):
        raise UserError(f"option structured={structured!r} in {spec!r} is not known",
                        hint="use json_schema, structured_outputs or guided_json")
    default_param = "max_completion_tokens" if base_url is None else "max_tokens"
    return OpenAIBackend(
        model,
        api_key=api_key,
        base_url=base_url,
        timeout=to_float(options, "timeout", 60.0, spec=spec),
        structured=structured,  # type: ignore[arg-type]
        token_param=options.get("token_param") or default_param,
    )


async def _close_client(client: Any) -> None:
    await client.close()
