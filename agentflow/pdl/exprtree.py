"""The PDL expression tree: small frozen nodes with character offsets into the expression text.

:mod:`agentflow.pdl.expr` parses text into these nodes and evaluates them; this module holds the node
types and the pure helpers over them (traversal, free variables, unparsing).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

__all__ = [
    "Attr",
    "BinOp",
    "BoolOp",
    "CallExpr",
    "Compare",
    "Const",
    "Expr",
    "Index",
    "ListExpr",
    "Name",
    "Unary",
    "free_names",
    "iter_nodes",
    "unparse",
]


@dataclass(frozen=True, slots=True)
class Const:
    value: Any
    start: int = 0
    end: int = 0


@dataclass(frozen=True, slots=True)
class Name:
    id: str
    start: int = 0
    end: int = 0


@dataclass(frozen=True, slots=True)
class Attr:
    obj: Expr
    name: str
    start: int = 0
    end: int = 0


@dataclass(frozen=True, slots=True)
class Index:
    obj: Expr
    index: Expr
    start: int = 0
    end: int = 0


@dataclass(frozen=True, slots=True)
class ListExpr:
    items: tuple[Expr, ...]
    start: int = 0
    end: int = 0


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "not" | "-" | "+"
    operand: Expr
    start: int = 0
    end: int = 0


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str  # + - * / // %
    left: Expr
    right: Expr
    start: int = 0
    end: int = 0


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str  # "and" | "or"
    values: tuple[Expr, ...]
    start: int = 0
    end: int = 0


@dataclass(frozen=True, slots=True)
class Compare:
    left: Expr
    ops: tuple[str, ...]  # == != < <= > >= in "not in" is "is not"
    comparators: tuple[Expr, ...]
    start: int = 0
    end: int = 0


@dataclass(frozen=True, slots=True)
class CallExpr:
    func: Expr
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr], ...] = ()
    start: int = 0
    end: int = 0


Expr: TypeAlias = Const | Name | Attr | Index | ListExpr | Unary | BinOp | BoolOp | Compare | CallExpr


def iter_nodes(expr: Expr) -> Iterator[Expr]:
    """Every node of ``expr``, pre-order."""
    yield expr
    children: tuple[Expr, ...]
    if isinstance(expr, Attr):
        children = (expr.obj,)
    elif isinstance(expr, Index):
        children = (expr.obj, expr.index)
    elif isinstance(expr, ListExpr):
        children = expr.items
    elif isinstance(expr, Unary):
        children = (expr.operand,)
    elif isinstance(expr, BinOp):
        children = (expr.left, expr.right)
    elif isinstance(expr, BoolOp):
        children = expr.values
    elif isinstance(expr, Compare):
        children = (expr.left, *expr.comparators)
    elif isinstance(expr, CallExpr):
        children = (expr.func, *expr.args, *(v for _, v in expr.kwargs))
    else:
        children = ()
    for child in children:
        yield from iter_nodes(child)


def free_names(expr: Expr) -> list[Name]:
    """The variables an expression reads (not builtin function names), in order of appearance."""
    skip: set[int] = set()
    out: list[Name] = []
    for node in iter_nodes(expr):
        if isinstance(node, CallExpr) and isinstance(node.func, Name):
            skip.add(id(node.func))
        if isinstance(node, Name) and id(node) not in skip:
            out.append(node)
    return out


def unparse(expr: Expr) -> str:
    """Source-like text of an expression (for messages and graph labels)."""
    if isinstance(expr, Const):
        return repr(expr.value) if isinstance(expr.value, str) else str(expr.value)
    if isinstance(expr, Name):
        return expr.id
    if isinstance(expr, Attr):
        return f"{unparse(expr.obj)}.{expr.name}"
    if isinstance(expr, Index):
        return f"{unparse(expr.obj)}[{unparse(expr.index)}]"
    if isinstance(expr, ListExpr):
        return "[" + ", ".join(unparse(x) for x in expr.items) + "]"
    if isinstance(expr, Unary):
        return f"not {unparse(expr.operand)}" if expr.op == "not" else f"{expr.op}{unparse(expr.operand)}"
    if isinstance(expr, BinOp):
        return f"({unparse(expr.left)} {expr.op} {unparse(expr.right)})"
    if isinstance(expr, BoolOp):
        return "(" + f" {expr.op} ".join(unparse(v) for v in expr.values) + ")"
    if isinstance(expr, Compare):
        parts = [unparse(expr.left)]
        for op, c in zip(expr.ops, expr.comparators, strict=True):
            parts += [op, unparse(c)]
        return " ".join(parts)
    args = [unparse(a) for a in expr.args] + [f"{k}={unparse(v)}" for k, v in expr.kwargs]
    return f"{unparse(expr.func)}({', '.join(args)})"
