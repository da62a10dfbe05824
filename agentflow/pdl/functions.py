"""Functions an executed-mode procedure may call without a prefix: ``final = majority(a, b, c)``.

They are pure and small on purpose: anything that needs a model is a role, anything with side
effects is a tool (``API.x``). Expressions (conditions, assignments) additionally have the safe
builtins of :mod:`agentflow.pdl.expr` (``len``, ``min``, ``max``, ...).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

__all__ = ["BUILTINS", "normalize_answer"]


def normalize_answer(value: Any) -> str:
    """A comparable form of an answer: lowercase, no punctuation or thousands separators, ``5.0`` → ``5``."""
    if isinstance(value, BaseModel):
        data = getattr(value, "data", None)
        final = getattr(value, "final", None)
        if isinstance(final, str):
            value = final
        elif isinstance(data, dict) and "final" in data:
            value = data["final"]
        else:
            value = getattr(value, "text", "")
    text = str(value).strip().lower()
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = re.sub(r"[^\w.%\- ]", "", text).strip(" .")
    try:
        num = float(text.rstrip("%"))
    except ValueError:
        return re.sub(r"\s+", " ", text)
    return (f"{num:g}") + ("%" if text.endswith("%") else "")


def majority(*values: Any) -> Any:
    """The most common value by :func:`normalize_answer` (ties: the earliest); the original value is returned."""
    flat = [v for item in values for v in (item if isinstance(item, list) else [item])]
    if not flat:
        return None
    counts = Counter(normalize_answer(v) for v in flat)
    best = max(counts.values())
    return next(v for v in flat if counts[normalize_answer(v)] == best)


def agreement(*values: Any) -> float:
    """The share of values equal (by :func:`normalize_answer`) to the majority value."""
    flat = [v for item in values for v in (item if isinstance(item, list) else [item])]
    if not flat:
        return 0.0
    counts = Counter(normalize_answer(v) for v in flat)
    return max(counts.values()) / len(flat)


def same_answer(a: Any, b: Any) -> bool:
    """Whether two answers agree after :func:`normalize_answer`."""
    return normalize_answer(a) == normalize_answer(b)


def append(items: Any, *new: Any) -> list[Any]:
    """A new list: ``items`` followed by ``new`` (the original is not changed)."""
    return [*(items or []), *new]


def join(items: Any, sep: str = "\n") -> str:
    """Text of the items joined by ``sep`` (messages contribute their ``text`` field)."""
    return sep.join(str(getattr(i, "text", i)) for i in (items or []))


def texts(*items: Any) -> list[str]:
    """The ``text`` field of each message (other values as strings)."""
    flat = [v for item in items for v in (item if isinstance(item, list) else [item])]
    return [str(getattr(i, "text", i)) for i in flat]


def issues(*critiques: Any) -> list[str]:
    """Every issue listed by the given critiques, in order."""
    flat = [v for item in critiques for v in (item if isinstance(item, list) else [item])]
    return [str(i) for c in flat for i in (getattr(c, "issues", None) or [])]


BUILTINS: dict[str, Callable[..., Any]] = {
    "majority": majority, "agreement": agreement, "same_answer": same_answer, "append": append, "join": join,
    "texts": texts, "issues": issues, "normalize_answer": normalize_answer,
}  # fmt: skip
"""Name → function for bare calls in executed procedures."""
