"""Prompt templates: Jinja2 in an immutable sandbox, with strict undefined variables.

Role prompts are user-editable files, so they render in
:class:`jinja2.sandbox.ImmutableSandboxedEnvironment` (no attribute tricks, no mutation of the
inputs). A variable the prompt uses but the caller did not pass is an error that names the role and
the variable, never an empty string silently sent to the model.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel

from agentflow.errors import Location, RunError, UserError

__all__ = ["PromptTemplate", "make_environment", "to_jsonable"]


def to_jsonable(value: Any) -> Any:
    """Messages and other pydantic models as plain data (for ``tojson`` and prompts)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def _tojson(value: Any, indent: int | None = None) -> str:
    return json.dumps(to_jsonable(value), ensure_ascii=False, indent=indent, default=str)


def make_environment() -> ImmutableSandboxedEnvironment:
    """The sandboxed environment every role prompt renders in."""
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False, trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson"] = _tojson
    return env


class PromptTemplate:
    """A compiled prompt template of one role.

    Args:
        source: the template text.
        where: the role file (for error locations).
        field: which field of the file it came from (``prompt`` or ``system``).
        env: the sandboxed environment (share one per library).
        line_offset: the line in the file where the template text starts.
    """

    def __init__(
        self, source: str, *, where: str, field: str, env: ImmutableSandboxedEnvironment, line_offset: int = 0
    ) -> None:
        self.source = source
        self.where = where
        self.field = field
        self._env = env
        self._template: Template | None = None  # compiled on first render: loading stays cheap
        try:
            env.parse(source)  # syntax errors surface at load time, with their line
        except TemplateSyntaxError as exc:
            raise UserError(
                f"{field} template: {exc.message}", location=Location(where, line_offset + (exc.lineno or 1)),
                hint="fix the Jinja2 syntax ({{ var }}, {% if %}...{% endif %})",
            ) from None

    def render(self, variables: Mapping[str, Any]) -> str:
        """Render with ``variables``; a missing variable is a :class:`UserError` naming it."""
        if self._template is None:
            self._template = self._env.from_string(self.source)
        try:
            return self._template.render(**variables).strip()
        except UndefinedError as exc:
            given = ", ".join(sorted(variables)) or "none"
            raise UserError(
                f"{self.field} template of {self.where} uses an undefined value: {exc.message}",
                hint=f"pass it as an input of the role call (given: {given})",
            ) from None
        except SecurityError as exc:
            raise RunError(f"{self.field} template of {self.where} tried an unsafe operation: {exc}") from None
