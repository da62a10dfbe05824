"""Spec -> provider backend: the shipped providers' table plus the backends registered here.

:data:`agentflow.backends.registry.PROVIDERS` holds the real providers; the deterministic test
backends (``test``, ``scripted:FILE``) live in :mod:`agentflow.testing` and are registered here, one
layer up, so neither package imports the other. :class:`Providers` is a value (no global registry):
pass your own with :meth:`Providers.with_factory` to add a provider.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from agentflow.backends.base import Backend
from agentflow.backends.registry import PROVIDERS, load_provider
from agentflow.errors import UserError
from agentflow.models.spec import BackendSpec, parse_spec

__all__ = ["BuildContext", "Providers", "build_backend", "default_spec"]

_HOSTED_DEFAULTS = (
    ("OPENAI_API_KEY", "openai:gpt-4o-mini"),
    ("ANTHROPIC_API_KEY", "anthropic:claude-haiku-4-5"),
)


@dataclass(frozen=True)
class BuildContext:
    """What a factory may need besides the spec: keys, where scripts are, whom a script speaks for."""

    environ: Mapping[str, str]
    base_dir: Path | None = None
    roles: frozenset[str] | None = None


Factory = Callable[[BackendSpec, BuildContext], Backend]


def _test(spec: BackendSpec, ctx: BuildContext) -> Backend:
    from agentflow.testing import SchemaBackend

    return SchemaBackend()


def _scripted(spec: BackendSpec, ctx: BuildContext) -> Backend:
    from agentflow.testing import SchemaBackend, ScriptedBackend, load_script

    if not spec.rest:
        raise UserError(f"{spec.where}: `scripted:` needs a file", hint="use --backend scripted:agent.yaml")
    path = Path(spec.rest)
    if ctx.base_dir is not None and not path.is_absolute():
        path = ctx.base_dir / path
    roles = set(ctx.roles) if ctx.roles is not None else None
    return ScriptedBackend(load_script(path), roles=roles, fallback=SchemaBackend(), source=spec.rest)


def default_spec(environ: Mapping[str, str]) -> BackendSpec:
    """The hosted provider whose key is set, else the bundled local model."""
    for var, text in _HOSTED_DEFAULTS:
        if environ.get(var):
            return parse_spec(text)
    return parse_spec("local")


@dataclass(frozen=True)
class Providers:
    """Provider prefix -> factory: the test backends here, then the shipped providers' table."""

    factories: Mapping[str, Factory] = field(default_factory=lambda: {"test": _test, "scripted": _scripted})

    def with_factory(self, prefix: str, factory: Factory) -> Providers:
        """A table with one more (or a replaced) provider."""
        return Providers({**self.factories, prefix.lower(): factory})

    def known(self) -> list[str]:
        """Every prefix, as a user writes it (for hints)."""
        extra = [p if p == "test" else f"{p}:FILE" if p == "scripted" else f"{p}:MODEL" for p in self.factories]
        return [*extra, *(p if p == "local" else f"{p}:MODEL" for p in PROVIDERS if p not in self.factories)]

    def build(self, spec: BackendSpec, ctx: BuildContext) -> Backend:
        """The provider backend ``spec`` names.

        Raises:
            UserError: an unknown prefix (naming where it was written), a missing model, a provider
                that is not installed, a missing key.
        """
        own = self.factories.get(spec.provider)
        if own is not None:
            return own(spec, ctx)
        if spec.provider not in PROVIDERS:
            raise UserError(f"{spec.where}: unknown backend {spec.text!r}",
                            hint=f"use one of: {', '.join(self.known())}")
        if not spec.target and spec.provider != "local":
            raise UserError(f"{spec.where}: backend {spec.text!r} needs a model",
                            hint=f"use {spec.provider}:MODEL_NAME")
        return load_provider(spec.provider)(spec.target, dict(spec.options), ctx.environ)


def build_backend(spec: str | BackendSpec, *, environ: Mapping[str, str] | None = None,
                  base_dir: Path | None = None, roles: set[str] | None = None,
                  providers: Providers | None = None) -> Backend:
    """Build the bare provider a spec names (no wrappers; :func:`agentflow.models.stack.build_stack`
    adds them).

    Args:
        spec: e.g. ``openai:gpt-4o`` or ``scripted:agent.yaml`` (parsed here when a string).
        environ: where keys are read (default ``os.environ``; read only here).
        base_dir: where relative script paths are resolved.
        roles: for ``scripted:``, the roles the script speaks for (others use the test backend).
    """
    ctx = BuildContext(os.environ if environ is None else environ, base_dir,
                       frozenset(roles) if roles is not None else None)
    return (providers or Providers()).build(parse_spec(spec), ctx)
