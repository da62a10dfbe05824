"""A backend spec (``--backend openai:gpt-4o?timeout=30``) parsed ONCE, at the edge, into a typed value.

Everything below the edge (the choice of backend per role, the stack builder, the providers, the
price table) reads :class:`BackendSpec` fields instead of splitting the string again. A spec is
``PROVIDER[:TARGET][?key=value&...]``: ``test``, ``scripted:FILE``, ``local``, ``openai:MODEL``,
``anthropic:MODEL``, ``litellm:MODEL``, ``vllm:MODEL_OR_PATH``, ``vllm+http://HOST:PORT[/v1]:MODEL``,
``hf:PATH_OR_ID``. Options are a URL query string: a spec stays one shell word.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import parse_qsl

from agentflow.errors import UserError

__all__ = ["OFFLINE_PROVIDERS", "BackendSpec", "parse_spec"]

OFFLINE_PROVIDERS = frozenset({"test", "scripted"})
"""Deterministic in-process backends: retrying their errors cannot help, and they need no key."""


@dataclass(frozen=True)
class BackendSpec:
    """One parsed spec.

    Attributes:
        provider: the lower-cased prefix (``openai``, ``vllm+http``, ``scripted``...).
        target: what follows the first ``:`` up to ``?`` (a model, a path, ``//host:port:model``).
        options: the ``?key=value`` pairs, in order.
        text: the spec as written (for messages, cache namespaces and recordings).
        where: where it was written (``--backend``, ``--fallback``, a file), for error messages.
    """

    provider: str
    target: str = ""
    options: tuple[tuple[str, str], ...] = ()
    text: str = ""
    where: str = "--backend"

    @property
    def rest(self) -> str:
        """``TARGET[?options]`` as written: what follows ``PROVIDER:``."""
        return self.text.partition(":")[2].strip()

    @property
    def offline(self) -> bool:
        """Whether this is a deterministic test backend (``test``, ``scripted:``)."""
        return self.provider in OFFLINE_PROVIDERS

    @property
    def scripted(self) -> bool:
        return self.provider == "scripted"

    def option_map(self, allowed: Collection[str]) -> dict[str, str]:
        """The options as a dict; one this provider does not know is a :class:`UserError`."""
        unknown = [k for k, _ in self.options if k not in allowed]
        if unknown:
            raise UserError(f"{self.where}: unknown option {unknown[0]!r} in backend spec {self.text!r}",
                            hint=f"options for {self.provider}: {', '.join(sorted(allowed))}")
        return dict(self.options)

    def model_and_options(self, allowed: Collection[str]) -> tuple[str, dict[str, str]]:
        """The target (required) and the checked options, e.g. for ``openai:MODEL?timeout=5``."""
        if not self.target:
            raise UserError(f"{self.where}: backend {self.text!r} needs a model",
                            hint=f"use {self.provider}:MODEL_NAME")
        return self.target, self.option_map(allowed)

    def __str__(self) -> str:
        return self.text


def parse_spec(text: str | BackendSpec, *, where: str = "--backend") -> BackendSpec:
    """Parse ``PROVIDER[:TARGET][?options]`` (a :class:`BackendSpec` is returned as it is).

    Raises:
        UserError: an empty spec or provider, naming ``where`` it was written.
    """
    if isinstance(text, BackendSpec):
        return text
    written = text.strip()
    prefix, _, rest = written.partition(":")
    provider = prefix.strip().lower()
    if not provider:
        raise UserError(f"{where}: empty backend spec {text!r}", hint="e.g. --backend openai:gpt-4o-mini")
    target, _, query = rest.partition("?")
    options = tuple(parse_qsl(query, keep_blank_values=True)) if query else ()
    return BackendSpec(provider=provider, target=target.strip(), options=options, text=written, where=where)
