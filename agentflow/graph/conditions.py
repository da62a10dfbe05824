"""Edge conditions over typed message fields, inspectable and serialisable.

A condition decides whether an edge fires for the message its source produced. Plain callables
(``when=lambda m: m.score > 0.5``) work, but declarative conditions can be printed, saved as JSON,
and checked at build time against the producer's message type (a misspelt field is a build error)::

    when=field("ok").is_true()
    when=(field("score") >= 0.8) & ~field("issues").is_empty()
    when=is_a(Verdict)            # route a union output by message type

``EdgeCondition.to_dict()`` / ``EdgeCondition.from_dict()`` round-trip every declarative condition.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from typing import Any

from agentflow.messages import Message

__all__ = ["EdgeCondition", "FieldRef", "all_of", "any_of", "field", "is_a"]

_MISSING = object()

_COMPARE: dict[str, tuple[str, Callable[[Any, Any], bool]]] = {
    "eq": ("==", operator.eq),
    "ne": ("!=", operator.ne),
    "lt": ("<", operator.lt),
    "le": ("<=", operator.le),
    "gt": (">", operator.gt),
    "ge": (">=", operator.ge),
    "in": ("in", lambda a, b: a in b),
    "contains": ("contains", lambda a, b: b in a),
}


class EdgeCondition:
    """A declarative predicate over a message. Combine with ``&``, ``|`` and ``~``."""

    __slots__ = ("_test", "args", "op", "path", "value")

    def __init__(self, op: str, path: str = "", value: Any = None, args: tuple[EdgeCondition, ...] = ()) -> None:
        if op not in _COMPARE and op not in ("and", "or", "not", "is_a", "truthy", "empty"):
            raise ValueError(f"unknown condition operator {op!r}")
        self.op = op
        self.path = path
        self.value = value
        self.args = args
        self._test: Callable[[Any], bool] = self._compile()

    def __call__(self, message: Message) -> bool:
        return self._test(message)

    def _compile(self) -> Callable[[Any], bool]:
        """Build the predicate once, so evaluating an edge condition is one or two calls."""
        op, args, value = self.op, self.args, self.value
        if op == "and":
            return lambda m: all(a(m) for a in args)
        if op == "or":
            return lambda m: any(a(m) for a in args)
        if op == "not":
            inner = args[0]
            return lambda m: not inner(m)
        if op == "is_a":
            kinds = frozenset(value)
            return lambda m: m.kind in kinds
        parts = tuple(self.path.split("."))
        get = (lambda m: getattr(m, parts[0], _MISSING)) if len(parts) == 1 else (lambda m: _get(m, parts))
        if op == "truthy":
            return lambda m: (got := get(m)) is not _MISSING and bool(got)
        if op == "empty":
            return lambda m: (got := get(m)) is not _MISSING and not got
        compare = _COMPARE[op][1]

        def test(m: Any) -> bool:
            got = get(m)
            if got is _MISSING:
                return False
            try:
                return bool(compare(got, value))
            except TypeError:
                return False

        return test

    def __and__(self, other: EdgeCondition) -> EdgeCondition:
        return EdgeCondition("and", args=(self, other))

    def __or__(self, other: EdgeCondition) -> EdgeCondition:
        return EdgeCondition("or", args=(self, other))

    def __invert__(self) -> EdgeCondition:
        return EdgeCondition("not", args=(self,))

    def fields(self) -> list[str]:
        """Every field path the condition reads (for build-time checks)."""
        if self.args:
            return [p for a in self.args for p in a.fields()]
        return [self.path] if self.path else []

    def kinds(self) -> frozenset[str] | None:
        """Message kinds this condition requires (``is_a``), or ``None`` when it does not narrow."""
        if self.op == "is_a":
            return frozenset(self.value)
        if self.op == "and":
            found = [k for k in (a.kinds() for a in self.args) if k is not None]
            if found:
                return frozenset.intersection(*found)
        return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly description, e.g. ``{"op": "ge", "field": "score", "value": 0.8}``."""
        if self.args:
            return {"op": self.op, "args": [a.to_dict() for a in self.args]}
        if self.op == "is_a":
            return {"op": "is_a", "kinds": list(self.value)}
        out: dict[str, Any] = {"op": self.op, "field": self.path}
        if self.op not in ("truthy", "empty"):
            out["value"] = list(self.value) if isinstance(self.value, tuple) else self.value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EdgeCondition:
        """Rebuild a condition from :meth:`to_dict` output."""
        op = data["op"]
        if op in ("and", "or", "not"):
            return cls(op, args=tuple(cls.from_dict(a) for a in data["args"]))
        if op == "is_a":
            return cls("is_a", value=tuple(data["kinds"]))
        value = data.get("value")
        if op in ("in",) and isinstance(value, list):
            value = tuple(value)
        return cls(op, data["field"], value)

    def describe(self) -> str:
        """Readable text, e.g. ``score >= 0.8 and not issues is empty``."""
        op = self.op
        if op in ("and", "or"):
            return f" {op} ".join(f"({a.describe()})" if a.args else a.describe() for a in self.args)
        if op == "not":
            inner = self.args[0]
            return f"not ({inner.describe()})" if inner.args else f"not {inner.describe()}"
        if op == "is_a":
            return "kind in " + "|".join(self.value)
        if op == "truthy":
            return self.path
        if op == "empty":
            return f"{self.path} is empty"
        return f"{self.path} {_COMPARE[op][0]} {self.value!r}"

    def __repr__(self) -> str:
        return f"EdgeCondition({self.describe()})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EdgeCondition) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


class FieldRef:
    """A reference to a message field (dotted path); comparing it builds a :class:`EdgeCondition`."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def __eq__(self, value: object) -> EdgeCondition:  # type: ignore[override]
        return EdgeCondition("eq", self.path, value)

    def __ne__(self, value: object) -> EdgeCondition:  # type: ignore[override]
        return EdgeCondition("ne", self.path, value)

    def __lt__(self, value: Any) -> EdgeCondition:
        return EdgeCondition("lt", self.path, value)

    def __le__(self, value: Any) -> EdgeCondition:
        return EdgeCondition("le", self.path, value)

    def __gt__(self, value: Any) -> EdgeCondition:
        return EdgeCondition("gt", self.path, value)

    def __ge__(self, value: Any) -> EdgeCondition:
        return EdgeCondition("ge", self.path, value)

    __hash__ = None  # type: ignore[assignment]

    def is_in(self, values: Iterable[Any]) -> EdgeCondition:
        """The field's value is one of ``values``."""
        return EdgeCondition("in", self.path, tuple(values))

    def contains(self, value: Any) -> EdgeCondition:
        """The field (a list or string) contains ``value``."""
        return EdgeCondition("contains", self.path, value)

    def is_true(self) -> EdgeCondition:
        """The field is truthy."""
        return EdgeCondition("truthy", self.path)

    def is_false(self) -> EdgeCondition:
        """The field is falsy."""
        return EdgeCondition("not", args=(EdgeCondition("truthy", self.path),))

    def is_empty(self) -> EdgeCondition:
        """The field is empty (or falsy)."""
        return EdgeCondition("empty", self.path)


def field(path: str) -> FieldRef:
    """Refer to a message field by name or dotted path (``"result.status"``)."""
    return FieldRef(path)


def is_a(*types: type[Message]) -> EdgeCondition:
    """The message is one of ``types`` (matched by ``kind``); narrows the type for the build check."""
    kinds: list[str] = []
    for t in types:
        default = t.model_fields["kind"].default
        kinds.append(str(default))
    return EdgeCondition("is_a", value=tuple(kinds))


def all_of(*conds: EdgeCondition) -> EdgeCondition:
    """Every condition holds."""
    return EdgeCondition("and", args=tuple(conds))


def any_of(*conds: EdgeCondition) -> EdgeCondition:
    """At least one condition holds."""
    return EdgeCondition("or", args=tuple(conds))


def _get(message: Any, parts: tuple[str, ...]) -> Any:
    value = message
    for part in parts:
        value = value.get(part, _MISSING) if isinstance(value, dict) else getattr(value, part, _MISSING)
        if value is _MISSING:
            return _MISSING
    return value
