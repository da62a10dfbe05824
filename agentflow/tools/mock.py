"""Deterministic mock tools generated from a tool's response schema.

A mock returns the same result for the same arguments, valid under the response schema: enums (also
FlowAgent's "Enumerated type, [true, false]" written in a description) take their first value so the
happy path of a procedure is what a mock run exercises; other strings are ``<field>-<hash>`` built from
the arguments, so different inputs give visibly different outputs.
"""

from __future__ import annotations

import re
from typing import Any

from agentflow._ids import stable_hash
from agentflow.tools.spec import ToolSpec

__all__ = ["MockTool", "mock_value"]

_DESC_ENUM = re.compile(r"enumerat\w*\s*(?:type|values?)?\W*\[([^\]]+)\]|枚举\w*\W*\[([^\]]+)\]", re.IGNORECASE)


def _enum_from_description(desc: str) -> list[str]:
    match = _DESC_ENUM.search(desc or "")
    if not match:
        return []
    body = match.group(1) or match.group(2) or ""
    return [part.strip().strip("'\"") for part in re.split(r"[,，、]", body) if part.strip()]


def mock_value(name: str, schema: dict[str, Any], seed: str, depth: int = 0) -> Any:
    """A deterministic value for field ``name`` valid under ``schema``."""
    schema = {str(k).strip(): v for k, v in schema.items()}
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    desc = str(schema.get("description", ""))
    listed = _enum_from_description(desc)
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    digest = stable_hash([name, seed])
    if listed and kind in ("string", None):
        return listed[0]
    if kind == "object" and depth < 4:
        props = schema.get("properties", {}) or {}
        return {k: mock_value(k, v if isinstance(v, dict) else {}, seed, depth + 1) for k, v in props.items()}
    if kind == "array":
        items = schema.get("items", {"type": "string"})
        return [mock_value(name, items if isinstance(items, dict) else {}, seed, depth + 1)]
    if kind == "integer":
        return int(digest[:6], 16) % 100 + 1
    if kind == "number":
        return round((int(digest[:6], 16) % 10000) / 100 + 1, 2)
    if kind == "boolean":
        return True
    return f"{name}-{digest[:6]}"


class MockTool:
    """A binding that answers from the response schema of ``spec``, deterministically."""

    kind = "mock"

    def __init__(self, spec: ToolSpec) -> None:
        self.spec = spec

    async def __call__(self, args: dict[str, Any]) -> dict[str, Any]:
        seed = stable_hash([self.spec.name, args])
        props = self.spec.returns.get("properties", {}) or {}
        return {name: mock_value(name, sub if isinstance(sub, dict) else {}, seed) for name, sub in props.items()}
