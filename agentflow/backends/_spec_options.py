"""Check the options of a provider spec (``MODEL?key=value&key=value``) and read typed values.

Why a query string: a spec is one shell word (``--backend openai:gpt-4o?base_url=http://...``), and
URL query syntax is familiar, needs no new quoting rules and keeps the model name first. The spec is
split into provider, target and options once, by :func:`agentflow.models.spec.parse_spec`; a provider
factory receives the target and the options and checks them against its own vocabulary here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode

from agentflow.errors import UserError

__all__ = ["check_options", "parse_retry_after", "spec_text", "to_float"]


def spec_text(prefix: str, target: str, options: Mapping[str, str]) -> str:
    """The spec as a user would write it, for messages: ``openai:gpt-4o?timeout=5``."""
    query = f"?{urlencode(dict(options))}" if options else ""
    return f"{prefix}:{target}{query}"


def check_options(target: str, options: Mapping[str, str], allowed: Collection[str], *,
                  prefix: str, needs_model: bool = True) -> dict[str, str]:
    """The options as a dict, once the model is there and every option is one this provider knows.

    Raises:
        UserError: an empty model or an option this provider does not know.
    """
    spec = spec_text(prefix, target, options)
    if needs_model and not target.strip():
        raise UserError(f"backend '{spec}' needs a model", hint=f"use {prefix}:MODEL_NAME")
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise UserError(
            f"unknown option {unknown[0]!r} in backend spec '{spec}'",
            hint=f"options for {prefix}: {', '.join(sorted(allowed))}",
        )
    return dict(options)


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
