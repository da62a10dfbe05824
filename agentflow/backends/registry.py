"""Backend specs (``--backend SPEC``) to backend objects, with lazy provider imports.

A spec is ``PREFIX[:REST]``: ``test``, ``scripted:FILE``, ``local``, ``openai:MODEL``,
``anthropic:MODEL``, ``litellm:MODEL``, ``vllm:MODEL_OR_PATH``, ``vllm+http://HOST:PORT[/v1]:MODEL``,
``hf:PATH_OR_ID``. ``ROLE=SPEC`` assigns a backend to one role. Provider modules are imported only
when a spec names them, so ``import agentflow`` stays light.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agentflow.backends.base import Backend
from agentflow.errors import UserError

__all__ = ["BackendPlan", "build_backend", "default_spec", "parse_backend_args", "split_spec"]

# prefix -> "module:factory"; each factory is ``(rest: str, environ: Mapping[str, str]) -> Backend``.
_FACTORIES: dict[str, str] = {
    "openai": "agentflow.backends.openai:from_spec",
    "anthropic": "agentflow.backends.anthropic:from_spec",
    "litellm": "agentflow.backends.litellm:from_spec",
    "vllm": "agentflow.backends.vllm:from_spec",
    "vllm+http": "agentflow.backends.vllm_server:from_spec",
    "vllm+https": "agentflow.backends.vllm_server:from_spec_https",
    "hf": "agentflow.backends.hf:from_spec",
    "local": "agentflow.backends.local:from_spec",
}

_HOSTED_DEFAULTS = (
    ("OPENAI_API_KEY", "openai:gpt-4o-mini"),
    ("ANTHROPIC_API_KEY", "anthropic:claude-haiku-4-5"),
)


def split_spec(spec: str) -> tuple[str, str]:
    """``"openai:gpt-4o"`` -> ``("openai", "gpt-4o")``; ``"vllm+http://h:1:m"`` -> ``("vllm+http", "//h:1:m")``."""
    prefix, _, rest = spec.partition(":")
    return prefix.strip().lower(), rest.strip()


def default_spec(environ: Mapping[str, str]) -> str:
    """The hosted provider whose key is set, else the bundled local model."""
    for var, spec in _HOSTED_DEFAULTS:
        if environ.get(var):
            return spec
    return "local"


def build_backend(
    spec: str,
    *,
    environ: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
    roles: set[str] | None = None,
) -> Backend:
    """Build the backend a spec names.

    Args:
        spec: the spec, e.g. ``openai:gpt-4o`` or ``scripted:agent.yaml``.
        environ: environment to read keys from (defaults to ``os.environ``; read only here).
        base_dir: where relative script paths are resolved.
        roles: for ``scripted:``, the roles the script speaks for (others use the test backend).

    Raises:
        UserError: unknown prefix, missing argument, or a provider that is not installed.
    """
    env = os.environ if environ is None else environ
    prefix, rest = split_spec(spec)
    if prefix == "test":
        from agentflow.testing import SchemaBackend

        return SchemaBackend()
    if prefix == "scripted":
        from agentflow.testing import SchemaBackend, ScriptedBackend, load_script

        if not rest:
            raise UserError("`scripted:` needs a file", hint="use --backend scripted:agent.yaml")
        path = Path(rest)
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        return ScriptedBackend(load_script(path), roles=roles, fallback=SchemaBackend(), source=str(rest))
    target = _FACTORIES.get(prefix)
    if target is None:
        known = ", ".join(["test", "scripted:FILE", *(f"{p}:MODEL" for p in _FACTORIES)])
        raise UserError(f"unknown backend {spec!r}", hint=f"use one of: {known}")
    if not rest and prefix != "local":
        raise UserError(f"backend {spec!r} needs a model", hint=f"use {prefix}:MODEL_NAME")
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise UserError(
            f"backend {prefix!r} is unavailable: missing Python package {exc.name!r}",
            hint=f"pip install 'agentflow[{_extra_for(prefix)}]'",
        ) from None
    factory: Callable[[str, Mapping[str, str]], Backend] = getattr(module, attr)
    return factory(rest, env)


def _extra_for(prefix: str) -> str:
    return {"hf": "local", "local": "local", "vllm": "vllm"}.get(prefix.split("+")[0], "all")


@dataclass
class BackendPlan:
    """Which backend serves which role: ``default`` for all, ``per_role`` overrides."""

    default: str | None = None
    per_role: dict[str, str] = field(default_factory=dict)

    def spec_for(self, role: str, environ: Mapping[str, str]) -> str:
        """The spec a role uses."""
        return self.per_role.get(role) or self.default or default_spec(environ)


def parse_backend_args(values: Sequence[str]) -> BackendPlan:
    """Parse repeated ``--backend`` values: ``SPEC`` or ``ROLE=SPEC``."""
    plan = BackendPlan()
    for value in values:
        role, sep, spec = value.partition("=")
        if sep and role and ":" not in role and "/" not in role:
            plan.per_role[role.strip()] = spec.strip()
        else:
            if plan.default is not None:
                raise UserError(f"two default backends given: {plan.default!r} and {value!r}",
                                hint="give one SPEC and use ROLE=SPEC for the others")
            plan.default = value.strip()
    return plan


