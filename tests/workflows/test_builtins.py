"""Executed-mode builtins: answer normalisation, majority, agreement, list helpers."""

from __future__ import annotations

from agentflow.messages import Answer, Critique
from agentflow.pdl.functions import BUILTINS, agreement, majority, normalize_answer


def test_normalize_answer_equates_formats() -> None:
    assert normalize_answer("12.0%") == normalize_answer("12%") == "12%"
    assert normalize_answer("1,200") == normalize_answer(" 1200. ") == "1200"
    assert normalize_answer("Paris!") == "paris"
    assert normalize_answer(Answer(text="long reasoning", data={"final": "4.0"})) == "4"


def test_majority_and_agreement_use_normalised_answers() -> None:
    votes = [Answer(text="a", data={"final": "4"}), Answer(text="b", data={"final": "5"}),
             Answer(text="c", data={"final": "4.0"})]
    assert majority(*votes) is votes[0]
    assert agreement(votes) == 2 / 3
    assert majority("x", "y") == "x"  # ties: the earliest
    assert majority() is None and agreement() == 0.0


def test_list_helpers() -> None:
    crit = [Critique(text="t1", issues=["a", "b"]), Critique(text="t2")]
    assert BUILTINS["issues"](crit[0], crit[1]) == ["a", "b"]
    assert BUILTINS["texts"](crit) == ["t1", "t2"]
    assert BUILTINS["join"](crit, " | ") == "t1 | t2"
    original = [1]
    assert BUILTINS["append"](original, 2, 3) == [1, 2, 3] and original == [1]
