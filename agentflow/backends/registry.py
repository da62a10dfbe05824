"""The providers agentflow ships, by spec prefix, imported only when a spec names them.

This is the table of real providers only; :mod:`agentflow.models.providers` composes it with the
test backends (``test``, ``scripted:``) from :mod:`agentflow.testing`, so ``backends`` never reaches
up into ``testing``. A spec is parsed once, by :func:`agentflow.models.spec.parse_spec`; a provider
factory receives its parts — the target (model, path or server), the ``?options`` as a mapping, which
it checks against its own vocabulary — and the environment.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

from agentflow.backends.base import Backend
from agentflow.errors import UserError

__all__ = ["PROVIDERS", "ProviderFactory", "load_provider"]

ProviderFactory = Callable[[str, Mapping[str, str], Mapping[str, str]], Backend]
"""``(target, options, environ) -> Backend``: for ``openai:gpt-4o?timeout=5``, ``("gpt-4o", {"timeout": "5"}, env)``."""

PROVIDERS: Mapping[str, str] = {
    "openai": "agentflow.backends.openai:from_spec",
    "anthropic": "agentflow.backends.anthropic:from_spec",
    "litellm": "agentflow.backends.litellm:from_spec",
    "vllm": "agentflow.backends.vllm:from_spec",
    "vllm+http": "agentflow.backends.vllm_server:from_spec",
    "vllm+https": "agentflow.backends.vllm_server:from_spec_https",
    "hf": "agentflow.backends.hf:from_spec",
    "local": "agentflow.backends.local:from_spec",
}
"""prefix -> ``"module:factory"`` (a :data:`ProviderFactory`)."""

_EXTRAS = {"hf": "local", "local": "local", "vllm": "vllm"}  # the extras pyproject declares


def load_provider(prefix: str) -> ProviderFactory:
    """The factory for ``prefix`` (a key of :data:`PROVIDERS`), importing its module now.

    Raises:
        KeyError: not a provider of this table.
        UserError: the provider's Python package is not installed (with the pip command that adds it).
    """
    module_name, _, attr = PROVIDERS[prefix].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        extra = _EXTRAS.get(prefix.split("+")[0])
        hint = f"pip install 'agentflow[{extra}]'" if extra else f"pip install {exc.name}"
        raise UserError(f"backend {prefix!r} is unavailable: missing Python package {exc.name!r}",
                        hint=hint) from None
    factory: ProviderFactory = getattr(module, attr)
    return factory
