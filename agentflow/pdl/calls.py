"""Recognising calls in a PDL line: ``API.x(...)``, ``API_x(...)``, ``ANSWER.x()``, ``ROLE.x(...)``, ``x(...)``.

A call's name runs from after its prefix up to its opening parenthesis, so FlowAgent names with
spaces, Unicode and full-width punctuation (``ANSWER.请问您贵姓，怎么称呼()``) are read whole. Arguments
are split at top-level commas; FlowAgent's single list argument ``API.x([a, b])`` is flattened.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from agentflow.pdl.ast import Arg, Call, CallKind, Span, Target
from agentflow.pdl.expr import ExprSyntaxError, parse_expr
from agentflow.pdl.lines import LogicalLine

__all__ = ["CallMatch", "build_call", "find_calls", "match_call", "parse_args", "split_top"]

_PREFIX = re.compile(r"(?<![\w.])(API|ANSWER|ROLE)([._])")
_KWARG = re.compile(r"^\s*([^\W\d]\w*)\s*=(?!=)")


@dataclass(frozen=True, slots=True)
class CallMatch:
    """Where a call sits in a line: ``start``..``end`` (end exclusive); ``open_at`` is its ``(``."""

    kind: CallKind
    name: str
    style: str
    start: int
    name_start: int
    name_end: int
    open_at: int | None
    end: int
    closed: bool

    def shifted(self, by: int) -> CallMatch:
        """The same match ``by`` characters further right (a condition's offset in its line)."""
        open_at = None if self.open_at is None else self.open_at + by
        return CallMatch(self.kind, self.name, self.style, self.start + by, self.name_start + by,
                         self.name_end + by, open_at, self.end + by, self.closed)  # fmt: skip


def _matching_paren(text: str, open_at: int) -> int | None:
    depth = 0
    quote: str | None = None
    i = open_at
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "\"'" and text.find(ch, i + 1) != -1:
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _match_at(text: str, start: int, kind: CallKind, style: str, name_start: int) -> CallMatch:
    paren = text.find("(", name_start)
    if paren == -1:
        # ``ANSWER.请问您的快件寄往哪个国家/地区？`` — a call written without parentheses.
        end = len(text)
        return CallMatch(kind, text[name_start:end].strip(), style, start, name_start, end, None, end, True)
    name = text[name_start:paren].strip()
    close = _matching_paren(text, paren)
    if close is None:
        return CallMatch(kind, name, style, start, name_start, paren, paren, len(text), False)
    return CallMatch(kind, name, style, start, name_start, paren, paren, close + 1, True)


def find_calls(text: str) -> list[CallMatch]:
    """Every ``API``/``ANSWER``/``ROLE`` call in ``text`` (e.g. inside a condition), left to right."""
    out: list[CallMatch] = []
    pos = 0
    while True:
        m = _PREFIX.search(text, pos)
        if m is None:
            return out
        kind: CallKind = m.group(1)  # type: ignore[assignment]
        style = "dot" if m.group(2) == "." else "underscore"
        cm = _match_at(text, m.start(), kind, style, m.end())
        if cm.open_at is None:
            # Without parentheses only a whole-line call is a call; inside text it is just a word.
            pos = m.end()
            continue
        out.append(cm)
        pos = max(cm.end, m.end())


def match_call(text: str, start: int = 0) -> CallMatch | None:
    """The call that makes up all of ``text[start:]``, or None when it is not exactly one call."""
    rest = text[start:]
    m = _PREFIX.match(rest)
    if m:
        kind: CallKind = m.group(1)  # type: ignore[assignment]
        style = "dot" if m.group(2) == "." else "underscore"
        cm = _match_at(text, start, kind, style, start + m.end())
    else:
        bare = re.match(r"([^\W\d][\w.]*)\s*\(", rest)
        if bare is None or "." in bare.group(1):
            return None
        cm = _match_at(text, start, "BARE", "bare", start)
    if cm.closed and text[cm.end :].strip():
        return None  # e.g. ``API.x(a) == True`` is an expression, not a call statement
    return cm


def scan_top(text: str) -> Iterator[tuple[int, str, int]]:
    """``(offset, char, depth)`` for every character outside string literals.

    ``depth`` is the bracket depth after the character (an opening bracket counts itself, a closing
    one is already uncounted), so separators at ``depth == 0`` are top-level. A quote with no closing
    partner on the line is an ordinary character (prose such as ``don't`` must not swallow the rest).
    """
    depth = 0
    quote: str | None = None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'" and text.find(ch, i + 1) != -1:
            quote = ch
        else:
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
            yield i, ch, depth


def split_top(text: str, sep: str = ",") -> list[tuple[int, str]]:
    """Split at top-level separators (outside brackets and strings): ``(offset, piece)`` pairs."""
    out: list[tuple[int, str]] = []
    start = 0
    for i, ch, depth in scan_top(text):
        if depth == 0 and (ch == sep or (sep == "," and ch == "，")):
            out.append((start, text[start:i]))
            start = i + 1
    out.append((start, text[start:]))
    return out


def parse_args(line: LogicalLine, start: int, end: int) -> tuple[Arg, ...]:
    """Arguments between ``start`` and ``end`` (the text inside the parentheses)."""
    inner = line.text[start:end]
    if not inner.strip():
        return ()
    pieces = split_top(inner)
    if len(pieces) == 1:
        stripped = pieces[0][1].strip()
        if stripped.startswith("[") and stripped.endswith("]") and _is_list(stripped):
            lead = pieces[0][1].index("[")
            return parse_args(line, start + pieces[0][0] + lead + 1, start + pieces[0][0] + lead + len(stripped) - 1)
    args: list[Arg] = []
    for off, piece in pieces:
        if not piece.strip():
            continue
        lead = len(piece) - len(piece.lstrip())
        a0 = start + off + lead
        value = piece.strip()
        name: str | None = None
        kw = _KWARG.match(value)
        if kw:
            name = kw.group(1)
            value = value[kw.end() :].strip()
        try:
            expr = parse_expr(value)
        except ExprSyntaxError:
            expr = None
        args.append(Arg(value, line.span(a0, a0 + len(piece.strip())), name=name, expr=expr))
    return tuple(args)


def _is_list(text: str) -> bool:
    """``[ ... ]`` whose opening bracket closes at the very end (one list, not ``[a] + [b]``)."""
    return _matching_paren(text, 0) == len(text) - 1


def build_call(line: LogicalLine, cm: CallMatch, targets: tuple[Target, ...] = (), span: Span | None = None) -> Call:
    """A :class:`Call` node from a match on ``line`` (``span`` defaults to the call's own text)."""
    args: tuple[Arg, ...] = ()
    if cm.open_at is not None:
        args = parse_args(line, cm.open_at + 1, cm.end - 1 if cm.closed else cm.end)
    name = cm.name
    return Call(
        kind=cm.kind,
        name=name,
        span=span or line.span(cm.start, cm.end),
        name_span=line.span(cm.name_start, max(cm.name_end, cm.name_start + 1)),
        args=args,
        targets=targets,
        closed=cm.closed,
        style=cm.style,  # type: ignore[arg-type]
    )
