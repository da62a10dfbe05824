"""The safe expression evaluator: what it computes, and what it refuses."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from agentflow.messages import Verdict
from agentflow.pdl.expr import ExprError, ExprSyntaxError, evaluate, free_names, parse_expr, unparse


@dataclass
class Point:
    x: int


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("verdict.ok", {"verdict": {"ok": True}}, True),
        ('is_air == "true"', {"is_air": "true"}, True),
        ("score >= 9 and not done", {"score": 9, "done": False}, True),
        ("score >= 9 and not done", {"score": 8, "done": False}, False),
        ("len(critiques) > 2", {"critiques": [1, 2]}, False),
        ("x in ['a', 'b']", {"x": "b"}, True),
        ("p.x * 2 + 1", {"p": Point(3)}, 7),
        ("items[1]", {"items": [4, 5]}, 5),
        ("value is None or value == null", {"value": None}, True),
        ("是否 == '是'", {"是否": "是"}, True),
        ("1 < n <= 3", {"n": 3}, True),
        ("max(a, b) - min(a, b)", {"a": 2, "b": 7}, 5),
    ],
)
def test_evaluate(text: str, env: dict[str, object], expected: object) -> None:
    assert evaluate(parse_expr(text), env) == expected


def test_pydantic_model_fields() -> None:
    verdict = Verdict(ok=True, score=9.0)
    assert evaluate(parse_expr("verdict.ok and verdict.score > 8"), {"verdict": verdict}) is True
    with pytest.raises(ExprError, match="Verdict has no field 'okay'"):
        evaluate(parse_expr("verdict.okay"), {"verdict": verdict})


@pytest.mark.parametrize(
    "text",
    ["__import__('os')", "(lambda: 1)()", "[x for x in y]", "a if b else c", "x := 1", "{'a': 1}", "f'{x}'"],
)
def test_refuses_python_beyond_the_subset(text: str) -> None:
    with pytest.raises(ExprError):
        evaluate(parse_expr(text), {"x": 1, "y": [1], "a": 1, "b": 1, "c": 1})


def test_refuses_private_fields_and_unknown_calls() -> None:
    with pytest.raises(ExprError, match="private"):
        evaluate(parse_expr("x.__class__"), {"x": {"__class__": 1}})
    with pytest.raises(ExprError, match="cannot be called"):
        evaluate(parse_expr("x.lower()"), {"x": "A"})
    with pytest.raises(ExprError, match="unknown name 'y'"):
        evaluate(parse_expr("y == 1"), {})
    with pytest.raises(ExprError, match="cannot evaluate"):
        evaluate(parse_expr("'a' > 1"), {})


def test_syntax_error_offset_and_helpers() -> None:
    with pytest.raises(ExprSyntaxError) as info:
        parse_expr("  a == ")
    assert info.value.offset >= 2
    expr = parse_expr("len(xs) > limit and user.name == 'x'")
    assert [n.id for n in free_names(expr)] == ["xs", "limit", "user"]
    assert unparse(parse_expr("a.b == 'x'")) == "a.b == 'x'"
    with pytest.raises(ExprSyntaxError):
        parse_expr("(" * 500 + "1" + ")" * 500)
