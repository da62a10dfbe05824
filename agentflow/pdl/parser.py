"""Procedure text → :class:`~agentflow.pdl.ast.Block`, tolerant like a model reader, precise like a compiler.

Blocks are found by indentation. Each logical line is read as the first thing that fits: a comment,
a control-flow header (``if``/``elif``/``else``/``while``/``for``/``parallel``), ``break``,
``continue``, ``return``, a call, an assignment — and otherwise kept as :class:`~agentflow.pdl.ast.Text`
with its location. Problems that FlowAgent files really have (a header missing its colon, stray
indentation) are warnings; structural nonsense (``else`` with no ``if``) is an error. The parser
never raises for the content of a procedure: it returns its diagnostics with the block.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agentflow.pdl.ast import (
    Assign,
    Block,
    Branch,
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
    Target,
    Text,
    While,
)
from agentflow.pdl.calls import build_call, find_calls, match_call, scan_top, split_top
from agentflow.pdl.diagnostics import Diagnostic, Severity
from agentflow.pdl.expr import ExprSyntaxError, parse_expr
from agentflow.pdl.lines import LineMap, LogicalLine, logical_lines

__all__ = ["MAX_DEPTH", "parse_procedure"]

MAX_DEPTH = 64
_HEADER = re.compile(r"^(if|elif|else\s+if|while|for)(?=[\s(:]|$)(.*)$")
_ELSE = re.compile(r"^else\s*:?\s*$")
_PARALLEL = re.compile(r"^parallel\s*:?\s*$")
_BUDGET = re.compile(r"^(.*?)\s*\(?\s*\bmax\s+(\d+)(?:\s+times)?\s*\)?\s*$")
_FOR = re.compile(r"^(.+?)\s+in\s+(.+)$")
_DEF = re.compile(r"^def\s+([^\W\d]\w*)\s*\((.*)\)\s*(?:->\s*(.+?))?\s*(:?)$")


def parse_procedure(lines: Sequence[str], linemap: LineMap) -> tuple[Block, list[Diagnostic]]:
    """Parse the procedure's lines (``linemap`` places them in the file)."""
    parser = _Parser(logical_lines(lines, linemap), linemap.path)
    return parser.parse(), parser.diags


class _Parser:
    def __init__(self, lines: list[LogicalLine], path: str) -> None:
        self.lines = lines
        self.path = path
        self.i = 0
        self.diags: list[Diagnostic] = []

    # -- diagnostics -------------------------------------------------------------------------
    def diag(self, severity: Severity, span: Span, message: str, hint: str | None = None, code: str = "") -> None:
        length = span.end_col - span.col if span.end_line == span.line else 1
        self.diags.append(Diagnostic(severity, message, span.location, hint, max(length, 1), code))

    # -- blocks ------------------------------------------------------------------------------
    def parse(self) -> Block:
        if not self.lines:
            return Block((), Span(self.path, 1, 1, 1, 1))
        stmts = self.block(self.lines[0].indent, 0)
        while self.i < len(self.lines):  # lines dedented below the first line's indentation
            ln = self.lines[self.i]
            self.diag("warning", ln.span(), "line is indented less than the procedure's first line", code="indent")
            stmts += self.block(ln.indent, 0)
        return self._block(stmts, self.lines[0])

    def _block(self, stmts: list[Stmt], first: LogicalLine) -> Block:
        if not stmts:
            return Block((), first.span(0, 0))
        start, end = _span_of(stmts[0]), _span_of(stmts[-1])
        return Block(tuple(stmts), Span(self.path, start.line, start.col, end.end_line, end.end_col))

    def block(self, indent: int, depth: int) -> list[Stmt]:
        stmts: list[Stmt] = []
        while self.i < len(self.lines):
            ln = self.lines[self.i]
            if ln.indent < indent:
                break
            if ln.indent > indent and not ln.comment:
                self.diag("warning", ln.span(), "unexpected indentation", "indent it like the line above", "indent")
            self.i += 1
            self.statement(ln, stmts, depth)
        return stmts

    def body(self, header: LogicalLine, depth: int) -> Block:
        """The indented block after ``header`` (already consumed)."""
        if self.i < len(self.lines) and self.lines[self.i].indent > header.indent:
            first = self.lines[self.i]
            if depth + 1 > MAX_DEPTH:
                self.diag("error", first.span(), f"blocks nested more than {MAX_DEPTH} deep", code="depth")
                while self.i < len(self.lines) and self.lines[self.i].indent > header.indent:
                    self.i += 1
                return Block((), first.span(0, 0))
            return self._block(self.block(first.indent, depth + 1), first)
        self.diag("warning", header.span(), "empty block", "indent the statements that belong to it", "empty-block")
        return Block((), header.span(len(header.text), len(header.text)))

    # -- statements --------------------------------------------------------------------------
    def statement(self, ln: LogicalLine, stmts: list[Stmt], depth: int) -> None:
        text = ln.text
        if ln.comment:
            stmts.append(Comment(text[1:].strip(), ln.span()))
            return
        if _ELSE.match(text):
            self.attach_else(ln, stmts, None, depth)
            return
        m = _HEADER.match(text)
        if m:
            self.header(ln, m.group(1), m.start(2), stmts, depth)
            return
        dm = _DEF.match(text)
        if dm:
            if not dm.group(4):
                self.diag("warning", ln.span(len(text) - 1, len(text)), "missing ':' at the end of the 'def' line",
                          f"write `{text}:`", "missing-colon")  # fmt: skip
            inner = dm.group(2).strip()
            p0 = dm.start(2) + (len(dm.group(2)) - len(dm.group(2).lstrip()))
            params = self.targets(ln, p0, p0 + len(inner)) if inner else ()
            if params is None:
                self.diag("warning", ln.span(dm.start(2), dm.end(2)), "parameters are not a list of names", code="text")
            returns = dm.group(3)
            stmts.append(Def(dm.group(1), params or (), self.body(ln, depth), ln.span(), returns))
            return
        if _PARALLEL.match(text):
            stmts.append(Parallel(self.body(ln, depth), ln.span()))
            return
        if text in ("break", "continue", "pass"):
            span = ln.span()
            stmts.append(
                Break(span) if text == "break" else Continue(span) if text == "continue" else Comment(text, span)
            )
            return
        if re.match(r"^return\b", text):
            value = self.condition(ln, 6, len(text)) if text[6:].strip() else None
            stmts.append(Return(ln.span(), value))
            return
        cm = match_call(text)
        if cm is not None:
            stmts.append(build_call(ln, cm))
            return
        assign = self.assignment(ln)
        stmts.append(assign if assign is not None else Text(text, ln.span()))

    def header(self, ln: LogicalLine, keyword: str, start: int, stmts: list[Stmt], depth: int) -> None:
        text = ln.text
        end = len(text)
        if text.endswith(":"):
            end -= 1
        else:
            self.diag("warning", ln.span(end - 1, end), f"missing ':' at the end of the '{keyword.split()[0]}' line",
                      f"write `{text}:`", "missing-colon")  # fmt: skip
        budget: int | None = None
        if keyword in ("while", "for"):
            bm = _BUDGET.match(text[start:end])
            if bm:
                budget = int(bm.group(2)[:9])
                if budget < 1:
                    self.diag("error", ln.span(start, end), "a loop budget must be at least 1", code="budget")
                end = start + len(bm.group(1))
        if keyword in ("elif", "else if") or keyword.startswith("else"):
            self.attach_else(ln, stmts, self.condition(ln, start, end), depth)
            return
        if keyword == "if":
            cond = self.condition(ln, start, end)
            stmts.append(If((Branch(cond, self.body(ln, depth), ln.span()),), ln.span()))
        elif keyword == "while":
            stmts.append(While(self.condition(ln, start, end), self.body(ln, depth), ln.span(), budget))
        else:
            fm = _FOR.match(text[start:end])
            if fm is None:
                self.diag("warning", ln.span(), "'for' line is not `for NAME in VALUE:`; kept as text", code="text")
                stmts.append(Text(text, ln.span()))
                self.body(ln, depth)
                return
            off = start + fm.start(2)
            targets = self.targets(ln, start + fm.start(1), start + fm.end(1)) or ()
            stmts.append(
                For(targets, self.condition(ln, off, start + fm.end(2)), self.body(ln, depth), ln.span(), budget)
            )

    def attach_else(self, ln: LogicalLine, stmts: list[Stmt], cond: ConditionText | None, depth: int) -> None:
        word = "else" if cond is None else "elif"
        body = self.body(ln, depth)
        k = len(stmts) - 1
        while k >= 0 and isinstance(stmts[k], Comment):
            k -= 1
        prev = stmts[k] if k >= 0 else None
        if not isinstance(prev, If) or prev.orelse is not None:
            self.diag("error", ln.span(0, len(word)), f"'{word}' without a matching 'if'",
                      "indent it like its 'if' line", "orphan-else")  # fmt: skip
            return
        # direct construction: dataclasses.replace is slow, and long elif chains call this often
        if cond is None:
            stmts[k] = If(prev.branches, prev.span, body, ln.span())
        else:
            stmts[k] = If((*prev.branches, Branch(cond, body, ln.span())), prev.span)

    def condition(self, ln: LogicalLine, start: int, end: int) -> ConditionText:
        """A condition or value: calls inside it become ``__call{i}__`` names in ``expr``."""
        raw = ln.text[start:end]
        lead = len(raw) - len(raw.lstrip())
        start += lead
        text = raw.strip()
        matches = find_calls(text)
        calls: list[Call] = []
        for cm in matches:
            calls.append(build_call(ln, cm.shifted(start)))
        replaced = text
        for idx in reversed(range(len(matches))):
            replaced = replaced[: matches[idx].start] + f"__call{idx}__" + replaced[matches[idx].end :]
        try:
            expr = parse_expr(replaced) if text else None
        except ExprSyntaxError:
            expr = None
        return ConditionText(text, ln.span(start, start + len(text)) if text else ln.span(), expr, tuple(calls))

    def targets(self, ln: LogicalLine, start: int, end: int) -> tuple[Target, ...] | None:
        """``a``, ``a, b``, ``[a, b]`` or ``a: Type``; None when the text is not a target list."""
        raw = ln.text[start:end]
        s = raw.strip()
        off = start + (len(raw) - len(raw.lstrip()))
        if s.startswith("[") and s.endswith("]"):
            s, off = s[1:-1], off + 1
        out: list[Target] = []
        for poff, piece in split_top(s):
            name, _, typ = piece.partition(":")
            name_s = name.strip()
            if not name_s.isidentifier() or (typ and not typ.strip().replace(".", "_").isidentifier()):
                return None
            p0 = off + poff + (len(piece) - len(piece.lstrip()))
            out.append(Target(name_s, ln.span(p0, p0 + len(name_s)), typ.strip() or None))
        return tuple(out) if out else None

    def assignment(self, ln: LogicalLine) -> Call | Assign | None:
        eq = _find_assign(ln.text)
        if eq is None:
            return None
        targets = self.targets(ln, 0, eq)
        if targets is None:
            return None
        rhs = eq + 1 + (len(ln.text[eq + 1 :]) - len(ln.text[eq + 1 :].lstrip()))
        cm = match_call(ln.text, rhs)
        if cm is not None:
            return build_call(ln, cm, targets, span=ln.span())
        return Assign(targets, self.condition(ln, eq + 1, len(ln.text)), ln.span())


def _find_assign(text: str) -> int | None:
    """Offset of the top-level ``=`` that is an assignment (not ``==``, ``<=``, ``>=``, ``!=``)."""
    for i, ch, depth in scan_top(text):
        if depth < 0:
            return None
        if ch == "=" and depth == 0:
            prev = text[i - 1] if i else ""
            nxt = text[i + 1] if i + 1 < len(text) else ""
            return i if prev not in "=!<>" and nxt != "=" else None
    return None


def _span_of(stmt: Stmt) -> Span:
    return stmt.span
