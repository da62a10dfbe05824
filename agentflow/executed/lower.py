"""Lower a PDL document's procedure to an executed-mode :class:`Program`, checking it on the way.

Every problem is a :class:`~agentflow.errors.UserError` at ``path:line:col``: prose where code is
needed, unknown roles/tools/builtins/variables, arguments a role does not consume, a producer whose
type does not fit the consumer, a field a message does not have, ``break`` outside a loop.
Loops without ``max N`` get :data:`DEFAULT_LOOP_BUDGET` so no loop is unbounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from agentflow.errors import Location, UserError
from agentflow.executed.program import (
    ApiStep,
    AssignStep,
    BreakStep,
    BuiltinStep,
    ContinueStep,
    ForStep,
    IfStep,
    ParallelStep,
    Program,
    ReturnStep,
    RoleStep,
    Step,
    Where,
    WhileStep,
)
from agentflow.executed.typecheck import SType, compatible, describe, infer, resolve_type
from agentflow.pdl import ast as a
from agentflow.pdl.document import PdlDocument
from agentflow.pdl.expr import Expr
from agentflow.pdl.functions import BUILTINS
from agentflow.roles.loader import RoleLibrary

__all__ = ["DEFAULT_LOOP_BUDGET", "lower"]

DEFAULT_LOOP_BUDGET = 10


def _where(span: a.Span) -> Where:
    return Where(span.path, span.line, span.col)


def _err(span: a.Span, message: str, hint: str | None = None) -> UserError:
    return UserError(message, location=Location(span.path, span.line, span.col), hint=hint)


class _Lowerer:
    def __init__(self, doc: PdlDocument, library: RoleLibrary, tools: Iterable[str]) -> None:
        self.doc = doc
        self.library = library
        self.tools = set(tools) | {api.name for api in doc.apis}
        self.scope: dict[str, SType] = {}
        self.assigned: set[str] = set()
        self.roles_used: list[str] = []
        self.tools_used: list[str] = []
        self.loop_depth = 0
        self.loop_count = 0

    # -- expressions -------------------------------------------------------------------------
    def expr(self, expr: Expr | None, span: a.Span, what: str, text: str = "") -> tuple[Expr, SType]:
        if expr is None:
            raise _err(span, f"{what} {text!r} is not an expression executed mode can evaluate",
                       hint="write code such as `verdict.ok`, `score >= 0.8` or `len(items) > 0`")
        t, problem = infer(expr, self.scope)
        if problem:
            raise _err(span, f"{what}: {problem}")
        return expr, t

    def bind(self, target: a.Target | None, t: SType) -> str | None:
        if target is None:
            return None
        if target.type:
            declared = resolve_type(target.type, self.library.types)
            if declared is None:
                kinds = ", ".join(self.library.types.kinds())
                raise _err(target.span, f"unknown type {target.type!r}",
                           hint=f"use str, int, float, bool, list, dict or a message kind: {kinds}")
            if not compatible(t, declared):
                raise _err(target.span, f"{target.name!r} is declared {describe(declared)} but gets {describe(t)}")
            t = declared
        if target.name not in self.assigned:
            self.scope[target.name] = t
            self.assigned.add(target.name)
        elif self.scope.get(target.name) != t:
            self.scope[target.name] = "any"
        return target.name

    # -- statements --------------------------------------------------------------------------
    def block(self, stmts: Iterable[a.Stmt]) -> tuple[Step, ...]:
        out: list[Step] = []
        for stmt in stmts:
            step = self.stmt(stmt)
            if step is not None:
                out.append(step)
        return tuple(out)

    def stmt(self, stmt: a.Stmt) -> Step | None:  # noqa: C901 - one arm per statement kind
        if isinstance(stmt, a.Comment):
            return None
        if isinstance(stmt, a.Text):
            raise _err(stmt.span, f"executed mode cannot run the prose line {stmt.text.strip()[:60]!r}",
                       hint="write a ROLE./API. call, an assignment or control flow; or run the file in guided mode")
        if isinstance(stmt, a.Call):
            return self.call(stmt)
        if isinstance(stmt, a.Assign):
            if len(stmt.targets) != 1:
                raise _err(stmt.span, "assign one variable at a time in executed mode")
            value, t = self.expr(stmt.value.expr, stmt.value.span, "value", stmt.value.text)
            name = self.bind(stmt.targets[0], t)
            assert name is not None
            return AssignStep(name, value, _where(stmt.span))
        if isinstance(stmt, a.If):
            branches = []
            for br in stmt.branches:
                cond, _ = self.expr(br.cond.expr, br.cond.span, "condition", br.cond.text)
                self.no_calls_in(br.cond)
                branches.append((cond, self.block(br.body)))
            orelse = self.block(stmt.orelse) if stmt.orelse is not None else ()
            return IfStep(tuple(branches), orelse, _where(stmt.span))
        if isinstance(stmt, a.While):
            cond, _ = self.expr(stmt.cond.expr, stmt.cond.span, "loop condition", stmt.cond.text)
            self.no_calls_in(stmt.cond)
            body = self.loop_body(stmt.body)
            return WhileStep(cond, body, self.budget(stmt.budget, stmt.span), _where(stmt.span),
                             label=f"loop@{stmt.span.line}")
        if isinstance(stmt, a.For):
            items, _ = self.expr(stmt.iter.expr, stmt.iter.span, "loop items", stmt.iter.text)
            if len(stmt.targets) != 1:
                raise _err(stmt.span, "loop over one variable at a time in executed mode")
            name = self.bind(stmt.targets[0], "any")
            assert name is not None
            body = self.loop_body(stmt.body)
            return ForStep(name, items, body, self.budget(stmt.budget, stmt.span), _where(stmt.span),
                           label=f"loop@{stmt.span.line}")
        if isinstance(stmt, a.Parallel):
            par: list[tuple[Step, ...]] = []
            for inner in stmt.body:
                lowered = self.stmt(inner)
                if lowered is not None:
                    par.append((lowered,))
            if not par:
                raise _err(stmt.span, "empty parallel block", hint="put one call per line under `parallel:`")
            self.check_parallel_targets(par, stmt.span)
            return ParallelStep(tuple(par), _where(stmt.span))
        if isinstance(stmt, a.Break | a.Continue):
            if self.loop_depth == 0:
                raise _err(stmt.span, f"`{type(stmt).__name__.lower()}` outside a loop")
            return BreakStep(_where(stmt.span)) if isinstance(stmt, a.Break) else ContinueStep(_where(stmt.span))
        if isinstance(stmt, a.Return):
            if stmt.value is None:
                return ReturnStep(None, _where(stmt.span))
            value, _ = self.expr(stmt.value.expr, stmt.value.span, "return value", stmt.value.text)
            return ReturnStep(value, _where(stmt.span))
        raise _err(stmt.span, f"unsupported statement {type(stmt).__name__}")  # pragma: no cover

    def loop_body(self, body: a.Block) -> tuple[Step, ...]:
        self.loop_depth += 1
        try:
            return self.block(body)
        finally:
            self.loop_depth -= 1

    def budget(self, written: int | None, span: a.Span) -> int:
        self.loop_count += 1
        if written is not None and written <= 0:
            raise _err(span, f"loop budget must be positive, got {written}")
        return written if written is not None else DEFAULT_LOOP_BUDGET

    def no_calls_in(self, cond: a.ConditionText) -> None:
        if cond.calls:
            raise _err(cond.span, "calls inside conditions are not allowed in executed mode",
                       hint="assign the call's result to a variable first, then test the variable")

    def check_parallel_targets(self, branches: Sequence[tuple[Step, ...]], span: a.Span) -> None:
        seen: set[str] = set()
        for (step,) in branches:
            target = getattr(step, "target", None)
            if isinstance(step, BreakStep | ContinueStep | ReturnStep):
                raise _err(span, "break/continue/return cannot be a parallel branch")
            if target is not None:
                if target in seen:
                    raise _err(span, f"two parallel branches assign {target!r}",
                               hint="give each branch its own variable")
                seen.add(target)

    # -- calls -------------------------------------------------------------------------------
    def call(self, call: a.Call) -> Step:
        if not call.closed:
            raise _err(call.span, f"call to {call.name!r} is missing its closing parenthesis")
        if len(call.targets) > 1:
            raise _err(call.span, "bind a call's result to one variable in executed mode")
        target = call.targets[0] if call.targets else None
        if call.kind == "ROLE":
            return self.role_call(call, target)
        if call.kind == "API":
            return self.api_call(call, target)
        if call.kind == "BARE":
            fn = BUILTINS.get(call.name)
            if fn is None:
                raise _err(call.name_span, f"unknown function {call.name!r}",
                           hint=f"use ROLE.{call.name}(...) or API.{call.name}(...), or one of: "
                                f"{', '.join(sorted(BUILTINS))}")
            args = tuple(self.arg_expr(arg) for arg in call.args if arg.name is None)
            kwargs = tuple((arg.name, self.arg_expr(arg)) for arg in call.args if arg.name is not None)
            return BuiltinStep(call.name, args, kwargs, self.bind(target, "any"), _where(call.span))
        raise _err(call.span, f"{call.kind}.{call.name}() is for guided mode; executed mode calls ROLE., API. and "
                              "builtins")

    def arg_expr(self, arg: a.Arg) -> Expr:
        expr, _ = self.expr(arg.expr, arg.span, "argument", arg.text)
        return expr

    def role_call(self, call: a.Call, target: a.Target | None) -> RoleStep:
        name = call.name.split(".")[0].strip()
        if name not in self.library:
            raise _err(call.name_span, f"unknown role {name!r}",
                       hint=f"known roles: {', '.join(self.library)}; add roles/{name}.yaml")
        role = self.library.get(name)
        unknown_tools = [t for t in role.spec.tools if t not in self.tools]
        if unknown_tools:
            raise _err(call.name_span, f"role {name!r} uses tool {unknown_tools[0]!r}, which is not available",
                       hint="declare it under APIs: and implement it with --tools FILE.py")
        consumes = role.spec.consumes
        args: list[tuple[str, Expr]] = []
        positional = list(consumes)
        for i, arg in enumerate(call.args):
            expr, t = self.expr(arg.expr, arg.span, "argument", arg.text)
            key = arg.name
            if key is None:
                if i >= len(positional):
                    raise _err(arg.span, f"role {name!r} takes {len(positional)} positional input(s)",
                               hint=f"pass inputs by name: {', '.join(positional) or 'none declared'}")
                key = positional[i]
            if consumes and key not in consumes:
                raise _err(arg.span, f"role {name!r} does not consume {key!r}",
                           hint=f"it consumes: {', '.join(consumes)}")
            want = resolve_type(consumes.get(key, "any"), self.library.types) or "any"
            if not compatible(t, want):
                fix = " (pass its `.text`?)" if want == "str" and isinstance(t, type) else ""
                raise _err(arg.span, f"role {name!r} input {key!r} expects {describe(want)}, got {describe(t)}{fix}")
            args.append((key, expr))
        if name not in self.roles_used:
            self.roles_used.append(name)
        return RoleStep(name, tuple(args), self.bind(target, role.output_type), _where(call.span))

    def api_call(self, call: a.Call, target: a.Target | None) -> ApiStep:
        if call.name not in self.tools:
            raise _err(call.name_span, f"unknown API {call.name!r}",
                       hint=f"declare it under APIs or provide it with --tools; known: {', '.join(sorted(self.tools))}")
        args: list[tuple[str, Expr]] = []
        decl = self.doc.api(call.name)
        params = list((decl.spec.parameters.get("properties") or {}) if decl else [])
        for i, arg in enumerate(call.args):
            expr = self.arg_expr(arg)
            key = arg.name
            if key is None:
                if i >= len(params):
                    raise _err(arg.span, f"pass the arguments of API.{call.name} by name (name=value)")
                key = params[i]
            args.append((key, expr))
        if call.name not in self.tools_used:
            self.tools_used.append(call.name)
        return ApiStep(call.name, tuple(args), self.bind(target, "dict"), _where(call.span))


def lower(doc: PdlDocument, library: RoleLibrary, *, tools: Iterable[str] = ()) -> Program:
    """Check and lower ``doc``'s procedure for executed mode.

    Args:
        doc: the parsed document.
        library: the roles ``ROLE.x`` calls resolve against.
        tools: tool names available besides the document's ``APIs`` (built-ins, ``--tools`` files).

    Raises:
        UserError: the first problem, at ``path:line:col``.
    """
    low = _Lowerer(doc, library, tools)
    inputs: list[tuple[str, str, bool, object]] = []
    for decl in doc.inputs:
        t = resolve_type(decl.type, library.types)
        if t is None:
            raise _err(decl.span, f"input {decl.name!r} has unknown type {decl.type!r}")
        low.scope[decl.name] = t
        low.assigned.add(decl.name)
        inputs.append((decl.name, describe(t), decl.required, decl.default))
    _predeclare(doc.procedure, low.scope)
    steps = low.block(doc.procedure)
    outputs = tuple((o.name, o.type) for o in doc.outputs)
    return Program(
        name=doc.name, path=doc.path, steps=steps, inputs=tuple(inputs), outputs=outputs,
        roles=tuple(low.roles_used), tools=tuple(low.tools_used),
        var_types={k: describe(v) for k, v in low.scope.items()},
    )


def _predeclare(block: a.Block, scope: dict[str, SType]) -> None:
    """Every assigned name is known everywhere (loop-carried values), typed ``any`` until assigned."""
    for stmt in a.walk(block):
        targets: tuple[a.Target, ...] = ()
        if isinstance(stmt, a.Call | a.Assign | a.For):
            targets = stmt.targets
        for t in targets:
            scope.setdefault(t.name, "any")
