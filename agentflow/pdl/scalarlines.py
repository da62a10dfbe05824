"""Where each line of a procedure written as a YAML scalar sits in the file.

A procedure is normally a literal block (``Procedure: |``), where value line ``i`` is file line
``first + i`` shifted by the block's indentation. Quoted scalars (``"a\\nb"`` puts two value lines on
one file line) and folded or plain ones (YAML joins lines) do not keep that correspondence, so each
value line's opening text is found in the scalar's source instead. :func:`joined_lines` tells when
YAML folded several written lines into one, which silently changes a procedure.
"""

from __future__ import annotations

from bisect import bisect_right

import yaml

__all__ = ["joined_lines", "scalar_line_starts"]

LineStarts = tuple[tuple[int, int], ...]


def scalar_line_starts(text: str, node: yaml.ScalarNode, lines: list[str]) -> LineStarts:
    """File (1-based line, column offset) of each line of ``node``'s value ``lines``, for a ``LineMap``."""
    if node.style == "|":
        return _literal_starts(text, node, lines)
    return _found_starts(text, node, lines)


def joined_lines(text: str, node: yaml.ScalarNode, lines: list[str]) -> bool:
    """Whether a folded (``>``) or plain scalar has fewer non-blank lines than were written."""
    if node.style not in (">", None, ""):
        return False
    first = node.start_mark.line + (1 if node.style == ">" else 0)  # '>' sits on the key's line
    last = node.end_mark.line + (1 if node.end_mark.column else 0)
    written = sum(1 for line in text.split("\n")[first:last] if line.strip())
    return sum(1 for line in lines if line.strip()) < written


def _literal_starts(text: str, node: yaml.ScalarNode, lines: list[str]) -> LineStarts:
    file_lines = text.split("\n")
    first = node.start_mark.line + 1  # content starts on the line after the indicator
    indent = 0
    for i, value_line in enumerate(lines):
        if value_line.strip() and first + i < len(file_lines):
            indent = max(0, len(file_lines[first + i].rstrip("\r")) - len(value_line))
            break
    return tuple((first + i + 1, indent) for i in range(len(lines)))


def _found_starts(text: str, node: yaml.ScalarNode, lines: list[str]) -> LineStarts:
    """Each value line's opening text searched for, in order, in the scalar's source.

    A line whose text is not there verbatim (an escape in its first characters) keeps the previous
    line's position; columns after an escape inside a line are off by the escape's length.
    """
    offsets = [0]
    for file_line in text.split("\n"):
        offsets.append(offsets[-1] + len(file_line) + 1)
    start, end = node.start_mark, node.end_mark
    begin = offsets[start.line] + start.column if start.line < len(offsets) else 0
    stop = offsets[end.line] + end.column if end.line < len(offsets) else len(text)
    raw = text[begin:stop]
    quote = 1 if node.style in ("'", '"') else 0
    last = (start.line + 1, start.column + quote)
    out: list[tuple[int, int]] = []
    cursor = quote
    for value_line in lines:
        body = value_line.lstrip()
        probe = body[: next((i for i, ch in enumerate(body) if ch in "\"'\\"), len(body))][:24]
        found = raw.find(probe, cursor) if probe else -1
        if found >= 0:
            absolute = begin + found
            row = bisect_right(offsets, absolute) - 1
            last = (row + 1, absolute - offsets[row] - (len(value_line) - len(body)))
            cursor = found + len(probe)
        out.append(last)
    return tuple(out)
