"""``litellm:MODEL`` — LiteLLM, for the long tail of providers (``litellm:groq/llama3-8b``, ...).

Spec: ``litellm:MODEL[?api_base=URL&timeout=SECONDS&api_key_env=VAR]``. LiteLLM reads provider keys
from the environment itself; ``api_key_env`` names a variable to pass explicitly. LiteLLM answers in
the OpenAI format and its exceptions subclass the ``openai`` SDK's, so translation and error mapping
are shared with the OpenAI backend. Its own retries are off (``num_retries=0``).

``LITELLM_LOCAL_MODEL_COST_MAP=True`` is set before the first import so importing LiteLLM does no
network lookup of its price map.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import AsyncIterator, Mapping
from typing import Any

from agentflow.backends._loop_client import LoopBound
from agentflow.backends._openai_convert import StreamAccumulator, request_kwargs, response_from_dict, wire_names
from agentflow.backends._provider_errors import map_provider_error
from agentflow.backends._spec_options import check_options, spec_text, to_float
from agentflow.backends.base import ChatRequest, ChatResponse, StreamChunk

__all__ = ["LiteLLMBackend", "from_spec"]

_OPTIONS = ("api_base", "timeout", "api_key_env")


def _litellm() -> Any:
    # setdefault: a user who deliberately wants the remote map can still say so
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    # LiteLLM 1.106 builds pydantic adapters for TypedDicts with ReadOnly items while streaming, and
    # pydantic warns about each; it is harmless and not ours to fix, so keep it out of users' output.
    warnings.filterwarnings("ignore", message=r"Item '.*' on TypedDict class .* `ReadOnly` qualifier",
                            category=UserWarning)
    litellm.suppress_debug_info = True  # errors are ours to report, once, without a banner
    return litellm


class LiteLLMBackend:
    """A :class:`~agentflow.backends.base.Backend` over ``litellm.acompletion``.

    Args:
        model: a LiteLLM model string (``provider/model``).
        api_base: an endpoint override (e.g. an OpenAI-compatible server).
        api_key: a key to pass explicitly (``None``: LiteLLM reads the provider's variable).
        timeout: seconds per request.
    """

    def __init__(self, model: str, *, api_base: str | None = None, api_key: str | None = None,
                 timeout: float = 60.0) -> None:
        self.model = model
        self.name = f"litellm:{model}"
        self._api_base = api_base
        self._api_key = api_key
        self._timeout = timeout
        # LiteLLM's cached clients belong to the running loop: close them when it shuts down
        self._loop_guard = LoopBound(object, _close_litellm_clients)

    def _kwargs(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        kwargs = request_kwargs(request, self.model, structured="json_schema", token_param="max_tokens", stream=stream)
        kwargs.update(kwargs.pop("extra_body", {}))
        kwargs["timeout"] = self._timeout
        kwargs["num_retries"] = 0
        kwargs["max_retries"] = 0
        if self._api_base:
            kwargs["api_base"] = self._api_base
        if self._api_key:
            kwargs["api_key"] = self._api_key
        return kwargs

    def _mapped(self, exc: Exception) -> BaseException:
        return map_provider_error(exc, self.name, "openai")

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """One completion through LiteLLM; failures raise :mod:`agentflow.errors` classes."""
        litellm = _litellm()
        self._loop_guard.get()
        try:
            result = await litellm.acompletion(**self._kwargs(request, stream=False))
        except Exception as exc:
            mapped = self._mapped(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        return response_from_dict(result.model_dump(), fallback_model=self.model, names=wire_names(request))

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Stream text as it arrives; tool calls, usage and finish come on the last chunk."""
        return self._stream(request)

    async def _stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        litellm = _litellm()
        self._loop_guard.get()
        accumulator = StreamAccumulator(self.name, names=wire_names(request))
        try:
            stream = await litellm.acompletion(**self._kwargs(request, stream=True))
            async for chunk in stream:
                piece = accumulator.feed(chunk.model_dump())
                if piece is not None:
                    yield piece
        except Exception as exc:
            mapped = self._mapped(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        yield accumulator.finish()

    async def aclose(self) -> None:
        """Close the HTTP clients LiteLLM cached (also done automatically when the event loop shuts down).

        LiteLLM keeps one process-wide client cache, so this closes every LiteLLM backend's clients;
        they are recreated on next use.
        """
        await self._loop_guard.aclose()


def from_spec(model: str, given: Mapping[str, str], environ: Mapping[str, str]) -> LiteLLMBackend:
    """Build from a spec's model and options (see the module docstring)."""
    options = check_options(model, given, _OPTIONS, prefix="litellm")
    key_var = options.get("api_key_env")
    return LiteLLMBackend(
        model,
        api_base=options.get("api_base") or None,
        api_key=environ.get(key_var) if key_var else None,
        timeout=to_float(options, "timeout", 60.0, spec=spec_text("litellm", model, given)),
    )


async def _close_litellm_clients(_: object = None) -> None:
    """Close and forget LiteLLM's cached clients (they belong to the loop that is ending)."""
    litellm = _litellm()
    cache = litellm.in_memory_llm_clients_cache
    for client in list(getattr(cache, "cache_dict", {}).values()):
        close = getattr(client, "close", None) or getattr(client, "aclose", None)
        if close is None:
            continue
        try:
            result = close()
            if hasattr(result, "__await__"):
                await result
        except Exception:  # a client already closed or bound to another loop: nothing to free
            continue
    cache.flush_cache()
