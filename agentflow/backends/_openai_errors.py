"""Map ``openai`` SDK exceptions (also raised by LiteLLM, whose errors subclass them) to agentflow's.

Classification is by exception class, HTTP status and the error body's ``code`` field — never by
matching message text, which providers reword freely.
"""

from __future__ import annotations

import json
from typing import Any

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

__all__ = ["map_openai_error"]

_CONTEXT_CODES = frozenset({"context_length_exceeded", "string_above_max_length"})


def _code(exc: Any) -> str | None:
    code = getattr(exc, "code", None)
    if isinstance(code, str):
        return code
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("code"), str):
            return str(inner["code"])
    return None


def map_openai_error(exc: BaseException, provider: str) -> BaseException:
    """Return the agentflow error for ``exc`` (or ``exc`` itself when it is not a provider failure)."""
    import openai

    if isinstance(exc, BackendError):
        return exc
    status = getattr(exc, "status_code", None)
    text = f"{provider}: {type(exc).__name__}: {exc}"
    if isinstance(exc, openai.APITimeoutError):
        return Timeout(text, provider=provider)
    if isinstance(exc, openai.APIConnectionError):
        # dropped connections and truncated bodies: the server side failed; safe to retry
        return ServerError(text, provider=provider)
    if isinstance(exc, openai.RateLimitError):
        response = getattr(exc, "response", None)
        retry_after = parse_retry_after(getattr(response, "headers", None))
        if retry_after is None:  # LiteLLM keeps the provider's headers here
            retry_after = parse_retry_after(getattr(exc, "litellm_response_headers", None))
        return RateLimited(text, provider=provider, status=status, retry_after=retry_after)
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return AuthError(text, provider=provider, status=status)
    if isinstance(exc, openai.BadRequestError | openai.UnprocessableEntityError | openai.NotFoundError):
        if _code(exc) in _CONTEXT_CODES or _is_litellm_context_error(exc):
            return ContextWindowExceeded(text, provider=provider, status=status)
        return BadRequest(text, provider=provider, status=status)
    if isinstance(exc, openai.APIStatusError):
        if status == 408:
            return Timeout(text, provider=provider, status=status)
        if status is not None and status >= 500:
            return ServerError(text, provider=provider, status=status)
        return BadRequest(text, provider=provider, status=status)
    if isinstance(exc, openai.APIResponseValidationError | json.JSONDecodeError):
        return ServerError(f"{provider}: invalid response: {exc}", provider=provider)
    return exc


def _is_litellm_context_error(exc: BaseException) -> bool:
    # LiteLLM raises its own ContextWindowExceededError (a BadRequestError subclass); match by class name
    # of the type hierarchy so this module does not import litellm.
    return any(cls.__name__ == "ContextWindowExceededError" for cls in type(exc).__mro__)
