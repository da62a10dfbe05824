"""Value conditions the procedure implies but the declarations do not state.

FlowAgent files declare ``precondition: [checkAvailability]`` for ``reserveFlight`` but put the value
check in the procedure::

    is_air = API_checkAvailability([plan_code, estimated_time])
    if is_air == "true":
        ... API_reserveFlight(...)

:func:`infer_conditions` walks the procedure, remembers which API bound each variable, and gives
every API or ANSWER called *once*, inside such branches, the conditions of the branches around it
(here ``checkAvailability.is_air == "true"``). Calls that appear more than once are left alone: their
branches may disagree, and a wrong hard condition would block a legitimate action.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from agentflow.controllers import ResultCondition
from agentflow.pdl import PdlDocument
from agentflow.pdl.ast import Block, Call, Def, For, If, Parallel, While
from agentflow.pdl.expr import Attr, Compare, Const, Expr, Name, Unary

__all__ = ["condition_from_expr", "infer_conditions"]

_NEGATE = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">", "is_none": "not_none",
           "not_none": "is_none"}


def condition_from_expr(expr: Expr, api_names: set[str]) -> ResultCondition | None:
    """``API.field OP const`` (either side) -> :class:`ResultCondition`; ``None`` when the shape is other."""
    if isinstance(expr, Attr) and isinstance(expr.obj, Name) and expr.obj.id in api_names:
        return ResultCondition(api=expr.obj.id, field=expr.name, op="==", value=True)
    if isinstance(expr, Unary) and expr.op == "not":
        inner = condition_from_expr(expr.operand, api_names)
        return inner.model_copy(update={"value": False}) if inner is not None else None
    if not isinstance(expr, Compare) or len(expr.ops) != 1:
        return None
    left, op, right = expr.left, expr.ops[0], expr.comparators[0]
    flipped = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}
    if isinstance(left, Const) and isinstance(right, Attr):
        left, right, op = right, left, flipped.get(op, op)
    if not (isinstance(left, Attr) and isinstance(left.obj, Name) and left.obj.id in api_names):
        return None
    if not isinstance(right, Const):
        return None
    if op in ("is", "is not") and right.value is None:
        return ResultCondition(api=left.obj.id, field=left.name, op="is_none" if op == "is" else "not_none")
    if op not in ("==", "!=", "<", "<=", ">", ">="):
        return None
    return ResultCondition(api=left.obj.id, field=left.name, op=op, value=right.value)  # type: ignore[arg-type]


def _from_variable(expr: Expr, bound: dict[str, str]) -> ResultCondition | None:
    if isinstance(expr, Name) and expr.id in bound:
        return ResultCondition(api=bound[expr.id], field=expr.id, op="==", value=True)
    if isinstance(expr, Unary) and expr.op == "not":
        inner = _from_variable(expr.operand, bound)
        return inner.model_copy(update={"value": False}) if inner is not None else None
    if not isinstance(expr, Compare) or len(expr.ops) != 1:
        return None
    left, op, right = expr.left, expr.ops[0], expr.comparators[0]
    if isinstance(left, Const) and isinstance(right, Name):
        left, right = right, left
    if not (isinstance(left, Name) and left.id in bound and isinstance(right, Const)):
        return None
    if op in ("is", "is not") and right.value is None:
        return ResultCondition(api=bound[left.id], field=left.id, op="is_none" if op == "is" else "not_none")
    if op not in ("==", "!=", "<", "<=", ">", ">="):
        return None
    return ResultCondition(api=bound[left.id], field=left.id, op=op, value=right.value)  # type: ignore[arg-type]


def _negate(cond: ResultCondition) -> ResultCondition:
    return cond.model_copy(update={"op": _NEGATE[cond.op]})


class _Walker:
    def __init__(self, apis: set[str], answers: set[str]) -> None:
        self.apis = apis
        self.answers = answers
        self.bound: dict[str, str] = {}
        self.found: dict[str, list[ResultCondition]] = {}

    def convert(self, expr: Expr | None) -> ResultCondition | None:
        if expr is None:
            return None
        return condition_from_expr(expr, self.apis) or _from_variable(expr, self.bound)

    def block(self, block: Block, active: list[ResultCondition]) -> None:
        for stmt in block:
            if isinstance(stmt, Call):
                self.call(stmt, active)
            elif isinstance(stmt, If):
                negated: list[ResultCondition] = []
                for branch in stmt.branches:
                    cond = self.convert(branch.cond.expr)
                    self.block(branch.body, [*active, *negated, *([cond] if cond else [])])
                    if cond is None:
                        negated = []  # an unreadable earlier arm: later arms get no negations
                        break
                    negated.append(_negate(cond))
                if stmt.orelse is not None:
                    self.block(stmt.orelse, [*active, *negated])
            elif isinstance(stmt, While | For | Parallel | Def):
                self.block(stmt.body, active)

    def call(self, call: Call, active: list[ResultCondition]) -> None:
        key = f"{call.kind}:{call.name}"
        if call.kind in ("API", "BARE") and call.name in self.apis:
            key = f"API:{call.name}"
        if active and (key.startswith("API:") or call.kind == "ANSWER"):
            usable = [c for c in active if c.api != call.name]
            if usable:
                self.found.setdefault(key, []).extend(usable)
        if key.startswith("API:"):
            for target in call.targets:
                self.bound[target.name] = call.name


def infer_conditions(doc: PdlDocument) -> dict[str, tuple[ResultCondition, ...]]:
    """``"API:name"`` / ``"ANSWER:name"`` -> the conditions implied by the branches around its one call."""
    apis = {a.name for a in doc.apis}
    walker = _Walker(apis, {a.name for a in doc.answers})
    walker.block(doc.procedure, [])
    counts: Counter[str] = Counter()
    for call in doc.calls():
        is_api = call.name in apis and call.kind in ("API", "BARE")
        counts[f"API:{call.name}" if is_api else f"{call.kind}:{call.name}"] += 1
    fields = {a.name: set(a.spec.returns.get("properties", {}) or ()) | set(a.response) for a in doc.apis}
    out: dict[str, tuple[ResultCondition, ...]] = {}
    for key, conds in walker.found.items():
        # a condition on a field the API does not return could never hold: leave it to the model
        kept = [c for c in _dedupe(conds) if c.field in fields.get(c.api, set())]
        if counts[key] == 1 and kept:
            out[key] = tuple(kept)
    return out


def _dedupe(conds: Iterable[ResultCondition]) -> list[ResultCondition]:
    seen: list[ResultCondition] = []
    for cond in conds:
        if cond not in seen:
            seen.append(cond)
    return seen
