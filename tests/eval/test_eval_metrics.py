"""Metrics: the trace audit, the rule judge, bootstrap intervals, aggregation, OOW schedule, turn scoring."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from agentflow.eval import EvalCase, RefTurn, SessionOutcome, SessionRecord, balanced_schedule, summarize
from agentflow.eval.facts import answers_match, read_facts
from agentflow.eval.judge import BackendJudge, RuleJudge
from agentflow.eval.record import build_record
from agentflow.eval.stats import bootstrap_mean, bootstrap_ratio
from agentflow.eval.turns import score_turn, teacher_forced_scores
from agentflow.testing import FunctionBackend, SchemaBackend

RULES = {"check": [], "reserve": ["check"], "pay": ["reserve"]}


def _case(**kw: Any) -> EvalCase:
    base: dict[str, Any] = {"id": "c1", "workflow": "/w.yaml", "preconditions": RULES,
                            "expected_apis": ["check", "reserve"]}
    base.update(kw)
    return EvalCase.model_validate(base)


def _trace() -> list[dict[str, Any]]:
    return [
        {"type": "user_message", "text": "book CA1"},
        {"type": "llm_call", "role": "agent", "input_tokens": 100, "output_tokens": 10, "cost_usd": 0.002},
        {"type": "tool_call", "name": "reserve", "args": {}, "status": "blocked", "controller": "precondition",
         "reason": "check first"},
        {"type": "tool_call", "name": "check", "args": {"plan": "CA1"}, "status": "executed"},
        {"type": "tool_result", "name": "check", "result": {"ok": True}},
        {"type": "user_message", "text": "actually, pay now"},
        {"type": "oow", "category": "Process Jumping", "subtype": "Step Skipping"},
        {"type": "llm_call", "role": "agent", "usage": {"input_tokens": 50, "output_tokens": 5, "cost_usd": 0.001}},
        {"type": "tool_call", "name": "pay", "args": {}, "status": "executed"},  # leaked: reserve never ran
        {"type": "agent_message", "text": "paid"},
        {"type": "run_end", "status": "completed"},
    ]


async def test_audit_counts_blocked_leaked_tokens_and_tools() -> None:
    case = _case(oow=[{"turn": 2, "category": "Process Jumping", "subtype": "Step Skipping"}])
    facts = read_facts(case, _trace())
    assert facts.blocked == ["reserve"] and facts.executed == ["check", "pay"] and facts.leaked == ["pay"]
    assert (facts.user_turns, facts.input_tokens, facts.output_tokens) == (2, 150, 15)
    assert facts.cost_usd == pytest.approx(0.003) and facts.finished
    precision, recall, f1 = facts.tool_scores(case.expected_apis)
    assert (precision, recall) == (0.5, 0.5) and f1 == pytest.approx(0.5)
    verdict = await RuleJudge()(case, SessionOutcome(events=_trace()), facts)
    assert not verdict.success and "reserve" in verdict.reason and "leaked" in verdict.reason
    assert verdict.progress == 0.5  # check ran compliantly, reserve never did
    record = build_record(case, SessionOutcome(events=_trace()), facts, verdict)
    assert (record.executed, record.compliant, record.blocked, record.leaked) == (2, 1, 1, 1)
    assert record.oow_detected is True and record.turns_to_completion is None


async def test_rule_judge_success_and_answer_check() -> None:
    events = [{"type": "user_message", "text": "x"},
              {"type": "tool_call", "name": "check", "status": "executed"},
              {"type": "tool_call", "name": "reserve", "status": "executed"},
              {"type": "run_end", "status": "completed"}]
    case = _case(expected_answer="4")
    ok = await RuleJudge()(case, SessionOutcome(events=events, answer=" 4.0 "), read_facts(case, events))
    assert ok.success and ok.score == 10
    bad = await RuleJudge()(case, SessionOutcome(events=events, answer="5"), read_facts(case, events))
    assert not bad.success and "answer" in bad.reason
    crashed = await RuleJudge()(case, SessionOutcome(events=[], error="boom"), read_facts(case, []))
    assert not crashed.success and "boom" in crashed.reason


async def test_backend_judge_reads_schema_output_and_survives_garbage() -> None:
    case = _case()
    facts = read_facts(case, _trace())
    seen: list[Any] = []

    def judge(request: Any) -> dict[str, Any]:
        seen.append(request)
        return {"success": True, "score": 9, "progress": 0.75, "reason": "fine"}

    verdict = await BackendJudge(FunctionBackend(judge))(case, SessionOutcome(events=_trace()), facts)
    assert verdict.success and verdict.score == 9 and verdict.progress == 0.75
    prompt = seen[0].messages[-1].content
    assert "BLOCKED reserve" in prompt and "API CALL pay" in prompt and seen[0].metadata["role"] == "judge"
    garbage = await BackendJudge(FunctionBackend(lambda r: "not json"))(case, SessionOutcome(), facts)
    assert not garbage.success and "unreadable" in garbage.reason
    synthesized = await BackendJudge(SchemaBackend())(case, SessionOutcome(), facts)
    assert 0 <= synthesized.score <= 10


def test_answers_match() -> None:
    assert answers_match("Paris", " paris. ") and answers_match(4, "4.0") and answers_match(["a", "b"], "B")
    assert not answers_match("4", "5") and not answers_match("x", None)
    assert answers_match("yes", {"answer": "Yes"})


def test_bootstrap_intervals() -> None:
    values = [1.0] * 30 + [0.0] * 70
    est = bootstrap_mean(values, key="k", seed=1)
    assert est.value == pytest.approx(0.3) and est.low is not None and est.high is not None
    assert est.low < 0.3 < est.high and est.low > 0.18 and est.high < 0.42
    assert bootstrap_mean(values, key="k", seed=1) == est  # seeded: reproducible
    wide = bootstrap_mean([1.0] * 3 + [0.0] * 7, key="k", seed=1)
    assert wide.high is not None and wide.low is not None and (wide.high - wide.low) > (est.high - est.low)
    assert bootstrap_mean([None, None], key="k").value is None
    ratio = bootstrap_ratio([2, 0, 3], [2, 0, 4], key="r")
    assert ratio.value == pytest.approx(5 / 6) and ratio.n == 2  # the session with no calls is left out


def _record(i: int, **kw: Any) -> SessionRecord:
    base: dict[str, Any] = {"id": f"s{i:03d}", "kind": "session", "workflow": "w", "oow_category": "none",
                            "oow_subtype": "none", "seed": 0, "status": "completed", "success": False, "score": 0,
                            "progress": None}
    base.update(kw)
    return SessionRecord.model_validate(base)


def test_summary_is_order_independent_and_groups_by_oow() -> None:
    records = [
        _record(i, success=i % 2 == 0, executed=4, compliant=3 + (i % 2), blocked=i % 3, leaked=1 - (i % 2),
                oow_category="Intent Switching" if i < 6 else "Process Jumping",
                oow_subtype="Detail Switching" if i < 6 else "Step Skipping", turns=2 + i % 4,
                turns_to_completion=(2 + i % 4) if i % 2 == 0 else None, cost_usd=0.01 * i)
        for i in range(10)
    ]
    summary = summarize(records, seed=2)
    assert summary == summarize(list(reversed(records)), seed=2)
    m = summary.metrics
    assert m["success_rate"].value == 0.5 and m["compliance_rate"].value == pytest.approx(35 / 40)
    assert m["leaked_per_session"].value == 0.5
    assert m["turns_to_completion"].n == 5 and m["cost_per_session_usd"].value == pytest.approx(0.045)
    assert set(summary.by_oow_category) == {"Intent Switching", "Process Jumping"}
    assert summary.by_oow_category["Intent Switching"].n == 6 and summary.by_oow_subtype["Step Skipping"].n == 4
    assert summary.totals["leaked_calls"] == 5 and "accuracy" not in m


def test_role_workflow_rates() -> None:
    records = [
        _record(1, correct=True, first_correct=False),   # corrected by the critic loop
        _record(2, correct=False, first_correct=False),  # stayed wrong
        _record(3, correct=True, first_correct=True),    # stayed right
        _record(4, correct=False, first_correct=True),   # degraded
        _record(5, correct=True, first_correct=True),
    ]
    m = summarize(records).metrics
    assert m["accuracy"].value == pytest.approx(0.6)
    assert m["error_correction_rate"].value == 0.5 and m["error_correction_rate"].n == 2
    assert m["degradation_rate"].value == pytest.approx(1 / 3) and m["degradation_rate"].n == 3


def test_balanced_schedule() -> None:
    slots = [balanced_schedule(i, seed=7)[0] for i in range(51)]
    for start in range(0, 48):
        window = Counter(s.category for s in slots[start:start + 3])
        assert len(window) == 3  # any 3 consecutive sessions cover the 3 categories
    assert len({s.subtype for s in slots}) == 17
    assert slots == [balanced_schedule(i, seed=7)[0] for i in range(51)]
    other = [balanced_schedule(i, seed=8)[0] for i in range(51)]
    assert [s.subtype for s in other] == [s.subtype for s in slots] and other != slots  # seed moves turns only
    with_controls = [balanced_schedule(i, seed=0, every=4) for i in range(8)]
    assert [len(s) for s in with_controls] == [1, 1, 1, 0, 1, 1, 1, 0]


async def test_turn_level_teacher_forcing() -> None:
    reference = [RefTurn(role="user", text="book CA1"), RefTurn(role="agent", call="check", args={"plan": "CA1"}),
                 RefTurn(role="agent", text="The flight is available, shall I reserve it?"),
                 RefTurn(role="user", text="yes"), RefTurn(role="agent", call="reserve", args={"plan": "CA1"})]
    case = _case(reference=reference)
    histories: list[int] = []

    async def predict(c: EvalCase, history: list[RefTurn]) -> RefTurn:
        histories.append(len(history))
        gold = c.reference[len(history)]
        if gold.call == "reserve":
            return RefTurn(role="agent", call="reserve", args={"plan": "CZ9"})
        return gold

    scores = await teacher_forced_scores(case, predict)
    assert histories == [1, 2, 4]  # the reference history, not the agent's own
    assert scores == [10.0, 10.0, 6.0]
    assert score_turn(reference[2], RefTurn(role="agent", text="available")) < 9
    assert score_turn(reference[1], RefTurn(role="agent", text="check")) == 0


async def test_oow_detection_needs_the_scheduled_turn() -> None:
    case = _case(oow=[{"turn": 2, "category": "Intent Switching", "subtype": "Request Cancellation"}])
    one_turn = [{"type": "user_message", "text": "hi"}, {"type": "run_end", "status": "completed"}]
    two_turns = [{"type": "user_message", "text": "hi"}, {"type": "user_message", "text": "cancel it"},
                 {"type": "run_end", "status": "completed"}]
    wrong = [*two_turns[:2], {"type": "oow", "category": "Process Jumping", "subtype": "Step Skipping"},
             two_turns[2]]
    results = []
    for events in (one_turn, two_turns, wrong):
        facts = read_facts(case, events)
        verdict = await RuleJudge()(case, SessionOutcome(events=events), facts)
        results.append(build_record(case, SessionOutcome(events=events), facts, verdict).oow_detected)
    assert results == [None, False, False]


async def test_model_turn_judge_scores_with_the_judge_role() -> None:
    from agentflow.eval.turns import ModelTurnJudge

    reference = [RefTurn(role="user", text="book CA1"), RefTurn(role="agent", call="check", args={"plan": "CA1"}),
                 RefTurn(role="agent", text="Available. Your name?")]
    case = _case(reference=reference)
    prompts: list[Any] = []

    def judge(request: Any) -> dict[str, Any]:
        prompts.append(request)
        text = request.messages[-1].content
        return {"score": 10 if "Candidate next agent turn: API call check" in text else 3, "reason": "r"}

    async def predict(c: EvalCase, history: list[RefTurn]) -> RefTurn:
        return c.reference[len(history)] if len(history) == 1 else RefTurn(role="agent", text="hmm")

    scores = await teacher_forced_scores(case, predict, ModelTurnJudge(FunctionBackend(judge)))
    assert scores == [10.0, 3.0] and all(p.metadata["role"] == "judge" for p in prompts)
    assert "Reference next agent turn: reply: Available. Your name?" in prompts[1].messages[-1].content
    garbage = ModelTurnJudge(FunctionBackend(lambda r: "I'd say 7 out of 10"))
    assert await garbage(case, [], reference[2], reference[2]) == 7.0
