"""Load role files: ``roles/*.yaml`` (built-ins) overridden by the user's own folders.

:class:`RoleLibrary` holds loaded :class:`Role` objects by name. Built-ins come from the ``roles/``
folder shipped with agentflow; each extra folder given (in order) adds roles and overrides built-ins
of the same name, so a project customises ``judge`` by dropping its own ``roles/judge.yaml``.
Every problem is a one-line :class:`~agentflow.errors.UserError` with ``path:line:col``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from agentflow.errors import Location, UserError
from agentflow.messages import Message
from agentflow.roles.render import PromptTemplate, make_environment
from agentflow.roles.spec import RoleSpec
from agentflow.roles.types import TypeRegistry, model_from_schema
from agentflow.safeload import compose_yaml, construct_yaml, read_text

__all__ = ["Role", "RoleLibrary", "builtin_roles_dir", "load_role_file"]



def builtin_roles_dir() -> Path:
    """The folder of built-in role files.

    An installed wheel carries them in ``agentflow/_bundled/roles`` (copied by the build, see
    ``setup.py``); a checkout or an editable install reads the repository's top-level ``roles/``.
    """
    here = Path(__file__).resolve()
    bundled = here.parents[1] / "_bundled" / "roles"
    return bundled if bundled.is_dir() else here.parents[2] / "roles"


@dataclass(frozen=True)
class Role:
    """A loaded role: its spec, its typed output class and its compiled templates."""

    spec: RoleSpec
    output_type: type[Message]
    prompt: PromptTemplate
    system: PromptTemplate | None
    source: str = "<inline>"
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The role's name."""
        return self.spec.name

    def render(self, inputs: Mapping[str, Any]) -> tuple[str, str]:
        """``(system, user)`` prompts for ``inputs``."""
        system = self.system.render(inputs) if self.system is not None else self.spec.purpose
        return system, self.prompt.render(inputs)

    @classmethod
    def from_spec(cls, spec: RoleSpec, *, types: TypeRegistry | None = None, source: str = "<inline>") -> Role:
        """Compile a spec into a role (``types`` resolves built-in output kinds and receives inline ones).

        Raises:
            UserError: unknown output kind or a template syntax error.
        """
        registry = types if types is not None else TypeRegistry()
        if isinstance(spec.produces, str):
            output = registry.get(spec.produces)
            if output is None:
                raise UserError(
                    f"role {spec.name!r} produces unknown message kind {spec.produces!r}",
                    location=Location(source), hint=f"use one of {', '.join(registry.kinds())} or an inline schema",
                )
        else:
            output = model_from_schema(spec.produces)
            registry.register(output)
        env = make_environment()
        prompt = PromptTemplate(spec.prompt, where=source, field="prompt", env=env)
        system = PromptTemplate(spec.system, where=source, field="system", env=env) if spec.system else None
        return cls(spec=spec, output_type=output, prompt=prompt, system=system, source=source)


def _mark_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> yaml.Mark | None:
    """The position of the YAML node at pydantic error path ``loc`` (as deep as it resolves)."""
    if node is None:
        return None
    mark = node.start_mark
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next(((k, v) for k, v in node.value if getattr(k, "value", None) == part), None)
            if nxt is None:
                break
            mark, node = nxt[0].start_mark, nxt[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            mark = node.start_mark
        else:
            break
    return mark


def load_role_file(path: str | Path, *, types: TypeRegistry | None = None) -> Role:
    """Load and validate one role file.

    Raises:
        UserError: unreadable file, bad YAML, a schema violation (with its line), a name that does
            not match the file name, unknown output kind or a template syntax error.
    """
    p = Path(path)
    where = str(p)
    text = read_text(p, "role file")
    root = compose_yaml(text, where)  # bounded: size, depth, alias expansion (agentflow.safeload)
    raw = None if root is None else construct_yaml(root, where)
    if not isinstance(raw, dict):
        raise UserError("a role file must be a YAML mapping", location=Location(where, 1, 1),
                        hint="start with `name: ...`, `purpose: ...`, `prompt: ...`, `produces: ...`")
    try:
        spec = RoleSpec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        mark = _mark_of(root, tuple(first["loc"]))
        loc = Location(where, mark.line + 1, mark.column + 1) if mark else Location(where)
        dotted = ".".join(str(p) for p in first["loc"]) or "file"
        raise UserError(f"{dotted}: {first['msg']}", location=loc,
                        hint="run `agentflow schema role` for the allowed keys") from None
    if spec.name != p.stem:
        raise UserError(f"role name {spec.name!r} does not match the file name {p.name!r}",
                        location=Location(where), hint=f"rename the file to {spec.name}.yaml or fix `name:`")
    return Role.from_spec(spec, types=types, source=where)


class RoleLibrary:
    """Roles by name: built-ins first, then each user folder overriding what came before.

    Args:
        folders: user role folders, lowest precedence first.
        include_builtins: also load the built-in ``roles/`` folder.
        types: the type registry inline outputs are added to (a fresh one by default).
    """

    def __init__(
        self, folders: Iterable[str | Path] = (), *, include_builtins: bool = True, types: TypeRegistry | None = None
    ) -> None:
        self.types = types if types is not None else TypeRegistry()
        self._roles: dict[str, Role] = {}
        dirs = [builtin_roles_dir()] if include_builtins else []
        for folder in [*dirs, *(Path(f) for f in folders)]:
            self.add_folder(folder)

    def add_folder(self, folder: str | Path) -> None:
        """Load every ``*.yaml`` / ``*.yml`` of ``folder``; later roles override earlier ones."""
        d = Path(folder)
        if not d.is_dir():
            raise UserError(f"role folder {d} does not exist", hint="pass an existing folder of NAME.yaml files")
        for path in sorted([*d.glob("*.yaml"), *d.glob("*.yml")]):
            self.add(load_role_file(path, types=self.types))

    def add(self, role: Role | RoleSpec) -> Role:
        """Add (or override) one role."""
        loaded = role if isinstance(role, Role) else Role.from_spec(role, types=self.types)
        self._roles[loaded.name] = loaded
        return loaded

    def get(self, name: str) -> Role:
        """The role called ``name``.

        Raises:
            UserError: no such role (the message lists the known ones).
        """
        role = self._roles.get(name)
        if role is None:
            raise UserError(f"unknown role {name!r}",
                            hint=f"known roles: {', '.join(sorted(self._roles)) or 'none'}; add roles/{name}.yaml")
        return role

    def __contains__(self, name: object) -> bool:
        return name in self._roles

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._roles))

    def __len__(self) -> int:
        return len(self._roles)
