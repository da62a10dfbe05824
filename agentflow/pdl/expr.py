"""A small, safe expression language for PDL conditions and value preconditions.

Conditions such as ``verdict.ok``, ``is_air == "true"``, ``score >= 9 and not done`` or
``len(critiques) > 2`` are parsed into a tiny typed tree (:data:`Expr`) and evaluated over a mapping of
variables. Python's own *parser* (``ast.parse``) reads the text — it is robust and knows Unicode
identifiers — but only a whitelist of node kinds is accepted and nothing is ever ``eval``-ed: the
evaluator below walks our own tree, allows attribute access only on mappings, pydantic models and
dataclasses (never on names starting with ``_``), and calls only a fixed set of pure builtins.

``true``/``false``/``null``/``none`` (any case) are literals, as FlowAgent files write them.
"""

from __future__ import annotations

import ast as pyast
import dataclasses
import functools
import itertools
import keyword
import operator
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from agentflow.pdl.bounds import bounded_binop, check_value
from agentflow.pdl.exprtree import (
    Attr,
    BinOp,
    BoolOp,
    CallExpr,
    Compare,
    Const,
    Expr,
    Index,
    ListExpr,
    Name,
    Unary,
    free_names,
    iter_nodes,
    unparse,
)

__all__ = [
    "Attr",
    "BinOp",
    "BoolOp",
    "CallExpr",
    "Compare",
    "Const",
    "Expr",
    "ExprError",
    "ExprSyntaxError",
    "Index",
    "ListExpr",
    "Name",
    "Unary",
    "evaluate",
    "free_names",
    "get_field",
    "iter_nodes",
    "parse_expr",
    "unparse",
]

MAX_EXPR_CHARS = 4000


class ExprError(Exception):
    """An expression could not be evaluated (unknown name, bad field, type mismatch)."""


class ExprSyntaxError(ExprError):
    """Text that is not an expression; ``offset`` is the 0-based character where it went wrong."""

    def __init__(self, message: str, offset: int = 0) -> None:
        self.offset = offset
        super().__init__(message)


_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None, "none": None}
_KEYWORDS = frozenset(keyword.kwlist)
_CONTINUATION = bytes(1 if 0x80 <= b < 0xC0 else 0 for b in range(256))
_BIN = {pyast.Add: "+", pyast.Sub: "-", pyast.Mult: "*", pyast.Div: "/", pyast.FloorDiv: "//", pyast.Mod: "%"}
_CMP = {
    pyast.Eq: "==", pyast.NotEq: "!=", pyast.Lt: "<", pyast.LtE: "<=", pyast.Gt: ">", pyast.GtE: ">=",
    pyast.In: "in", pyast.NotIn: "not in", pyast.Is: "is", pyast.IsNot: "is not",
}  # fmt: skip


def parse_expr(text: str) -> Expr:
    """Parse ``text`` into an :data:`Expr` (trees are immutable, so repeated texts share one parse).

    Raises:
        ExprSyntaxError: the text is not an expression of the PDL subset (``offset`` says where).
    """
    return _parse_cached(text)


@functools.lru_cache(maxsize=2048)
def _parse_cached(text: str) -> Expr:
    if len(text) > MAX_EXPR_CHARS:
        raise ExprSyntaxError(f"expression longer than {MAX_EXPR_CHARS} characters")
    stripped = text.strip()
    if not stripped:
        raise ExprSyntaxError("empty expression")
    lead = len(text) - len(text.lstrip())
    if stripped.isidentifier() and stripped not in _KEYWORDS:  # the common case: a bare name
        if stripped.lower() in _LITERALS:
            return Const(_LITERALS[stripped.lower()], lead, lead + len(stripped))
        return Name(stripped, lead, lead + len(stripped))
    try:
        tree = pyast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        offset = _char_offset(stripped, (exc.offset or 1) - 1) if exc.lineno in (None, 1) else 0
        raise ExprSyntaxError(exc.msg or "invalid syntax", lead + offset) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ExprSyntaxError(f"unreadable expression ({type(exc).__name__})") from None
    conv = _Converter(stripped, lead)
    try:
        return conv.convert(tree.body)
    except RecursionError:
        raise ExprSyntaxError("expression nested too deeply") from None


def _char_offset(text: str, byte_offset: int) -> int:
    """Python reports columns in UTF-8 bytes; convert to characters."""
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


class _Converter:
    """Python AST → our Expr tree, rejecting every node kind outside the whitelist."""

    def __init__(self, text: str, lead: int) -> None:
        self._text = text
        self._lead = lead
        # Python reports UTF-8 byte columns. The character index of byte b is b minus the number of
        # continuation bytes (0b10xxxxxx) before it, counted in C on a translated copy.
        self._cont: list[int] | None = None
        if not text.isascii():
            self._cont = [0, *itertools.accumulate(text.encode("utf-8").translate(_CONTINUATION))]

    def _char(self, byte_offset: int) -> int:
        if self._cont is None:
            return byte_offset
        b = min(max(byte_offset, 0), len(self._cont) - 1)
        return b - self._cont[b]

    def _pos(self, node: pyast.expr) -> tuple[int, int]:
        start = self._lead + self._char(node.col_offset)
        end_off = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        same_line = node.end_lineno in (None, node.lineno)
        end = self._lead + (self._char(end_off) if same_line else len(self._text))
        return start, end

    def convert(self, node: pyast.expr) -> Expr:  # noqa: C901 - one branch per node kind is the clearest form
        s, e = self._pos(node)
        if isinstance(node, pyast.Constant):
            if not isinstance(node.value, str | int | float | bool | type(None)):
                raise ExprSyntaxError("unsupported literal", s)
            return Const(node.value, s, e)
        if isinstance(node, pyast.Name):
            if node.id.lower() in _LITERALS:
                return Const(_LITERALS[node.id.lower()], s, e)
            return Name(node.id, s, e)
        if isinstance(node, pyast.Attribute):
            return Attr(self.convert(node.value), node.attr, s, e)
        if isinstance(node, pyast.Subscript):
            return Index(self.convert(node.value), self.convert(node.slice), s, e)
        if isinstance(node, pyast.List | pyast.Tuple):
            return ListExpr(tuple(self.convert(x) for x in node.elts), s, e)
        if isinstance(node, pyast.UnaryOp) and isinstance(node.op, pyast.Not | pyast.USub | pyast.UAdd):
            op = {pyast.Not: "not", pyast.USub: "-", pyast.UAdd: "+"}[type(node.op)]
            return Unary(op, self.convert(node.operand), s, e)
        if isinstance(node, pyast.BinOp) and type(node.op) in _BIN:
            return BinOp(_BIN[type(node.op)], self.convert(node.left), self.convert(node.right), s, e)
        if isinstance(node, pyast.BoolOp):
            op = "and" if isinstance(node.op, pyast.And) else "or"
            return BoolOp(op, tuple(self.convert(v) for v in node.values), s, e)
        if isinstance(node, pyast.Compare) and all(type(o) in _CMP for o in node.ops):
            ops = tuple(_CMP[type(o)] for o in node.ops)
            return Compare(self.convert(node.left), ops, tuple(self.convert(c) for c in node.comparators), s, e)
        if isinstance(node, pyast.Call):
            kwargs: list[tuple[str, Expr]] = []
            for kw in node.keywords:
                if kw.arg is None:
                    raise ExprSyntaxError("'**' arguments are not supported", s)
                kwargs.append((kw.arg, self.convert(kw.value)))
            if any(isinstance(a, pyast.Starred) for a in node.args):
                raise ExprSyntaxError("'*' arguments are not supported", s)
            return CallExpr(self.convert(node.func), tuple(self.convert(a) for a in node.args), tuple(kwargs), s, e)
        raise ExprSyntaxError(f"{type(node).__name__} is not allowed in a PDL expression", s)


_BUILTINS: dict[str, Callable[..., Any]] = {
    "len": len, "str": str, "int": int, "float": float, "bool": bool, "abs": abs,
    "min": min, "max": max, "sum": sum, "any": any, "all": all, "round": round,
}  # fmt: skip
_BIN_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod,
}  # fmt: skip
_CMP_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
    ">=": operator.ge, "in": lambda a, b: a in b, "not in": lambda a, b: a not in b,
    "is": operator.is_, "is not": operator.is_not,
}  # fmt: skip


def evaluate(expr: Expr, env: Mapping[str, Any]) -> Any:
    """Evaluate ``expr`` with variables from ``env``.

    Raises:
        ExprError: an unknown variable or field, a call to anything but the allowed builtins, or an
            operation on values of the wrong type.
    """
    try:
        return _eval(expr, env)
    except ExprError:
        raise
    except (TypeError, ValueError, ZeroDivisionError, IndexError, KeyError, OverflowError) as exc:
        raise ExprError(f"cannot evaluate {unparse(expr)!r}: {exc}") from None
    except MemoryError:
        raise ExprError(f"cannot evaluate {unparse(expr)!r}: out of memory") from None
    except RecursionError:
        raise ExprError("expression nested too deeply") from None


def _eval(expr: Expr, env: Mapping[str, Any]) -> Any:  # noqa: C901 - a dispatcher over node kinds
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Name):
        if expr.id not in env:
            raise ExprError(f"unknown name {expr.id!r}")
        return env[expr.id]
    if isinstance(expr, Attr):
        return get_field(_eval(expr.obj, env), expr.name)
    if isinstance(expr, Index):
        return _eval(expr.obj, env)[_eval(expr.index, env)]
    if isinstance(expr, ListExpr):
        return [_eval(x, env) for x in expr.items]
    if isinstance(expr, Unary):
        value = _eval(expr.operand, env)
        return (not value) if expr.op == "not" else (-value if expr.op == "-" else +value)
    if isinstance(expr, BinOp):
        return bounded_binop(expr.op, _BIN_OPS[expr.op], _eval(expr.left, env), _eval(expr.right, env))
    if isinstance(expr, BoolOp):
        result: Any = expr.op == "and"
        for v in expr.values:
            result = _eval(v, env)
            if (expr.op == "and" and not result) or (expr.op == "or" and result):
                return result
        return result
    if isinstance(expr, Compare):
        left = _eval(expr.left, env)
        for op, comp in zip(expr.ops, expr.comparators, strict=True):
            right = _eval(comp, env)
            if not _CMP_OPS[op](left, right):
                return False
            left = right
        return True
    if isinstance(expr.func, Name) and expr.func.id in _BUILTINS:
        args = [_eval(a, env) for a in expr.args]
        kwargs = {k: _eval(v, env) for k, v in expr.kwargs}
        return check_value(_BUILTINS[expr.func.id](*args, **kwargs))
    allowed = ", ".join(sorted(_BUILTINS))
    raise ExprError(f"{unparse(expr.func)}() cannot be called in an expression; allowed: {allowed}")


def get_field(obj: Any, name: str) -> Any:
    """``obj.name`` for mappings (key), pydantic models and dataclasses (fields); nothing else."""
    if name.startswith("_"):
        raise ExprError(f"field {name!r} is private")
    if isinstance(obj, Mapping):
        if name in obj:
            return obj[name]
        raise ExprError(f"no field {name!r} (have: {', '.join(map(str, obj)) or 'none'})")
    if isinstance(obj, BaseModel):
        fields = type(obj).model_fields
        if name in fields:
            return getattr(obj, name)
        raise ExprError(f"{type(obj).__name__} has no field {name!r} (have: {', '.join(fields)})")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        names = [f.name for f in dataclasses.fields(obj)]
        if name in names:
            return getattr(obj, name)
        raise ExprError(f"{type(obj).__name__} has no field {name!r}")
    raise ExprError(f"cannot read field {name!r} of a {type(obj).__name__}")
