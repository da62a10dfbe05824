"""Tool definitions in the three formats found in FlowAgent data, mapped to one :class:`ToolSpec`.

1. **FlowBench** (``FlowAgent/dataset/sample/tools``): ``API``, ``API Desciption`` (sic),
   ``Input parameters`` / ``Output parameters`` as ``{field: {type, description, required}}``.
2. **JSON Schema** (``FA/dataset/v241127/tools``): ``name``, ``description``, ``parameters`` and
   ``response`` as JSON Schema objects, optional ``url``/``method``.
3. **Canvas export** (``FA/dataset/v241127_converted_*/tools``): like 2 but with platform type names
   (``int``, ``array_object``), ``enum: null``/``name: null`` placeholders and ``extra_infos``.

Field keys with stray spaces (``" description"``, ``"type "``) are trimmed, platform types become JSON
Schema types, and per-field ``required: true`` becomes the schema's ``required`` list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from agentflow.pdl.ast import Span
from agentflow.pdl.yamlsrc import YamlSource
from agentflow.tools.spec import ToolSpec

__all__ = ["ToolEntry", "normalize_schema", "read_tool_entries", "tool_from_mapping"]

_TYPES = {
    "int": "integer", "integer": "integer", "float": "number", "double": "number", "number": "number",
    "str": "string", "string": "string", "text": "string", "bool": "boolean", "boolean": "boolean",
    "list": "array", "array": "array", "dict": "object", "object": "object", "null": "null",
}  # fmt: skip
_MAX_DEPTH = 32


@dataclass(frozen=True, slots=True)
class ToolEntry:
    """A tool definition and where it was written (``span`` points at its name)."""

    spec: ToolSpec
    span: Span
    format: str


def _type(value: Any) -> dict[str, Any]:
    if not isinstance(value, str):
        return {}
    t = value.strip().lower()
    if t.startswith("array_") or t.startswith("list_"):
        inner = _TYPES.get(t.split("_", 1)[1])
        return {"type": "array", "items": {"type": inner}} if inner else {"type": "array"}
    return {"type": _TYPES[t]} if t in _TYPES else {}


def normalize_schema(raw: Any, depth: int = 0) -> dict[str, Any]:
    """A field/object schema from any of the three formats, as JSON Schema."""
    if not isinstance(raw, dict) or depth > _MAX_DEPTH:
        return {}
    clean = {str(k).strip(): v for k, v in raw.items()}
    out: dict[str, Any] = {}
    for key, value in clean.items():
        if value is None or key in ("required", "name"):
            continue
        if key == "type":
            out.update(_type(value))
        elif key == "properties" and isinstance(value, dict):
            out["properties"] = {str(k): normalize_schema(v, depth + 1) for k, v in value.items()}
        elif key == "items":
            out["items"] = normalize_schema(value, depth + 1)
        elif key == "enum" and isinstance(value, list):
            out["enum"] = [v for v in value if isinstance(v, str | int | float | bool)]
        elif key in ("description", "default", "format", "minimum", "maximum", "pattern"):
            out[key] = value if key != "description" else str(value)
    if isinstance(clean.get("name"), str) and clean["name"]:
        out["title"] = clean["name"]
    if isinstance(clean.get("required"), list):
        out["required"] = [str(r) for r in clean["required"]]
    return out


def _fields_schema(fields: Any) -> dict[str, Any]:
    """FlowBench's ``{field: {type, description, required}}`` → an object schema."""
    props: dict[str, Any] = {}
    required: list[str] = []
    if isinstance(fields, dict):
        for name, raw in fields.items():
            clean = {str(k).strip(): v for k, v in raw.items()} if isinstance(raw, dict) else {}
            props[str(name)] = normalize_schema(clean)
            if clean.get("required") is True:
                required.append(str(name))
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return schema


def _object(raw: Any) -> dict[str, Any]:
    schema = normalize_schema(raw) if isinstance(raw, dict) else {}
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    return schema


def tool_from_mapping(data: dict[str, Any]) -> tuple[ToolSpec, str] | None:
    """A spec from one tool entry of any known format, with the format's name; None when unrecognised."""
    data = {str(k).strip(): v for k, v in data.items()}
    if isinstance(data.get("API"), str | int):
        desc = data.get("API Desciption", data.get("API Description", data.get("description", "")))
        spec = ToolSpec(
            name=str(data["API"]),
            description=str(desc or ""),
            parameters=_fields_schema(data.get("Input parameters")),
            returns=_fields_schema(data.get("Output parameters")),
            **_policies(data),
        )
        return spec, "flowbench"
    if not isinstance(data.get("name"), str | int):
        return None
    fmt = "canvas" if "extra_infos" in data or _has_platform_types(data.get("parameters")) else "jsonschema"
    url = data.get("url")
    http = {"url": url, "method": str(data.get("method") or "GET").upper()} if isinstance(url, str) and url else None
    returns_raw = data.get("response", data.get("returns"))
    spec = ToolSpec(
        name=str(data["name"]),
        description=str(data.get("description") or data.get("desc") or ""),
        parameters=_object(data.get("parameters")),
        returns=_object(returns_raw),
        http=http,
        **_policies(data),
    )
    return spec, fmt


def _policies(data: dict[str, Any]) -> dict[str, Any]:
    """``idempotent`` / ``secret_fields`` of an entry (the durable journal's retry policy, redaction)."""
    out: dict[str, Any] = {}
    if isinstance(data.get("idempotent"), bool):
        out["idempotent"] = data["idempotent"]
    fields = data.get("secret_fields")
    if isinstance(fields, list | tuple):
        out["secret_fields"] = tuple(str(f) for f in fields)
    return out


def _has_platform_types(raw: Any) -> bool:
    props = raw.get("properties") if isinstance(raw, dict) else None
    if not isinstance(props, dict):
        return False
    return any(isinstance(p, dict) and p.get("type") in ("int", "array_object", "float", "str") for p in props.values())


def read_tool_entries(src: YamlSource) -> list[ToolEntry]:
    """Every tool in a tool file (a list of entries, or a mapping with an ``APIs``/``tools`` list)."""
    root = src.root
    if root is None:
        if not src.diags:
            src.diag("error", None, "tool file is empty", "list the tools as `- name: ...` entries", "tools")
        return []
    if isinstance(root, yaml.MappingNode):
        for key, _, vnode in src.mapping(root, "the tool file"):
            if key.lower() in ("apis", "tools"):
                root = vnode
                break
    out: list[ToolEntry] = []
    for item in src.sequence(root, "the tool file"):
        data = src.value(item) if isinstance(item, yaml.MappingNode) else None
        result = tool_from_mapping(data) if isinstance(data, dict) else None
        if result is None:
            src.diag("error", item, "tool entry has no name ('name:' or 'API:')", code="tools")
            continue
        spec, fmt = result
        name_node = next(
            (v for k, v in item.value if isinstance(k, yaml.ScalarNode) and str(k.value).strip() in ("name", "API")),
            item,
        )
        out.append(ToolEntry(spec, src.span(name_node), fmt))
    return out
