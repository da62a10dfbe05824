"""The PDL static checker: every problem it can see, as located diagnostics with fixes.

Errors (the file is rejected): a call never closed; a call to an API or ROLE declared nowhere;
precondition names that do not exist; precondition cycles; a name declared twice with conflicting
types; type mismatches it can see; unreachable code; ``break`` outside a loop; in executed mode, text
or prose where code is needed.

Warnings (tolerated, as FlowAgent files need): comment-only branches, variables first bound by an
ANSWER, slots used but not declared, ANSWER calls with no declaration, repeated declarations that
agree (or differ only in their description), calls missing their ``API.`` prefix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

import networkx as nx

from agentflow.errors import Location
from agentflow.pdl.ast import (
    Assign,
    Block,
    Break,
    Call,
    Comment,
    ConditionText,
    Continue,
    Def,
    For,
    If,
    Parallel,
    Return,
    Span,
    Stmt,
    Text,
    While,
    walk,
)
from agentflow.pdl.checktypes import check_types
from agentflow.pdl.checkurls import check_urls
from agentflow.pdl.diagnostics import Diagnostic, Severity
from agentflow.pdl.document import PdlDocument, name_key
from agentflow.pdl.expr import free_names

__all__ = ["check"]

_BUILTIN_CALLS = {"len", "str", "int", "float", "bool", "abs", "min", "max", "sum", "any", "all", "round", "print"}


def check(doc: PdlDocument, *, known_roles: set[str] | None = None) -> list[Diagnostic]:
    """Check ``doc``: its parse diagnostics plus everything the checker finds, in file order.

    Args:
        doc: a parsed document.
        known_roles: role names a ``ROLE.x(...)`` call may use (with the file's own ``ROLEs``);
            None means do not check role names unless the file declares ``ROLEs``.
    """
    c = _Checker(doc, known_roles)
    c.run()
    out = list(doc.diagnostics) + c.diags
    seen: set[tuple[str, str, int, int]] = set()
    unique: list[Diagnostic] = []
    for d in out:
        key = (d.severity, d.message, d.location.line, d.location.col)
        if key not in seen:
            seen.add(key)
            unique.append(d)
    return sorted(unique, key=lambda d: (d.location.path != doc.path, d.location.path, d.location.line, d.location.col))


def _hint(name: str, candidates: Iterable[str]) -> str | None:
    pool = list(dict.fromkeys(candidates))
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if not close:
        keyed = {name_key(c).lower(): c for c in pool}
        close = [keyed[k] for k in difflib.get_close_matches(name_key(name).lower(), list(keyed), n=1, cutoff=0.6)]
    return f"did you mean {close[0]}?" if close else None


class _Checker:
    def __init__(self, doc: PdlDocument, known_roles: set[str] | None) -> None:
        self.doc = doc
        self.diags: list[Diagnostic] = []
        self.executed = doc.mode == "executed"
        self.known_roles = None if known_roles is None and not doc.roles else {r.name for r in doc.roles}
        if known_roles is not None:
            self.known_roles = (self.known_roles or set()) | set(known_roles)
        self.api_names = [a.name for a in doc.apis]
        self.answer_names = [a.name for a in doc.answers]
        self.defs = {s.name for s in walk(doc.procedure) if isinstance(s, Def)}

    def add(self, severity: Severity, where: Span | Location, message: str, hint: str | None = None,
            code: str = "") -> None:  # fmt: skip
        if isinstance(where, Span):
            length = where.end_col - where.col if where.end_line == where.line else 1
            loc = where.location
        else:
            length, loc = 1, where
        self.diags.append(Diagnostic(severity, message, loc, hint, max(length, 1), code))

    def run(self) -> None:
        self.declarations()
        self.preconditions()
        self.calls()
        self.flow(self.doc.procedure, in_loop=False)
        self.bindings()
        self.diags += check_types(self.doc)
        self.diags += check_urls(self.doc)

    # -- declarations ------------------------------------------------------------------------------
    def declarations(self) -> None:
        doc = self.doc
        groups: list[tuple[str, Sequence[tuple[str, Span, object, str]]]] = [
            ("slot", [(s.name, s.span, (s.type, s.available_types), s.desc) for s in doc.slots]),
            ("API", [(a.name, a.span, (a.preconditions, a.spec.parameters, a.spec.returns), a.desc) for a in doc.apis]),
            ("ANSWER", [(a.name, a.span, (a.preconditions,), a.desc) for a in doc.answers]),
            ("input", [(i.name, i.span, (i.type,), i.desc) for i in doc.inputs]),
            ("output", [(o.name, o.span, (o.type,), o.desc) for o in doc.outputs]),
            ("role", [(r.name, r.span, (r.file, r.output), r.desc) for r in doc.roles]),
        ]
        for what, entries in groups:
            first: dict[str, tuple[Span, object, str]] = {}
            for name, span, shape, desc in entries:
                if not name:
                    self.add("error", span, f"empty {what} name", code="missing-name")
                    continue
                key = name_key(name)
                if key not in first:
                    first[key] = (span, shape, desc)
                    continue
                fspan, fshape, fdesc = first[key]
                where = f"first declared at line {fspan.line}" if fspan.path == span.path else f"first in {fspan}"
                if fshape != shape:
                    self.add("error", span, f"{what} '{name}' is declared twice with conflicting types ({where})",
                             "keep one declaration", "conflicting-declaration")  # fmt: skip
                elif fdesc != desc:
                    msg = f"{what} '{name}' is declared twice with different descriptions ({where})"
                    self.add("warning", span, msg, "keep one declaration", "duplicate-declaration")
                else:
                    self.add("warning", span, f"{what} '{name}' is declared twice ({where})", "remove the repeat",
                             "duplicate-declaration")  # fmt: skip

    def preconditions(self) -> None:
        doc = self.doc
        graph: nx.DiGraph = nx.DiGraph()
        api_keys = {name_key(n) for n in self.api_names}
        answer_keys = {name_key(n) for n in self.answer_names}
        for decl, kind in [(a, "API") for a in doc.apis] + [(a, "ANSWER") for a in doc.answers]:
            spans = list(decl.precondition_spans) + [decl.span] * len(decl.preconditions)
            for pre, span in zip(decl.preconditions, spans, strict=False):
                if name_key(pre) in api_keys:
                    if kind == "API":
                        graph.add_edge(name_key(pre), name_key(decl.name))
                    continue
                if kind == "ANSWER" and name_key(pre) in answer_keys:
                    continue
                self.add("error", span, f"precondition '{pre}' of {kind} '{decl.name}' is not a declared API",
                         _hint(pre, self.api_names) or "list API names declared under APIs:",
                         "unknown-precondition")  # fmt: skip
            for vc in decl.value_conditions:
                if vc.api is None:
                    names = ", ".join(n.id for n in free_names(vc.expr)) or vc.text
                    self.add("error", vc.span, f"value precondition '{vc.text}' reads no declared API ({names})",
                             "write it as API_NAME.field == value", "unknown-precondition")  # fmt: skip
                elif kind == "API":
                    graph.add_edge(name_key(vc.api), name_key(decl.name))
        seen_cycles: set[frozenset[str]] = set()
        order = {name_key(a.name): i for i, a in reversed(list(enumerate(doc.apis)))}
        for found in nx.simple_cycles(graph):
            # start each cycle at its first-declared API so the message is stable across runs
            k = min(range(len(found)), key=lambda i: order.get(found[i], len(order)))
            cycle = found[k:] + found[:k]
            key = frozenset(cycle)
            if key in seen_cycles:
                continue
            seen_cycles.add(key)
            decl_api = doc.api(cycle[0])
            path = " -> ".join([*cycle, cycle[0]])
            if decl_api is not None:
                self.add("error", decl_api.span, f"precondition cycle: {path}", "no API can ever run; remove one edge",
                         "precondition-cycle")  # fmt: skip
            if len(seen_cycles) >= 20:
                break

    # -- calls -------------------------------------------------------------------------------------
    def calls(self) -> None:
        answer_warned: set[str] = set()
        for call in self.doc.calls():
            if not call.closed:
                self.add("error", call.name_span, f"call to {call.kind}.{call.name} is never closed: missing ')'",
                         "close the argument list with ')'", "unclosed-call")  # fmt: skip
            if call.kind == "API":
                self.api_call(call)
            elif call.kind == "ROLE":
                if self.known_roles is not None and call.name not in self.known_roles:
                    self.add("error", call.name_span, f"ROLE '{call.name}' is declared nowhere",
                             _hint(call.name, self.known_roles) or "declare it under ROLEs: or add roles/NAME.yaml",
                             "undeclared-role")  # fmt: skip
            elif call.kind == "ANSWER":
                if self.doc.answer(call.name) is None and name_key(call.name) not in answer_warned:
                    answer_warned.add(name_key(call.name))
                    hint = _hint(call.name, self.answer_names)
                    self.add("warning", call.name_span, f"ANSWER '{call.name}' is not declared under ANSWERs",
                             hint or "the model treats it as a reply intent; declare it to describe it",
                             "undeclared-answer")  # fmt: skip
            else:
                self.bare_call(call)

    def api_call(self, call: Call) -> None:
        if self.doc.api(call.name) is not None:
            return
        if self.doc.answer(call.name) is not None:
            hint = f"'{call.name}' is an ANSWER: write ANSWER.{call.name}()"
        else:
            hint = _hint(call.name, self.api_names) or "declare it under APIs: or in the tool file"
        where = "neither in this file nor in its tool file" if self.doc.tools_path else "not under APIs:"
        self.add("error", call.name_span, f"API '{call.name}' is declared nowhere ({where})", hint, "undeclared-api")

    def bare_call(self, call: Call) -> None:
        name = call.name
        if name in self.defs or name in _BUILTIN_CALLS:
            return
        if self.executed:
            from agentflow.pdl.functions import BUILTINS  # executed-mode functions (majority, join, ...)

            if name in BUILTINS:
                return
        if self.doc.api(name) is not None:
            self.add("warning", call.name_span, f"call to API '{name}' without the 'API.' prefix",
                     f"write API.{name}(...)", "missing-prefix")  # fmt: skip
            return
        if self.doc.answer(name) is not None:
            self.add("warning", call.name_span, f"call to ANSWER '{name}' without the 'ANSWER.' prefix",
                     f"write ANSWER.{name}()", "missing-prefix")  # fmt: skip
            return
        hint = _hint(name, [*self.api_names, *self.defs]) or "prefix API./ANSWER./ROLE. or define it with def"
        self.add("error", call.name_span, f"'{name}(...)' calls nothing declared (not an API, ANSWER or def)", hint,
                 "undeclared-call")  # fmt: skip

    # -- control flow ------------------------------------------------------------------------------
    def flow(self, block: Block, in_loop: bool) -> bool:
        """Check ``block``; returns True when control never falls off its end (break/return/continue)."""
        ended_by: str | None = None
        for stmt in block.stmts:
            if isinstance(stmt, Comment):
                continue
            if ended_by is not None:
                self.add("error", stmt.span, f"unreachable code after {ended_by}",
                         "remove it or move it before that line", "unreachable")  # fmt: skip
                return True
            ended_by = self.stmt_flow(stmt, in_loop)
        return ended_by is not None

    def stmt_flow(self, stmt: Stmt, in_loop: bool) -> str | None:  # noqa: C901 - a dispatcher over statements
        if isinstance(stmt, Break | Continue):
            word = "break" if isinstance(stmt, Break) else "continue"
            if not in_loop:
                self.add("error", stmt.span, f"'{word}' outside a loop", "use it inside while/for", "break-outside")
            return f"'{word}'"
        if isinstance(stmt, Return):
            self.need_code(stmt.value)
            return "'return'"
        if isinstance(stmt, If):
            ends = []
            for br in stmt.branches:
                self.need_code(br.cond)
                self.comment_only(br.body, "if" if br is stmt.branches[0] else "elif", br.span)
                ends.append(self.flow(br.body, in_loop))
            if stmt.orelse is not None:
                self.comment_only(stmt.orelse, "else", stmt.else_span or stmt.orelse.span)
                ends.append(self.flow(stmt.orelse, in_loop))
            return "an if/else whose every branch leaves" if stmt.orelse is not None and all(ends) else None
        if isinstance(stmt, While):
            self.need_code(stmt.cond)
            self.flow(stmt.body, in_loop=True)
            if self.executed and stmt.budget is None:
                self.add("warning", stmt.span, "loop without a budget", "write `while COND max N:`", "no-budget")
            forever = stmt.cond.expr is not None and _is_true(stmt.cond)
            if forever and not any(isinstance(s, Break | Return) for s in _loop_exits(stmt.body)):
                return "a 'while True' loop with no break"
            return None
        if isinstance(stmt, For):
            self.need_code(stmt.iter)
            self.flow(stmt.body, in_loop=True)
            return None
        if isinstance(stmt, Parallel):
            for s in stmt.body.stmts:
                if not isinstance(s, Call | Assign | Comment):
                    self.add("error", s.span, "a parallel block holds only calls and assignments", code="parallel")
            return None
        if isinstance(stmt, Def):
            self.flow(stmt.body, in_loop=False)
            return None
        if isinstance(stmt, Text) and self.executed:
            self.add("error", stmt.span, "text where code is needed (executed workflows run every line)",
                     "write it as a call, assignment or # comment", "text")  # fmt: skip
        if isinstance(stmt, Assign):
            self.need_code(stmt.value)
        return None

    def need_code(self, cond: ConditionText | None) -> None:
        if cond is not None and cond.expr is None and self.executed:
            self.add("error", cond.span, f"'{cond.text}' is not a machine-checkable expression",
                     "executed workflows need code here, e.g. verdict.ok or score >= 8", "prose-condition")  # fmt: skip

    def comment_only(self, block: Block, word: str, span: Span) -> None:
        if not (block.stmts and block.is_comment_only):
            return
        if self.executed:
            self.add("error", span, f"'{word}' branch has only comments: an executed workflow has nothing to run",
                     "write the statements the comment describes", "comment-only")  # fmt: skip
        else:
            self.add("warning", span, f"'{word}' branch has only comments (the model decides what to do)",
                     code="comment-only")  # fmt: skip

    # -- variables ---------------------------------------------------------------------------------
    def bindings(self) -> None:
        slots = {s.name for s in self.doc.slots}
        bound: set[str] = {i.name for i in self.doc.inputs}
        for stmt in walk(self.doc.procedure):
            if isinstance(stmt, Def):
                bound |= {p.name for p in stmt.params}
            if isinstance(stmt, For):
                bound |= {t.name for t in stmt.targets}
            if isinstance(stmt, Call) and stmt.kind == "ANSWER":
                for t in stmt.targets:
                    if t.name in bound:
                        continue
                    if not self.executed and t.name not in slots:
                        self.add("warning", t.span, f"slot '{t.name}' is used but not declared under SLOTs",
                                 _hint(t.name, slots) or "declare it so the model knows what to ask for",
                                 "undeclared-slot")  # fmt: skip
                    elif self.executed:
                        self.add("warning", t.span, f"'{t.name}' is first bound by ANSWER.{stmt.name}",
                                 code="answer-binding")  # fmt: skip
            if isinstance(stmt, Call | Assign):
                bound |= {t.name for t in stmt.targets}
        if self.executed:
            self.unknown_names(bound)

    def unknown_names(self, bound: set[str]) -> None:
        known = bound | {s.name for s in self.doc.slots}
        for stmt in walk(self.doc.procedure):
            conds: list[ConditionText | None] = []
            if isinstance(stmt, If):
                conds = [b.cond for b in stmt.branches]
            elif isinstance(stmt, While):
                conds = [stmt.cond]
            elif isinstance(stmt, For):
                conds = [stmt.iter]
            elif isinstance(stmt, Assign | Return):
                conds = [stmt.value]
            elif isinstance(stmt, Call):
                for arg in stmt.args:
                    conds.append(ConditionText(arg.text, arg.span, arg.expr))
            for cond in conds:
                if cond is None or cond.expr is None:
                    continue
                for n in free_names(cond.expr):
                    if n.id not in known and not n.id.startswith("__call"):
                        self.add("error", cond.span, f"'{n.id}' is not defined", _hint(n.id, known)
                                 or "declare it under Inputs: or assign it before use", "undefined-name")  # fmt: skip


def _is_true(cond: ConditionText) -> bool:
    from agentflow.pdl.expr import Const

    return isinstance(cond.expr, Const) and cond.expr.value is True


def _loop_exits(block: Block) -> list[Stmt]:
    """Break/return statements that leave this loop (not those of nested loops)."""
    out: list[Stmt] = []
    for stmt in block.stmts:
        if isinstance(stmt, Break | Return):
            out.append(stmt)
        elif isinstance(stmt, If):
            for br in stmt.branches:
                out += _loop_exits(br.body)
            if stmt.orelse is not None:
                out += _loop_exits(stmt.orelse)
        elif isinstance(stmt, Parallel):
            out += _loop_exits(stmt.body)
    return out
