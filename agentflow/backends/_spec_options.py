"""Parse the options part of a provider spec: ``MODEL?key=value&key=value``.

Why a query string: a spec is one shell word (``--backend openai:gpt-4o?base_url=http://...``), and
URL query syntax is familiar, needs no new quoting rules and keeps the model name first.
"""

from __future__ import annotations

from collections.abc import Collection
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl

from agentflow.errors import UserError

__all__ = ["parse_options", "parse_retry_after", "to_float"]


def parse_options(rest: str, allowed: Collection[str], *, prefix: str) -> tuple[str, dict[str, str]]:
    """Split ``MODEL?k=v&...`` into the model and its options.

    Raises:
        UserError: an empty model or an option this provider does not know.
    """
    model, _, query = rest.partition("?")
    model = model.strip()
    if not model:
        raise UserError(f"backend '{prefix}:{rest}' needs a model", hint=f"use {prefix}:MODEL_NAME")
    options = dict(parse_qsl(query, keep_blank_values=True)) if query else {}
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise UserError(
            f"unknown option {unknown[0]!r} in backend spec '{prefix}:{rest}'",
            hint=f"options for {prefix}: {', '.join(sorted(allowed))}",
        )
    return model, options


def to_float(options: dict[str, str], key: str, default: float, *, spec: str) -> float:
    """A float option, with a one-line error naming the option when it is not a number."""
    raw = options.get(key)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise UserError(f"option {key}={raw!r} in backend spec {spec!r} is not a number",
                        hint=f"e.g. {key}=30") from None


def parse_retry_after(headers: object) -> float | None:
    """Seconds to wait from ``retry-after-ms`` / ``retry-after`` (seconds or an HTTP date), if present."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    raw_ms = get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        import datetime as _dt

        when = parsedate_to_datetime(str(raw))
        return max(0.0, (when - _dt.datetime.now(when.tzinfo)).total_seconds())
    except (TypeError, ValueError):
        return None
