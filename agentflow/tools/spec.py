"""Tool specifications: one internal shape (name, description, JSON Schemas) for every tool source.

Tools come from typed Python callables (:meth:`ToolSpec.from_callable`), from PDL ``APIs`` entries
and FlowAgent tool files (mapped by the PDL loader), or from explicit JSON Schema.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from agentflow.backends.base import ToolDef

__all__ = ["ToolSpec"]


class ToolSpec(BaseModel):
    """What a tool is: its name, what it does, its argument and result schemas, and its policies.

    Attributes:
        parameters: JSON Schema (``type: object``) of the arguments.
        returns: JSON Schema of the result fields (used for mocks and value conditions).
        idempotent: whether re-running after a crash is safe (the journal's resume policy).
        secret_fields: argument/result fields whose values never reach traces or stores.
        http: an HTTP endpoint binding (``{"url": ..., "method": ...}``) when the spec declares one.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    returns: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    idempotent: bool = False
    secret_fields: tuple[str, ...] = ()
    http: dict[str, Any] | None = None

    def to_def(self) -> ToolDef:
        """The model-facing definition."""
        return ToolDef(name=self.name, description=self.description, parameters=self.parameters)

    @classmethod
    def from_callable(cls, fn: Callable[..., Any], *, name: str | None = None, idempotent: bool = False) -> ToolSpec:
        """Derive a spec from a typed function: parameters from its signature, description from its docstring."""
        hints = get_type_hints(fn)
        props: dict[str, Any] = {}
        required: list[str] = []
        for pname, param in inspect.signature(fn).parameters.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            annotation = hints.get(pname, Any)
            schema = TypeAdapter(annotation).json_schema() if annotation is not Any else {}
            if param.default is inspect.Parameter.empty:
                required.append(pname)
            else:
                schema = {**schema, "default": param.default} if _jsonable(param.default) else schema
            props[pname] = schema
        parameters: dict[str, Any] = {"type": "object", "properties": props}
        if required:
            parameters["required"] = required
        doc = inspect.getdoc(fn) or ""
        return cls(
            name=name or fn.__name__,
            description=doc.split("\n\n")[0].strip(),
            parameters=parameters,
            idempotent=idempotent,
        )


def _jsonable(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)
