"""Static types for executed procedures: what each variable holds, and whether producers fit consumers.

A static type is a message class (``Verdict``) or a plain type name (``str``, ``int``, ``float``,
``bool``, ``list``, ``dict``, ``any``). Role outputs give variables their message types; field
accesses (``verdict.ok``) are checked against the message's fields, and each role argument against
what the role ``consumes`` — so ``ROLE.refiner(critique=verdict)`` fails at compile time naming both
types, never at run time after three model calls.
"""

from __future__ import annotations

import typing
from typing import Any, TypeAlias

from agentflow.messages import Message
from agentflow.pdl.expr import Attr, BinOp, BoolOp, CallExpr, Compare, Const, Expr, Index, ListExpr, Name, Unary
from agentflow.roles.types import TypeRegistry

__all__ = ["PLAIN", "SType", "compatible", "describe", "field_type", "infer", "resolve_type"]

SType: TypeAlias = "type[Message] | str"

PLAIN = ("str", "int", "float", "bool", "list", "dict", "any")
_EXPR_CALLS = ("len", "str", "int", "float", "bool", "abs", "min", "max", "sum", "any", "all", "round")
_ALIASES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "array": "list",
            "object": "dict", "mapping": "dict", "": "any"}


def resolve_type(name: str | None, types: TypeRegistry) -> SType | None:
    """A type name as written (``str``, ``Verdict``, ``verdict``, ``list[str]``) → static type; None if unknown."""
    if not name:
        return "any"
    raw = name.strip()
    base = raw.split("[", 1)[0].strip().lower()
    base = _ALIASES.get(base, base)
    if base in PLAIN:
        return base
    cls = types.get(raw) or types.get(raw.lower()) or types.get(_snake(raw))
    return cls


def _snake(name: str) -> str:
    out = "".join("_" + c.lower() if c.isupper() else c for c in name)
    return out.lstrip("_")


def describe(t: SType) -> str:
    """``Verdict`` / ``str`` for messages."""
    return t if isinstance(t, str) else t.__name__


def field_type(cls: type[Message], name: str) -> SType | None:
    """The static type of ``cls.name``; ``None`` when the field does not exist."""
    info = cls.model_fields.get(name)
    if info is None:
        return None
    return _annotation_type(info.annotation)


def _annotation_type(ann: Any) -> SType:
    if isinstance(ann, type) and issubclass(ann, Message):
        return ann
    origin = typing.get_origin(ann)
    if origin is typing.Literal:
        values = typing.get_args(ann)
        return "str" if all(isinstance(v, str) for v in values) else "any"
    if origin in (list, tuple, set):
        return "list"
    if origin is dict:
        return "dict"
    if ann in (str, int, float, bool):
        return str(ann.__name__)
    return "any"


def compatible(have: SType, want: SType) -> bool:
    """Whether a value of static type ``have`` may go where ``want`` is expected."""
    if have == "any" or want == "any":
        return True
    if isinstance(want, str) and isinstance(have, str):
        return have == want or (want == "float" and have == "int") or (want == "str" and have in ("int", "float"))
    if isinstance(want, type) and isinstance(have, type):
        return issubclass(have, want)
    return False


def infer(expr: Expr, scope: dict[str, SType]) -> tuple[SType, str | None]:  # noqa: C901 - one arm per node
    """The static type of ``expr`` and the first problem found in it (``None`` when fine)."""
    if isinstance(expr, Const):
        value = expr.value
        if isinstance(value, bool):
            return "bool", None
        return (type(value).__name__ if type(value).__name__ in PLAIN else "any"), None
    if isinstance(expr, Name):
        if expr.id not in scope:
            known = ", ".join(sorted(scope)) or "none"
            return "any", f"unknown name {expr.id!r} (defined: {known})"
        return scope[expr.id], None
    if isinstance(expr, Attr):
        obj, problem = infer(expr.obj, scope)
        if problem:
            return "any", problem
        if isinstance(obj, type):
            ft = field_type(obj, expr.name)
            if ft is None:
                fields = ", ".join(f for f in obj.model_fields if f != "kind")
                return "any", f"{obj.__name__} has no field {expr.name!r} (fields: {fields})"
            return ft, None
        if obj in ("str", "int", "float", "bool", "list"):
            return "any", f"a {obj} value has no field {expr.name!r}"
        return "any", None
    if isinstance(expr, Compare | BoolOp):
        return "bool", _first_problem(_children(expr), scope)
    if isinstance(expr, Unary):
        t, problem = infer(expr.operand, scope)
        return ("bool" if expr.op == "not" else t), problem
    if isinstance(expr, BinOp):
        left, p1 = infer(expr.left, scope)
        right, p2 = infer(expr.right, scope)
        return (left if left == right else "any"), p1 or p2
    if isinstance(expr, ListExpr):
        return "list", _first_problem(list(expr.items), scope)
    if isinstance(expr, Index):
        return "any", _first_problem([expr.obj, expr.index], scope)
    if isinstance(expr, CallExpr):
        names = {"len": "int", "str": "str", "int": "int", "float": "float", "bool": "bool", "sum": "float"}
        fname = expr.func.id if isinstance(expr.func, Name) else ""
        if fname not in _EXPR_CALLS:
            return "any", (f"{fname or 'this'}() cannot be called inside an expression (only "
                           f"{', '.join(sorted(_EXPR_CALLS))}); assign it first: `x = {fname}(...)`")
        return names.get(fname, "any"), _first_problem([*expr.args, *(v for _, v in expr.kwargs)], scope)
    return "any", None


def _children(expr: Compare | BoolOp) -> list[Expr]:
    if isinstance(expr, Compare):
        return [expr.left, *expr.comparators]
    return list(expr.values)


def _first_problem(exprs: list[Expr], scope: dict[str, SType]) -> str | None:
    for e in exprs:
        _, problem = infer(e, scope)
        if problem:
            return problem
    return None
