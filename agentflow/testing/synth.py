"""Deterministic synthesis of a JSON value that validates against a JSON Schema.

Used by the ``test`` backend to answer structured-output requests and tool calls without a model.
It covers the schema subset pydantic and tool specs produce: objects, arrays, scalars, enums,
``const``, ``default``, ``anyOf``/``oneOf``/``allOf`` and local ``$ref``s.
"""

from __future__ import annotations

from typing import Any

__all__ = ["synthesize"]

_MAX_DEPTH = 12


def synthesize(schema: dict[str, Any], root: dict[str, Any] | None = None, depth: int = 0) -> Any:
    """Return the simplest value valid under ``schema`` (booleans are ``True``, numbers their minimum)."""
    root = root if root is not None else schema
    if depth > _MAX_DEPTH:
        return None
    if "$ref" in schema:
        return synthesize(_resolve(schema["$ref"], root), root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if "default" in schema:
        return schema["default"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return synthesize(options[0], root, depth + 1)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(_resolve(part["$ref"], root) if "$ref" in part else part)
        return synthesize(merged, root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    return _by_type(str(kind), schema, root, depth)


def _by_type(kind: str, schema: dict[str, Any], root: dict[str, Any], depth: int) -> Any:
    if kind == "object":
        props: dict[str, Any] = schema.get("properties", {})
        return {name: synthesize(sub, root, depth + 1) for name, sub in props.items()}
    if kind == "array":
        items = schema.get("items", {"type": "string"})
        count = max(int(schema.get("minItems", 1)), 1)
        return [synthesize(items, root, depth + 1) for _ in range(count)]
    if kind == "string":
        text = "test"
        return text.ljust(int(schema.get("minLength", 0)), "x")
    if kind == "integer":
        return int(schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1 if "exclusiveMinimum" in schema else 1))
    if kind == "number":
        return float(schema.get("minimum", 1.0))
    if kind == "boolean":
        return True
    return None


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    if not ref.startswith("#/"):
        return {}
    node: Any = root
    for part in ref[2:].split("/"):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}
