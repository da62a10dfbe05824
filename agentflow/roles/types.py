"""Message kinds to pydantic types: the built-ins from :mod:`agentflow.messages` plus inline schemas.

A :class:`TypeRegistry` maps each ``kind`` to its message class. Inline role output schemas
(:class:`~agentflow.roles.spec.OutputSchema`) become frozen :class:`~agentflow.messages.Message`
subclasses here, so a user-defined output is as typed as a built-in one and the PDL compiler can
check field accesses (``verdict.ok``) against it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, create_model

from agentflow import messages as m
from agentflow.roles.spec import FieldSpec, OutputSchema

__all__ = ["BUILTIN_KINDS", "TypeRegistry", "model_from_schema", "output_json_schema"]

BUILTIN_KINDS: dict[str, type[m.Message]] = {
    cls.model_fields["kind"].default: cls
    for cls in (m.Task, m.Plan, m.Action, m.Observation, m.Critique, m.Verdict, m.Revision, m.Lesson,
                m.Answer, m.UserTurn, m.AgentTurn)
}
"""``kind`` -> class for every built-in message."""

_PLAIN: dict[str, Any] = {
    "str": str, "int": int, "float": float, "bool": bool, "list[str]": list[str], "list[int]": list[int],
    "list[float]": list[float], "dict": dict[str, Any], "any": Any, "list": list[Any],
}


def _field_type(spec: FieldSpec) -> Any:
    if spec.enum:
        return Literal[tuple(spec.enum)]
    return _PLAIN[spec.type]


def model_from_schema(schema: OutputSchema) -> type[m.Message]:
    """Build the frozen message class an inline output schema describes (``kind`` = its name)."""
    fields: dict[str, Any] = {"kind": (Literal[schema.name], schema.name)}
    for name, spec in schema.fields.items():
        annotation = _field_type(spec)
        if spec.default is not None:
            fields[name] = (annotation, Field(default=spec.default, description=spec.description))
        elif not spec.required:
            fields[name] = (annotation | None, Field(default=None, description=spec.description))
        else:
            fields[name] = (annotation, Field(description=spec.description))
    cls: type[m.Message] = create_model(
        _class_name(schema.name), __base__=m.Message, __doc__=schema.description or None, **fields
    )
    return cls


def _class_name(kind: str) -> str:
    return "".join(part.capitalize() for part in kind.split("_")) or "Output"


def output_json_schema(cls: type[m.Message]) -> dict[str, Any]:
    """The JSON Schema a model must answer with: the message schema without the ``kind`` tag."""
    schema = cls.model_json_schema()
    props = dict(schema.get("properties", {}))
    props.pop("kind", None)
    schema["properties"] = props
    if "required" in schema:
        schema["required"] = [r for r in schema["required"] if r != "kind"]
    return schema


class TypeRegistry:
    """The message types a set of roles and workflows can use, by ``kind``."""

    def __init__(self) -> None:
        self._types: dict[str, type[m.Message]] = dict(BUILTIN_KINDS)

    def register(self, cls: type[m.Message]) -> None:
        """Add a user-defined message class (its ``kind`` default names it)."""
        kind = cls.model_fields["kind"].default
        if not isinstance(kind, str) or not kind:
            raise ValueError(f"{cls.__name__} needs a literal `kind` with a default")
        self._types[kind] = cls

    def get(self, kind: str) -> type[m.Message] | None:
        """The class of ``kind``, or ``None``."""
        return self._types.get(kind)

    def kinds(self) -> list[str]:
        """Every known kind, sorted."""
        return sorted(self._types)
