"""Procedure text → logical lines that know where each character sits in the file.

The procedure is a YAML scalar, so its text is shifted relative to the file (the key's line, the
block-scalar indentation). :class:`LineMap` maps a line of the procedure text back to the file line
and column. :func:`logical_lines` then joins physical lines that belong together (a call whose
parenthesis or bracket spans lines) and strips trailing comments, keeping a position map so every
offset in a logical line still points at its file line and column.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from agentflow.pdl.ast import Span

__all__ = ["LineMap", "LogicalLine", "logical_lines", "scan_brackets", "strip_comment"]

_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {")", "]", "}"}
TAB_WIDTH = 4
_SPECIAL = re.compile(r"[\\\"'#()\[\]{}]")


@dataclass(frozen=True, slots=True)
class LineMap:
    """Procedure line ``i`` (0-based) is file line ``starts[i][0]`` with column offset ``starts[i][1]``."""

    path: str
    starts: tuple[tuple[int, int], ...]

    def at(self, index: int, col0: int) -> tuple[int, int]:
        """File (line, 1-based column) of 0-based column ``col0`` on procedure line ``index``."""
        if not self.starts:
            return (1, col0 + 1)
        line, off = self.starts[min(index, len(self.starts) - 1)]
        if index >= len(self.starts):
            line += index - len(self.starts) + 1
        return (line, off + col0 + 1)


@dataclass(frozen=True, slots=True)
class LogicalLine:
    """One statement's text (comment stripped, continuation lines joined by a space).

    ``segments`` are ``(offset in text, file line, file column)`` for the start of each physical
    line's piece, so ``text[i]`` sits at ``(line, col + i - offset)`` of the last segment at or before
    ``i``; ``indent`` is the first physical line's indentation in columns (tabs count as 4).
    """

    text: str
    indent: int
    segments: tuple[tuple[int, int, int], ...]
    path: str
    comment: bool = False
    unclosed_at: int | None = None
    """Offset in ``text`` of a bracket that was never closed, when any."""

    def pos(self, offset: int) -> tuple[int, int]:
        """File (line, column) of ``text[offset]``."""
        if not self.segments:
            return (1, 1)
        offset = max(offset, 0)
        if len(self.segments) == 1:
            _, line, col = self.segments[0]
            return (line, col + offset)
        k = max(bisect_right(self.segments, (offset, 1 << 62, 0)) - 1, 0)
        start, line, col = self.segments[k]
        return (line, col + offset - start)

    def span(self, start: int = 0, end: int | None = None) -> Span:
        """The file span of ``text[start:end]``."""
        end = len(self.text) if end is None else end
        line, col = self.pos(start)
        end_line, end_col = self.pos(max(end - 1, start))
        return Span(self.path, line, col, end_line, end_col + 1)


def scan_brackets(text: str, start: int = 0, stack: list[int] | None = None) -> tuple[list[int], int | None]:
    """Open-bracket offsets still unclosed after ``text[start:]``, and where a ``#`` comment begins.

    ``stack`` carries the open brackets of an earlier part of the line (continuation lines are
    scanned incrementally). Quotes are honoured (brackets and ``#`` inside strings do not count); an
    unmatched closing bracket is ignored (prose is full of them).
    """
    stack = [] if stack is None else stack
    quote: str | None = None
    skip_to = -1
    for m in _SPECIAL.finditer(text, start):
        i = m.start()
        if i < skip_to:
            continue
        ch = text[i]
        if quote:
            if ch == "\\":
                skip_to = i + 2
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            if _closes_later(text, i, ch):
                quote = ch
        elif ch == "#":
            return stack, i
        elif ch in _OPEN:
            stack.append(i)
        elif ch in _CLOSE and stack and _OPEN[text[stack[-1]]] == ch:
            stack.pop()
    return stack, None


def _closes_later(text: str, i: int, quote: str) -> bool:
    """An apostrophe in prose (``user's``) does not open a string unless it is closed on the line."""
    return text.find(quote, i + 1) != -1


def strip_comment(text: str) -> str:
    """``text`` without a trailing ``# comment`` (outside strings)."""
    _, hash_at = scan_brackets(text)
    return text if hash_at is None else text[:hash_at].rstrip()


def _indent_of(raw: str) -> tuple[int, int]:
    """(indent in columns, number of leading whitespace characters)."""
    cols = 0
    chars = 0
    for ch in raw:
        if ch == " ":
            cols += 1
        elif ch == "\t":
            cols += TAB_WIDTH - cols % TAB_WIDTH
        else:
            break
        chars += 1
    return cols, chars


def logical_lines(lines: Sequence[str], linemap: LineMap) -> list[LogicalLine]:
    """Group physical procedure lines into statements.

    A line with an unclosed bracket swallows the following lines while they are indented deeper
    than it or start with a closing bracket; when that stops before the bracket closes, the logical
    line records ``unclosed_at`` (the checker's "call never closed" error).
    """
    out: list[LogicalLine] = []
    i = 0
    n = len(lines)
    while i < n:
        raw = lines[i]
        indent, lead = _indent_of(raw)
        body = raw[lead:].rstrip()
        if not body:
            i += 1
            continue
        if body.startswith("#"):
            line, col = linemap.at(i, lead)
            out.append(LogicalLine(body, indent, ((0, line, col),), linemap.path, comment=True))
            i += 1
            continue
        text = body
        line, col = linemap.at(i, lead)
        segments = [(0, line, col)]
        stack, hash_at = scan_brackets(text)
        j = i + 1
        while stack and hash_at is None and j < n:
            nraw = lines[j]
            nindent, nlead = _indent_of(nraw)
            nbody = nraw[nlead:].rstrip()
            if nbody and nindent <= indent and nbody[0] not in _CLOSE:
                break
            if nbody:
                text += " "
                base = len(text)
                text += nbody
                nline, ncol = linemap.at(j, nlead)
                segments.append((base, nline, ncol))
                stack, hash_at = scan_brackets(text, base, stack)
            j += 1
        if hash_at is not None:
            text = text[:hash_at].rstrip()
        unclosed = stack[0] if stack else None
        out.append(LogicalLine(text, indent, tuple(segments), linemap.path, unclosed_at=unclosed))
        i = j
    return out
