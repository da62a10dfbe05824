"""Which backend serves which role: a :class:`BackendChoice`, built once from ``--backend`` values or
from what an app passes (a spec, a backend object, a mapping), with ONE default key, ``"*"``.

``--backend SPEC`` sets the default; ``--backend ROLE=SPEC`` one role (repeatable). A mapping
``{"*": "openai:gpt-4o", "judge": backend_object}`` mixes specs and objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentflow.backends.base import Backend
from agentflow.errors import UserError
from agentflow.models.spec import BackendSpec, parse_spec

__all__ = ["DEFAULT", "BackendArg", "BackendChoice"]

DEFAULT = "*"
"""The key of the default backend in a mapping (every role not named)."""

Entry = BackendSpec | Backend



@dataclass(frozen=True)
class BackendChoice:
    """Role -> spec or backend object; ``DEFAULT`` (``"*"``) for every role not named."""

    per_role: Mapping[str, Entry] = field(default_factory=dict)

    @property
    def default(self) -> Entry | None:
        return self.per_role.get(DEFAULT)

    def named(self) -> dict[str, Entry]:
        """The roles named explicitly (the default left out)."""
        return {k: v for k, v in self.per_role.items() if k != DEFAULT}

    def entry_for(self, role: str) -> Entry | None:
        """The spec or object ``role`` uses (``None``: nothing chosen, the caller's default applies)."""
        return self.per_role.get(role, self.per_role.get(DEFAULT))

    def check_roles(self, roles: Sequence[str], *, what: str = "workflow") -> None:
        """A ``ROLE=SPEC`` naming a role that does not exist is a mistake (a typo), not a no-op.

        Raises:
            UserError: naming the unknown role and the roles there are.
        """
        unknown = sorted(set(self.named()) - set(roles))
        if unknown:
            raise UserError(f"--backend {unknown[0]}=...: no role {unknown[0]!r} in this {what}",
                            hint=f"roles: {', '.join(sorted(roles)) or '(none)'}; use --backend SPEC for all")

    @classmethod
    def parse(cls, values: Sequence[str], *, where: str = "--backend") -> BackendChoice:
        """Repeated ``--backend`` values: ``SPEC`` or ``ROLE=SPEC``, each parsed once here.

        Raises:
            UserError: two defaults, or a bad spec.
        """
        chosen: dict[str, Entry] = {}
        for value in values:
            role, sep, spec = value.partition("=")
            if sep and role and ":" not in role and "/" not in role:
                chosen[role.strip()] = parse_spec(spec, where=f"{where} {role.strip()}=")
                continue
            if DEFAULT in chosen:
                raise UserError(f"two default backends given: {str(chosen[DEFAULT])!r} and {value!r}",
                                hint="give one SPEC and use ROLE=SPEC for the others")
            chosen[DEFAULT] = parse_spec(value, where=where)
        return cls(chosen)

    @classmethod
    def of(cls, choice: Any) -> BackendChoice:
        """A choice from what an app passes: a spec, a list of ``--backend`` values, a backend object,
        a mapping (``"*"`` the default) or a choice.

        Raises:
            UserError: a bad spec; TypeError: something that is none of these.
        """
        if isinstance(choice, BackendChoice):
            return choice
        if isinstance(choice, str | BackendSpec):
            return cls({DEFAULT: parse_spec(choice)})
        if isinstance(choice, Mapping):
            return cls({str(k): parse_spec(v, where=f"backend[{k!r}]") if isinstance(v, str) else v
                        for k, v in choice.items()})
        if isinstance(choice, Sequence):
            return cls.parse([str(v) for v in choice])
        if callable(getattr(choice, "complete", None)):
            return cls({DEFAULT: choice})
        raise TypeError("backend must be a spec, a Backend or a mapping of role to either, "
                        f"not {type(choice).__name__}")


BackendArg = str | BackendSpec | Backend | BackendChoice | Mapping[str, str | BackendSpec | Backend] | Sequence[str]
"""What the SDK accepts as ``backend=`` (the one alias; see :meth:`BackendChoice.of`)."""
