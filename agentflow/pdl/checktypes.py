"""Type checks the PDL checker can make without running anything.

What it can see: a variable whose type is declared (an ``Inputs`` type, a typed target
``v: int = ...``, a field of an API's response schema bound by ``[field] = API.x(...)``) compared with
a literal of another type; a slot with ``available_types`` compared with a value outside them; a
keyword argument an API's schema does not have; a typed role result that contradicts the role's
declared output. Mismatches are errors in executed mode (the comparison is always false) and warnings
in guided mode (the model reads the procedure and may coerce values).
"""

from __future__ import annotations

from typing import Any

from agentflow.pdl.ast import Call, ConditionText, For, If, Span, While, walk
from agentflow.pdl.diagnostics import Diagnostic, Severity
from agentflow.pdl.document import PdlDocument
from agentflow.pdl.expr import Compare, Const, ListExpr, Name, iter_nodes

__all__ = ["check_types"]

_PY_TO_JSON = {
    "str": "string", "string": "string", "int": "integer", "integer": "integer", "float": "number",
    "number": "number", "bool": "boolean", "boolean": "boolean", "list": "array", "array": "array",
    "dict": "object", "object": "object",
}  # fmt: skip


def _literal_type(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _compatible(declared: str, literal: str) -> bool:
    numeric = {"integer", "number"}
    return declared == literal or (declared in numeric and literal in numeric)


def _diag(severity: Severity, span: Span, message: str, hint: str | None, code: str) -> Diagnostic:
    length = span.end_col - span.col if span.end_line == span.line else 1
    return Diagnostic(severity, message, span.location, hint, max(length, 1), code)


def check_types(doc: PdlDocument) -> list[Diagnostic]:
    """Every visible type mismatch in ``doc``."""
    executed = doc.mode == "executed"
    severity: Severity = "error" if executed else "warning"
    types: dict[str, str] = {}
    for io in doc.inputs:
        if io.type.lower() in _PY_TO_JSON:
            types[io.name] = _PY_TO_JSON[io.type.lower()]
    enums = {s.name: s.available_types for s in doc.slots if s.available_types}
    out: list[Diagnostic] = []
    for stmt in walk(doc.procedure):
        if isinstance(stmt, Call):
            out += _call_types(doc, stmt, types)
        conds: list[ConditionText] = []
        if isinstance(stmt, If):
            conds = [b.cond for b in stmt.branches]
        elif isinstance(stmt, While):
            conds = [stmt.cond]
        elif isinstance(stmt, For):
            conds = [stmt.iter]
        for cond in conds:
            out += _compare_types(cond, types, enums, severity)
    return out


def _call_types(doc: PdlDocument, call: Call, types: dict[str, str]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    api = doc.api(call.name) if call.kind in ("API", "BARE") else None
    if api is not None and api.tool is not None:
        props = api.tool.parameters.get("properties") or {}
        for arg in call.args:
            if arg.name is not None and props and arg.name not in props:
                out.append(_diag("error", arg.span, f"API '{api.name}' has no parameter '{arg.name}'",
                                 f"parameters: {', '.join(map(str, props))}", "type-mismatch"))  # fmt: skip
        returns = api.tool.returns.get("properties") or {}
        for t in call.targets:
            field = returns.get(t.name)
            if isinstance(field, dict) and isinstance(field.get("type"), str) and t.type is None:
                types[t.name] = field["type"]
    if call.kind == "ROLE":
        role = doc.role(call.name)
        for t in call.targets:
            if t.type and role is not None and role.output and role.output != t.type:
                msg = f"'{t.name}' is declared {t.type} but ROLE.{call.name} returns {role.output}"
                out.append(_diag("error", t.span, msg, f"write `{t.name}: {role.output} = ...`", "type-mismatch"))
    for t in call.targets:
        if t.type and t.type.lower() in _PY_TO_JSON:
            types[t.name] = _PY_TO_JSON[t.type.lower()]
    return out


def _compare_types(
    cond: ConditionText, types: dict[str, str], enums: dict[str, tuple[str, ...]], severity: Severity
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    if cond.expr is None:
        return out
    for node in iter_nodes(cond.expr):
        if not isinstance(node, Compare) or len(node.ops) != 1:
            continue
        left, op, right = node.left, node.ops[0], node.comparators[0]
        if isinstance(left, Const) and isinstance(right, Name):
            left, right = right, left
        if not isinstance(left, Name):
            continue
        literals: list[Const] = []
        if isinstance(right, Const) and op in ("==", "!=", "<", "<=", ">", ">="):
            literals = [right]
        elif isinstance(right, ListExpr) and op in ("in", "not in"):
            literals = [x for x in right.items if isinstance(x, Const)]
        declared = types.get(left.id)
        for lit in literals:
            lt = _literal_type(lit.value)
            if declared and lt and not _compatible(declared, lt):
                hint = None
                if isinstance(lit.value, str) and declared in ("integer", "number") and _numeric(lit.value):
                    hint = f"compare with the number {lit.value.strip()}"
                elif declared == "string" and not isinstance(lit.value, str):
                    hint = f'compare with the text "{lit.value}"'
                msg = f"'{left.id}' is {declared} but is compared with the {lt} {lit.value!r}"
                out.append(_diag(severity, cond.span, msg, hint, "type-mismatch"))
            allowed = enums.get(left.id)
            if allowed and isinstance(lit.value, str) and lit.value not in allowed:
                out.append(_diag("error", cond.span, f"{lit.value!r} is not one of the available_types of "
                                 f"'{left.id}' ({', '.join(allowed)})", None, "type-mismatch"))  # fmt: skip
    return out
