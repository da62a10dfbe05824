"""Secret redaction for everything agentflow writes (traces, logs, stores). Stdlib only (layer 0).

A :class:`Redactor` knows secret *values* (taken from the environment at the edge, or declared secret
fields of tools) and secret *shapes* (provider key patterns, bearer tokens) and replaces both with
``"***"`` inside any JSON-like value. Writers call it on every record before it leaves the process.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["REDACTED", "Redactor", "secret_env_values"]

REDACTED = "***"

_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)", re.IGNORECASE)
_SECRET_SHAPES = re.compile(
    r"(sk-[A-Za-z0-9_\-]{16,}|sk-ant-[A-Za-z0-9_\-]{16,}|Bearer\s+[A-Za-z0-9._\-]{16,}"
    r"|ghp_[A-Za-z0-9]{20,}|xox[bp]-[A-Za-z0-9\-]{16,}|AKIA[0-9A-Z]{16})"
)
_SECRET_FIELD = re.compile(r"^(api[_-]?key|authorization|password|secret|token|access[_-]?token)$", re.IGNORECASE)
# Fast pre-check over JSON text (see Redactor.may_hide): prefixes of every secret shape, secret-named keys.
_SHAPE_PREFIXES = ("sk-", "Bearer", "ghp_", "xoxb-", "xoxp-", "AKIA")
_FIELD_IN_JSON = re.compile(r'"(api[_-]?key|authorization|password|secret|token|access[_-]?token)"\s*:', re.IGNORECASE)
_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f\x7f-\U0010ffff]')  # may be written differently in JSON text


def secret_env_values(environ: Mapping[str, str], min_len: int = 8) -> set[str]:
    """Values of environment variables whose *names* look secret (``*_API_KEY``, ``*TOKEN`` ...)."""
    return {v for k, v in environ.items() if _SECRET_NAME.search(k) and len(v) >= min_len}


class Redactor:
    """Replaces known secret values, secret-looking strings and secret-named fields with ``***``.

    Args:
        values: exact secret strings to hide wherever they appear (also as substrings).
        fields: extra field names whose values are always hidden (declared secret tool fields).
    """

    def __init__(self, values: Iterable[str] = (), fields: Iterable[str] = ()) -> None:
        self._values = sorted({v for v in values if v}, key=len, reverse=True)
        self._fields = {f.lower() for f in fields}

    def add_values(self, values: Iterable[str]) -> None:
        """Learn more secret values (e.g. a tool result field declared secret)."""
        merged = set(self._values) | {v for v in values if v}
        self._values = sorted(merged, key=len, reverse=True)

    def learn(self, value: Any, fields: Iterable[str] = ()) -> list[str]:
        """Learn the *values* held under secret fields of ``value`` (a tool result), and return them.

        Field-name redaction only covers structured data; once a model copies a token from a tool
        result into its reply, the reply is plain text where only known values can be found. Learned:
        values under ``fields`` (declared secret fields) and values this redactor hides whole because
        of their field name or shape.
        """
        names = {f.lower() for f in fields}
        found = _values_under(value, names) if names else []
        found += _hidden_values(value, self(value))
        if found:
            self.add_values(found)
        return found

    def may_hide(self, json_text: str) -> bool:
        """Whether redacting the value that ``json_text`` (its ``json.dumps``) encodes could change it.

        A conservative, fast pre-check (substring scans, no walk): ``False`` means the value holds no
        known secret value, no secret shape and no secret-named field, so writers may skip the walk.
        """
        if any(v in json_text or _JSON_ESCAPED.search(v) for v in self._values):
            return True
        if any(p in json_text for p in _SHAPE_PREFIXES) or _FIELD_IN_JSON.search(json_text):
            return True
        lowered = json_text.lower()
        return any(f'"{f}"' in lowered or _JSON_ESCAPED.search(f) for f in self._fields)

    def text(self, value: str) -> str:
        """Redact one string."""
        for secret in self._values:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return _SECRET_SHAPES.sub(REDACTED, value)

    def __call__(self, value: Any) -> Any:
        """Redact any JSON-like value (dicts, lists, strings); other scalars pass through."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            out: dict[Any, Any] = {}
            for k, v in value.items():
                key = str(k)
                if _SECRET_FIELD.match(key) or key.lower() in self._fields:
                    out[k] = REDACTED if v not in (None, "") else v
                else:
                    out[k] = self(v)
            return out
        if isinstance(value, list | tuple):
            return [self(v) for v in value]
        return value


def _values_under(value: Any, names: set[str]) -> list[str]:
    """Scalar values of fields named in ``names`` (lower case) anywhere inside ``value``."""
    out: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if str(key).lower() in names and isinstance(item, str | int | float) and str(item):
                out.append(str(item))
            else:
                out.extend(_values_under(item, names))
    elif isinstance(value, list | tuple):
        for item in value:
            out.extend(_values_under(item, names))
    return out


def _hidden_values(original: Any, redacted: Any) -> list[str]:
    """Strings the redactor replaced whole (secret-named fields such as ``access_token``)."""
    if isinstance(original, str):
        return [original] if redacted == REDACTED and original != REDACTED and len(original) >= 4 else []
    out: list[str] = []
    if isinstance(original, Mapping) and isinstance(redacted, Mapping):
        for key, item in original.items():
            out.extend(_hidden_values(item, redacted.get(key)))
    elif isinstance(original, list | tuple) and isinstance(redacted, list | tuple):
        for item, hidden in zip(original, redacted, strict=False):
            out.extend(_hidden_values(item, hidden))
    return out
