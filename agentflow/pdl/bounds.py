"""Bounded values for PDL expressions: no operation may build a number, text or list past a limit.

``x = x * x`` in a loop doubles an integer's size each step (40 steps: a trillion bits), and
``"%0999999999d" % 1`` asks for a gigabyte of zeros. The evaluator asks this module before each
arithmetic operation and built-in call: sizes are checked *before* the result is built (from the
operands' sizes), so a bomb costs microseconds, and an over-limit result is an :class:`ExprError`
naming the limit instead of minutes of CPU and gigabytes of memory.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

__all__ = ["MAX_FORMAT_WIDTH", "MAX_INT_BITS", "MAX_ITEMS", "MAX_TEXT", "BoundsError", "bounded_binop", "check_value"]

MAX_INT_BITS = 4096  # about 1,233 decimal digits
MAX_TEXT = 1_000_000  # characters in one text value
MAX_ITEMS = 100_000  # items in one list
MAX_FORMAT_WIDTH = 1000  # width or precision in a %-format

_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?(.)", re.DOTALL)


class BoundsError(ValueError):
    """An operation would build a value past one of this module's limits."""


def check_value(value: Any) -> Any:
    """``value`` itself when it is within the limits; :class:`BoundsError` otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise BoundsError(f"integer larger than {MAX_INT_BITS} bits")
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise BoundsError(f"text longer than {MAX_TEXT} characters")
    if isinstance(value, list | tuple) and len(value) > MAX_ITEMS:
        raise BoundsError(f"list longer than {MAX_ITEMS} items")
    return value


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | list | tuple) else 0


def _check_mul(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool) and not isinstance(b, bool):
        if a.bit_length() + b.bit_length() > MAX_INT_BITS + 1:
            raise BoundsError(f"integer larger than {MAX_INT_BITS} bits")
        return
    seq, times = (a, b) if isinstance(b, int) else (b, a)
    if isinstance(seq, str | list | tuple) and isinstance(times, int):
        limit = MAX_TEXT if isinstance(seq, str) else MAX_ITEMS
        if times > 0 and len(seq) * times > limit:
            what = "text longer than" if isinstance(seq, str) else "list longer than"
            raise BoundsError(f"{what} {limit} {'characters' if isinstance(seq, str) else 'items'}")


def _check_add(a: Any, b: Any) -> None:
    if isinstance(a, str) and isinstance(b, str) and len(a) + len(b) > MAX_TEXT:
        raise BoundsError(f"text longer than {MAX_TEXT} characters")
    if isinstance(a, list | tuple) and isinstance(b, list | tuple) and len(a) + len(b) > MAX_ITEMS:
        raise BoundsError(f"list longer than {MAX_ITEMS} items")


def _check_format(fmt: str, args: Any) -> None:
    """``fmt % args``: refuse widths/precisions past MAX_FORMAT_WIDTH and ``*`` (a width from the data)."""
    specs = 0
    for m in _SPEC.finditer(fmt):
        width, precision, conv = m.group(1), m.group(2), m.group(3)
        if conv == "%":
            continue
        specs += 1
        for part in (width, precision):
            if part == "*":
                raise BoundsError("'*' widths are not allowed in a %-format")
            if part and int(part) > MAX_FORMAT_WIDTH:
                raise BoundsError(f"%-format width or precision larger than {MAX_FORMAT_WIDTH}")
    items = list(args.values()) if isinstance(args, dict) else list(args) if isinstance(args, tuple) else [args]
    widest = max((max(_size(x), MAX_FORMAT_WIDTH + 300) for x in items), default=0)  # a number prints < 1,300
    if len(fmt) + specs * widest > MAX_TEXT:
        raise BoundsError(f"text longer than {MAX_TEXT} characters")


def bounded_binop(op: str, fn: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    """``fn(a, b)`` for the operator ``op``, refused before it runs when its result would be too big."""
    if op == "*":
        _check_mul(a, b)
    elif op in ("+", "-"):
        _check_add(a, b)
    elif op == "%" and isinstance(a, str):
        _check_format(a, b)
    return check_value(fn(a, b))
