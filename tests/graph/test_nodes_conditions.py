"""Function nodes read their types from annotations; conditions evaluate, print and round-trip."""

from __future__ import annotations

import json

import pytest

from agentflow.errors import GraphBuildError
from agentflow.graph import EdgeCondition, FunctionNode, Node, RunContext, all_of, any_of, field, is_a, node
from agentflow.messages import Task, Verdict

from .msgs import Draft, Note, Review, Score


async def plan(task: Task) -> Note:
    return Note(text=task.text)


async def with_ctx(task: Task, ctx: RunContext) -> Note | None:
    return Note(text=ctx.run_id)


async def untyped(task):  # type: ignore[no-untyped-def]
    return None


async def no_return(task: Task):  # type: ignore[no-untyped-def]
    return None


def test_function_node_reads_annotations() -> None:
    n = FunctionNode(plan)
    assert (n.name, n.input_type, n.output_type, n.takes_ctx) == ("plan", Task, Note, False)
    assert isinstance(n, Node)
    m = FunctionNode(with_ctx, name="ctx_node")
    assert m.name == "ctx_node" and m.takes_ctx and m.call is with_ctx


async def test_function_node_call_passes_message() -> None:
    out = await FunctionNode(plan).call(Task(text="hi"), RunContext("r1"))
    assert out == Note(text="hi")
    out2 = await FunctionNode(with_ctx).call(Task(text="hi"), RunContext("r9"))
    assert out2 == Note(text="r9")


def test_node_decorator_and_overrides() -> None:
    made = node(name="x", output_type=Note | Score)(plan)
    assert made.name == "x" and made.output_type == Note | Score
    forced = node(untyped, input_type=Task, output_type=Note)
    assert forced.input_type is Task


@pytest.mark.parametrize(
    ("fn", "needle"),
    [
        (untyped, "has no message type annotation"),
        (no_return, "no return annotation"),
    ],
)
def test_function_node_errors_name_the_fix(fn: object, needle: str) -> None:
    with pytest.raises(GraphBuildError) as err:
        FunctionNode(fn)  # type: ignore[arg-type]
    assert needle in str(err.value) and "hint:" in str(err.value)


def test_function_node_rejects_sync_and_bad_types() -> None:
    def sync(task: Task) -> Note:
        return Note(text="")

    with pytest.raises(GraphBuildError, match="not an async function"):
        FunctionNode(sync)  # type: ignore[arg-type]

    async def bad(task: int) -> Note:
        return Note(text="")

    with pytest.raises(GraphBuildError, match="is not a message type"):
        FunctionNode(bad)

    async def three(a: Task, b: RunContext, c: int) -> Note:
        return Note(text="")

    with pytest.raises(GraphBuildError, match="takes 3 required positional"):
        FunctionNode(three)


def test_field_conditions_evaluate() -> None:
    s = Score(value=0.9, ok=True)
    assert (field("value") >= 0.8)(s)
    assert not (field("value") < 0.8)(s)
    assert (field("ok") == True)(s)  # noqa: E712 - the declarative form under test
    assert field("ok").is_true()(s) and not field("ok").is_false()(s)
    assert ((field("value") > 0.5) & field("ok").is_true())(s)
    assert ((field("value") > 0.95) | field("ok").is_true())(s)
    assert not (~field("ok").is_true())(s)
    assert field("missing").is_true()(s) is False
    assert field("value").is_in([0.9, 1.0])(s)
    assert field("text").contains("ell")(Note(text="hello"))
    assert field("text").is_empty()(Note(text=""))
    assert (field("value") != 1.0)(s)
    assert (field("value") <= 0.9)(s)
    assert not (field("value") > "a")(s)  # incomparable types are False, not an exception
    assert all_of(field("ok").is_true(), field("value") > 0)(s)
    assert not any_of(field("ok").is_false(), field("value") < 0)(s)


def test_dotted_paths_read_nested_fields() -> None:
    t = Task(text="x", inputs={"city": "Paris"})
    assert (field("inputs.city") == "Paris")(t)
    assert not (field("inputs.country") == "FR")(t)


def test_is_a_matches_kind_and_narrows() -> None:
    cond = is_a(Draft, Review)
    assert cond(Draft(text="")) and cond(Review(round=1)) and not cond(Note(text=""))
    assert cond.kinds() == frozenset({"g_draft", "g_review"})
    assert (is_a(Draft) & field("round").is_true()).kinds() == frozenset({"g_draft"})
    assert field("ok").is_true().kinds() is None


def test_conditions_round_trip_through_json() -> None:
    conds = [
        field("value") >= 0.8,
        (field("ok") == True) & ~field("text").is_empty(),  # noqa: E712
        field("round").is_in([1, 2]) | is_a(Verdict),
        field("text").contains("x"),
    ]
    for c in conds:
        back = EdgeCondition.from_dict(json.loads(json.dumps(c.to_dict())))
        assert back == c
        assert back.describe() == c.describe()
    assert conds[0].describe() == "value >= 0.8"
    assert conds[1].describe() == "ok == True and (not text is empty)"
    assert conds[0].fields() == ["value"] and conds[1].fields() == ["ok", "text"]
