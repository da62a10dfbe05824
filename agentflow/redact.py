"""Secret redaction: the one path every writer (trace, store, record, cache, eval report, console) uses.

Stdlib only (layer 0). A :class:`Redactor` hides, with ``"***"``, inside any JSON-like value:

* **known values**, wherever they appear as substrings: values of environment variables whose names
  look secret (``OPENAI_API_KEY``, ``HF_TOKEN``, ``DB_PASSWORD`` ...), values of declared
  ``secret_fields``, and values it learned because it hid them once (a tool returned a token);
* **secret-named fields, by family**: any field whose name contains ``token``, ``secret``,
  ``password``/``passwd``/``pwd``, ``auth``/``authorization``, ``cookie``, ``credential``, ``bearer``
  or a qualified ``key`` (``api_key``, ``X-Api-Key``, ``access_key``, ``private_key`` ...), in
  snake, kebab or camel case, nested anywhere, and header pairs (``{"name": "X-Api-Key", "value": ..}``);
* **secret shapes** in any string: provider keys (``sk-``, ``sk-ant-``, ``ghp_``, ``github_pat_``,
  ``xoxb-``, ``AKIA``, ``AIza``, ``hf_``, ``glpat-``), ``Bearer``/``Basic`` credentials, JWTs, PEM
  private keys, the password of ``scheme://user:password@host``, and ``name: value`` / ``name=value``
  pairs in free text whose name is secret-looking.

Opt-out: ``keep`` names fields that are never hidden *by name* (``AGENTFLOW_REDACT_KEEP=a,b``), and
``family=False`` (``AGENTFLOW_REDACT_FAMILY=off``) restricts names to the exact built-in list. Declared
secret fields, known values and shapes are always hidden. Not covered (docs/security.md): secrets with
no known value, no secret-looking name and no known shape (e.g. a random string in a ``note`` field).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["FAMILY_ENV", "KEEP_ENV", "REDACTED", "Redactor", "is_secret_name", "secret_env_values"]

REDACTED = "***"
KEEP_ENV = "AGENTFLOW_REDACT_KEEP"
FAMILY_ENV = "AGENTFLOW_REDACT_FAMILY"

_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# a name holding one of these words is secret (``refresh_token``, ``clientSecret``, ``db-password``)
_SECRET_WORDS = frozenset({
    "token", "secret", "secrets", "password", "passwd", "pwd", "passphrase", "auth", "authorization",
    "authentication", "cookie", "cookies", "credential", "credentials", "bearer", "apikey", "privatekey",
    "accesskey", "secretkey", "otp", "pin", "cvv", "passcode",
})
# ``key`` alone is an ordinary word (journal keys, cache keys); qualified, it is secret
_KEY_QUALIFIERS = frozenset({
    "api", "access", "secret", "private", "client", "signing", "encryption", "master", "auth", "session",
    "app", "account", "service", "ssh", "gpg", "pgp", "license", "subscription", "webhook", "consumer",
    "developer", "store", "x", "hmac", "jwt", "deploy", "admin", "root", "db", "database",
})
# a secret word next to one of these names a number or a kind, not a secret (``token_count``)
_NOT_SECRET_WORDS = frozenset({
    "count", "counts", "budget", "limit", "max", "min", "num", "total", "usage", "length", "len", "size",
    "type", "ttl", "expires", "expiry", "expiration", "url", "uri", "endpoint", "method", "scheme",
    "required", "enabled", "provider", "mode", "present", "hint", "policy", "field", "fields",
})
# compound words written without separators (``DBPASSWORD``, ``xapikey``, ``refreshtoken``)
_SECRET_PARTS = ("password", "passwd", "secret", "credential", "apikey", "privatekey", "accesskey", "authorization",
                 "cookie", "passphrase")
_ENV_WORDS = _SECRET_WORDS | {"key", "keys", "dsn"}
# the shell's working directories (``PWD`` is not a password) and this module's own settings
_ENV_NOT_SECRET = frozenset({"PWD", "OLDPWD", "AGENTFLOW_REDACT_KEEP", "AGENTFLOW_REDACT_FAMILY"})
# the exact list (``family=False``)
_EXACT_FIELD = re.compile(r"^(api[_-]?key|authorization|password|secret|token|access[_-]?token)$", re.IGNORECASE)

_SHAPES = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"
    r"|\bsk-(?:ant-|proj-)?[A-Za-z0-9_\-]{16,}"
    r"|\b(?:Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=\-]{12,}"
    r"|\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}"
    r"|\bxox[abprs]-[A-Za-z0-9\-]{10,}"
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"
    r"|\bAIza[0-9A-Za-z_\-]{30,}"
    r"|\bhf_[A-Za-z0-9]{30,}"
    r"|\bglpat-[A-Za-z0-9_\-]{20,}"
    r"|\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"
)
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s/:@\"']+:)([^\s/@\"']+)(@)")
# ``name: value`` / ``name=value`` / ``"name": "value"`` in free text; the name is checked by is_secret_name
_PAIR = re.compile(
    r"""(?P<name>[A-Za-z][A-Za-z0-9_.\-]{1,63})(?P<sep>["']?\s{0,3}[:=]\s{0,3}["']?)"""
    r"""(?P<value>(?:(?:Bearer|Basic|Token)\s+)?[^\s"',;&}<>)\]]{3,})"""
)
# fast pre-check over JSON text (may_hide): a substring of every name family, shape and pattern above
_HINTS = re.compile(
    r"token(?!s)|secret|passw|pwd|passphrase|auth|cookie|credential|bearer|basic|key|otp|pin|cvv|passcode"
    r"|sk-|gh[pousr]_|github_pat_|xox|akia|asia|aiza|hf_|glpat-|eyj|://",
    re.IGNORECASE,
)
_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f\x7f-\U0010ffff]')  # may be written differently in JSON text


def _words(name: str) -> list[str]:
    return [w.lower() for w in _WORD_SPLIT.split(name) if w]


def is_secret_name(name: str, *, family: bool = True) -> bool:
    """Whether a field, header or variable called ``name`` holds a secret, judged by its name alone.

    ``family``: the name families (``refresh_token``, ``X-Api-Key``, ``dbPassword`` ...); without it,
    only the exact built-in list (``api_key``, ``authorization``, ``password``, ``secret``, ``token``,
    ``access_token``).
    """
    if not family:
        return bool(_EXACT_FIELD.match(name))
    words = _words(name)
    if not words or any(w in _NOT_SECRET_WORDS for w in words):
        return False
    if any(w in _SECRET_WORDS for w in words):
        return True
    if any(w in ("key", "keys") and i > 0 and words[i - 1] in _KEY_QUALIFIERS for i, w in enumerate(words)):
        return True
    squashed = "".join(words)
    return squashed.endswith("token") or any(part in squashed for part in _SECRET_PARTS)


def secret_env_values(environ: Mapping[str, str], min_len: int = 8) -> set[str]:
    """Values of environment variables whose *names* look secret (``*_API_KEY``, ``*TOKEN``, ``*_KEY`` ...)."""
    out: set[str] = set()
    for name, value in environ.items():
        if len(value) < min_len or name in _ENV_NOT_SECRET or _is_path(value):
            continue
        words = _words(name)
        if any(w in _ENV_WORDS for w in words) or is_secret_name(name):
            out.add(value)
    return out


def _is_path(value: str) -> bool:
    """An existing absolute path (``SSH_AUTH_SOCK``, ``GOOGLE_APPLICATION_CREDENTIALS``): where a secret
    lives, not the secret, and hiding it would break every path that starts with it."""
    return value.startswith("/") and os.path.exists(value)


class Redactor:
    """Replaces known secret values, secret-looking strings and secret-named fields with ``***``.

    Args:
        values: exact secret strings to hide wherever they appear (also as substrings).
        fields: field names whose values are always hidden (declared secret tool fields).
        keep: field names never hidden by name (the opt-out for a false positive such as ``pin_code``
            in a public schema); their values are still searched for known secrets and shapes.
        family: recognise secret names by family (default); ``False``: only the exact built-in list.
    """

    def __init__(self, values: Iterable[str] = (), fields: Iterable[str] = (), *,
                 keep: Iterable[str] = (), family: bool = True) -> None:
        self._values = sorted({v for v in values if v}, key=len, reverse=True)
        self._fields = {f.lower() for f in fields}
        self._keep = {k.lower() for k in keep} - self._fields
        self._family = family
        self._names: dict[str, bool] = {}

    @classmethod
    def for_environ(cls, environ: Mapping[str, str], fields: Iterable[str] = ()) -> Redactor:
        """The redactor of one run: secrets of ``environ``, declared ``fields``, and the opt-outs
        ``AGENTFLOW_REDACT_KEEP`` (comma-separated field names) and ``AGENTFLOW_REDACT_FAMILY=off``."""
        keep = [k.strip() for k in environ.get(KEEP_ENV, "").split(",") if k.strip()]
        family = environ.get(FAMILY_ENV, "on").strip().lower() not in ("0", "off", "false", "no")
        return cls(secret_env_values(environ), fields, keep=keep, family=family)

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
        known secret value, no secret shape and no secret-looking name, so writers may skip the walk.
        """
        if any(v in json_text or _JSON_ESCAPED.search(v) for v in self._values):
            return True
        if _HINTS.search(json_text):
            return True
        lowered = json_text.lower()
        return any(f in lowered or _JSON_ESCAPED.search(f) for f in self._fields)

    def secret_name(self, name: str) -> bool:
        """Whether this redactor hides a field called ``name`` whole (declared, or by its name)."""
        low = name.lower()
        if low in self._fields:
            return True
        if low in self._keep:
            return False
        hit = self._names.get(low)
        if hit is None:
            hit = self._names[low] = is_secret_name(name, family=self._family)
        return hit

    def text(self, value: str) -> str:
        """Redact one string: known values, shapes, URL passwords and secret ``name: value`` pairs."""
        for secret in self._values:
            if secret in value:
                value = value.replace(secret, REDACTED)
        if not _HINTS.search(value) and not self._fields:
            return value
        value = _SHAPES.sub(REDACTED, value)
        value = _URL_PASSWORD.sub(lambda m: m.group(1) + REDACTED + m.group(3), value)
        return _PAIR.sub(self._pair, value)

    def _pair(self, match: re.Match[str]) -> str:
        if match.group("value") == REDACTED or not self.secret_name(match.group("name")):
            return match.group(0)
        return match.group("name") + match.group("sep") + REDACTED

    def __call__(self, value: Any) -> Any:
        """Redact any JSON-like value (dicts, lists, strings); other scalars pass through."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return self._mapping(value)
        if isinstance(value, list | tuple):
            if len(value) == 2 and isinstance(value[0], str) and self.secret_name(value[0]):
                return [value[0], _hide(value[1])]  # a header pair ["X-Api-Key", "..."]
            return [self(v) for v in value]
        return value

    def _mapping(self, value: Mapping[Any, Any]) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        label = next((value[k] for k in ("name", "key", "header") if isinstance(value.get(k), str)), None)
        pair = isinstance(label, str) and "value" in value and self.secret_name(label)
        for k, v in value.items():
            key = str(k)
            if self.secret_name(key) or (pair and key == "value"):
                out[k] = _hide(v)
            else:
                out[k] = self(v)
        return out


def _hide(value: Any) -> Any:
    """A secret field's value hidden: every string or number inside it (empty values stay empty)."""
    if value is None or value == "" or isinstance(value, bool):
        return value
    if isinstance(value, Mapping):
        return {k: _hide(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_hide(v) for v in value]
    return REDACTED


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
