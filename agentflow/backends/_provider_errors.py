"""Map provider SDK exceptions (``openai``, ``anthropic``, and LiteLLM's, which subclass openai's) to
agentflow's error classes — the one ladder every hosted provider uses.

The two official SDKs share their exception hierarchy by name (``APITimeoutError``, ``RateLimitError``,
``APIStatusError``, ...), so one function serves both, given which SDK raised. Classification is by
exception class, HTTP status and the error body's ``code`` — never by matching message text, which
providers reword freely.
"""

from __future__ import annotations

import importlib
import json
from typing import Any, Literal

from agentflow.backends._spec_options import parse_retry_after
from agentflow.errors import (
    AuthError,
    BackendError,
    BadRequest,
    ContextWindowExceeded,
    RateLimited,
    ServerError,
    Timeout,
)

__all__ = ["Sdk", "map_provider_error"]

Sdk = Literal["openai", "anthropic"]

_CONTEXT_CODES = frozenset({"context_length_exceeded", "string_above_max_length", "prompt_too_long",
                            "context_window_exceeded"})


def _code(exc: Any) -> str | None:
    for attr in ("code", "error_code"):
        code = getattr(exc, attr, None)
        if isinstance(code, str):
            return code
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("code"), str):
            return str(inner["code"])
    return None


def _retry_after(exc: Any) -> float | None:
    found = parse_retry_after(getattr(getattr(exc, "response", None), "headers", None))
    if found is None:  # LiteLLM keeps the provider's headers here
        found = parse_retry_after(getattr(exc, "litellm_response_headers", None))
    return found


def _is_context_error(exc: BaseException, status: int | None) -> bool:
    # LiteLLM raises its own ContextWindowExceededError (a BadRequestError subclass); match it by class
    # name in the type hierarchy so this module does not import litellm.
    return (status == 413 or _code(exc) in _CONTEXT_CODES
            or any(cls.__name__ == "ContextWindowExceededError" for cls in type(exc).__mro__))


def map_provider_error(exc: BaseException, provider: str, sdk: Sdk = "openai") -> BaseException:
    """Return the agentflow error for ``exc`` (or ``exc`` itself when it is not a provider failure).

    Args:
        exc: what the SDK raised.
        provider: the backend's name, for the message and the error's ``provider``.
        sdk: which SDK raised it (LiteLLM raises ``openai``'s classes).
    """
    if isinstance(exc, BackendError):
        return exc
    m = importlib.import_module(sdk)
    status = getattr(exc, "status_code", None)
    text = f"{provider}: {type(exc).__name__}: {exc}"
    if isinstance(exc, m.APITimeoutError):
        return Timeout(text, provider=provider)
    if isinstance(exc, m.APIConnectionError):
        # dropped connections and truncated bodies: the server side failed; safe to retry
        return ServerError(text, provider=provider)
    if isinstance(exc, m.RateLimitError):
        return RateLimited(text, provider=provider, status=status, retry_after=_retry_after(exc))
    if isinstance(exc, m.AuthenticationError | m.PermissionDeniedError):
        return AuthError(text, provider=provider, status=status)
    if isinstance(exc, m.APIStatusError):
        if _is_context_error(exc, status):
            return ContextWindowExceeded(text, provider=provider, status=status)
        if status == 408:
            return Timeout(text, provider=provider, status=status)
        if status is not None and status >= 500:
            return ServerError(text, provider=provider, status=status)
        return BadRequest(text, provider=provider, status=status)
    if isinstance(exc, m.APIResponseValidationError | json.JSONDecodeError):
        return ServerError(f"{provider}: invalid response: {exc}", provider=provider)
    return exc
