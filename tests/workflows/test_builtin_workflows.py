"""Each built-in workflow with scripted roles: the exact sequence of role calls and what they were told."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agentflow.backends.base import ChatRequest
from agentflow.events import Event
from agentflow.runner.workflows import load_workflow
from agentflow.testing import FunctionBackend, ScriptedBackend, ScriptStep

ROOT = Path(__file__).resolve().parents[2]


def wf(name: str) -> Any:
    return load_workflow(ROOT / "workflows" / f"{name}.pdl")


def script(*steps: tuple[str, dict[str, Any]]) -> ScriptedBackend:
    return ScriptedBackend([ScriptStep(role=role, json=data) for role, data in steps])


def roles_called(backend: ScriptedBackend | FunctionBackend) -> list[str]:
    return [r.role for r in backend.requests]


def prompt(req: ChatRequest) -> str:
    return "\n".join(m.content for m in req.messages)


TABLE = "| year | revenue |\n| 2019 | 100 |\n| 2020 | 112 |"


def table_critic_script(final_ok: bool = True) -> ScriptedBackend:
    return script(
        ("solver", {"text": "2019 revenue 100 vs 2018: growth 10%", "data": {"final": "10%"}}),
        ("judge", {"ok": False, "score": 0.2, "reason": "wrong years"}),
        ("critic", {"text": "uses 2019 instead of 2020", "issues": ["wrong year"]}),
        ("refiner", {"text": "2020 revenue 112 vs 2019 100: growth 12%", "changes": "used 2020"}),
        ("curator", {"text": "Check that the year column matches the years asked", "path": ["extraction", "year"]}),
        ("judge", {"ok": final_ok, "score": 0.9, "reason": "correct"}),
    )


async def test_table_critic_loop_tree_and_rates() -> None:
    backend = table_critic_script()
    events: list[Event] = []
    result = await wf("table_critic").run(
        {"question": "Revenue growth 2019 to 2020?", "table": TABLE, "expected": "12%", "tree": "tree.db"},
        backend=backend, sinks=[events.append],
    )
    assert result.ok, result.reason
    assert roles_called(backend) == ["solver", "judge", "critic", "refiner", "curator", "judge"]
    # the refiner saw the critique; the second judge saw the revision
    assert "uses 2019 instead of 2020" in prompt(backend.requests[3])
    assert "growth 12%" in prompt(backend.requests[5])
    report = result.output
    assert report["initially_correct"] is False and report["finally_correct"] is True
    assert report["error_correction_rate"] == 1.0 and report["degradation_rate"] == 0.0
    assert [e.data["name"] for e in events if e.type == "tool_call"] == [
        "template_guidance", "template_add", "record_episode"]
    outputs = [(e.data["role"], e.data["output"]["kind"]) for e in events if e.type == "role_output"]
    assert outputs == [("solver", "answer"), ("judge", "verdict"), ("critic", "critique"), ("refiner", "revision"),
                       ("curator", "lesson"), ("judge", "verdict")]

    # a later run reads the persisted lesson and hands it to the critic
    second = table_critic_script()
    result2 = await wf("table_critic").run(
        {"question": "Revenue growth by year?", "table": TABLE, "expected": "12%", "tree": "tree.db"}, backend=second,
    )
    critic_req = second.requests[2]
    assert critic_req.role == "critic"
    assert "[extraction/year] Check that the year column matches the years asked" in prompt(critic_req)
    assert result2.ok and result2.output["episodes"] == 2
    assert Path("tree.db").exists()


async def test_table_critic_judge_accepts_first_answer() -> None:
    backend = script(("solver", {"text": "12%"}), ("judge", {"ok": True, "score": 1.0}))
    result = await wf("table_critic").run({"question": "q", "table": TABLE, "expected": "12%"}, backend=backend)
    assert roles_called(backend) == ["solver", "judge"]
    assert result.output["initially_correct"] is True and result.output["finally_correct"] is True


def _multi(issues_by_aspect: dict[str, list[str]]) -> FunctionBackend:
    def answer(req: ChatRequest) -> dict[str, Any]:
        if req.role == "solver":
            return {"text": "net margin = 20/100 = 0.2", "data": {"final": "20%"}}
        if req.role == "critic":
            aspect = next(a for a in issues_by_aspect if a in req.messages[0].content)
            return {"text": f"{aspect} review", "aspect": aspect, "issues": issues_by_aspect[aspect]}
        assert req.role == "refiner"
        return {"text": "net margin = 25/100 = 25%", "changes": "fixed numerator"}

    return FunctionBackend(answer)


async def test_multi_critic_aggregates_parallel_critiques() -> None:
    backend = _multi({"data extraction": ["numerator is 25, not 20"], "arithmetic": [], "final answer": []})
    result = await wf("multi_critic").run({"question": "net margin?", "context": "profit 25, revenue 100"},
                                          backend=backend)
    assert result.output == "net margin = 25/100 = 25%"
    assert roles_called(backend)[0] == "solver" and roles_called(backend)[-1] == "refiner"
    assert sorted(roles_called(backend)[1:4]) == ["critic"] * 3
    refine = prompt(backend.requests[-1])
    for aspect in ("data extraction", "arithmetic", "final answer"):
        assert f"[{aspect}]" in refine
    assert "numerator is 25, not 20" in refine


async def test_multi_critic_without_issues_keeps_the_draft() -> None:
    backend = _multi({"data extraction": [], "arithmetic": [], "final answer": []})
    result = await wf("multi_critic").run({"question": "net margin?"}, backend=backend)
    assert result.output == "net margin = 20/100 = 0.2"
    assert roles_called(backend) == ["solver", "critic", "critic", "critic"]


async def test_plan_act_ledger_and_replanning() -> None:
    backend = script(
        ("planner", {"steps": [{"description": "look up price"}, {"description": "convert currency"}]}),
        ("actor", {"output": "price is 10 USD", "ok": True}),
        ("actor", {"output": "no exchange rate available", "ok": False}),
        ("planner", {"steps": [{"description": "use the fixed rate 0.9"}]}),
        ("actor", {"output": "9 EUR", "ok": True}),
        ("solver", {"text": "It costs 9 EUR.", "data": {"final": "9 EUR"}}),
    )
    result = await wf("plan_act").run({"task": "price in EUR?"}, backend=backend)
    assert result.output == "It costs 9 EUR."
    assert roles_called(backend) == ["planner", "actor", "actor", "planner", "actor", "solver"]
    replan = prompt(backend.requests[3])
    assert "done: look up price -> price is 10 USD" in replan
    assert "The last step failed: no exchange rate available" in replan
    assert "failed: convert currency -> no exchange rate available" in prompt(backend.requests[4])
    assert "9 EUR" in prompt(backend.requests[5])


async def test_plan_act_gives_up_after_two_replans() -> None:
    fail = ("actor", {"output": "impossible", "ok": False})
    one_step = ("planner", {"steps": [{"description": "try"}]})
    backend = script(one_step, fail, one_step, fail, one_step, fail, ("solver", {"text": "cannot do it"}))
    result = await wf("plan_act").run({"task": "impossible task"}, backend=backend)
    assert result.ok and result.output == "cannot do it"
    assert roles_called(backend).count("planner") == 3


def _debate(answers: list[list[str]]) -> FunctionBackend:
    rounds: dict[int, int] = {}

    def answer(req: ChatRequest) -> dict[str, Any]:
        if req.role == "moderator":
            return {"index": 2, "answer": "5", "reason": "best argument"}
        seat = int(req.messages[0].content.split("debater ")[1].split(" ")[0])
        r = rounds.get(seat, 0)
        rounds[seat] = r + 1
        value = answers[r][seat - 1]
        return {"text": f"I say {value}", "final": value}

    return FunctionBackend(answer)


async def test_debate_reaches_majority_after_a_round() -> None:
    backend = _debate([["4", "4", "5"], ["4", "4", "4"]])
    result = await wf("debate_vote").run({"question": "2+2?", "rounds": "2"}, backend=backend)
    assert result.output == "4"
    assert roles_called(backend) == ["debater"] * 6  # a second round, then agreement stops the loop
    round2 = [prompt(r) for r in backend.requests[3:]]
    assert all("Answers from the previous round" in p for p in round2)
    assert "I say 5" in round2[0]  # seat 1 sees seat 3's dissent


async def test_debate_judge_mode_uses_moderator() -> None:
    backend = _debate([["4", "5", "6"]])
    result = await wf("debate_vote").run({"question": "2+2?", "rounds": "0", "mode": "judge"}, backend=backend)
    assert result.output == "5"
    assert roles_called(backend) == ["debater"] * 3 + ["moderator"]
    assert "1. I say 4 (final: 4)" in prompt(backend.requests[-1])


async def test_code_tests_fixes_code_until_sandboxed_tests_pass() -> None:
    def answer(req: ChatRequest) -> dict[str, Any]:
        if req.role == "test_designer":
            return {"tests": "assert add(1, 2) == 3\nassert add(-1, 1) == 0\n"}
        text = prompt(req)
        if "failed these tests" in text:
            return {"code": "def add(a, b):\n    return a + b\n"}
        return {"code": "def add(a, b):\n    return a - b\n"}

    backend = FunctionBackend(answer)
    events: list[Event] = []
    result = await wf("code_tests").run({"task": "write add(a, b)"}, backend=backend, sinks=[events.append])
    assert result.output["ok"] is True and result.output["passed"] == 2
    assert sorted(roles_called(backend)[:2]) == ["programmer", "test_designer"]
    assert roles_called(backend)[2:] == ["programmer"]
    assert "assert add(1, 2) == 3" in prompt(backend.requests[2])  # the failure report reached the programmer
    runs = [json.dumps(e.data["result"]) for e in events if e.type == "tool_result"]
    assert len(runs) == 2 and '"ok": false' in runs[0] and '"ok": true' in runs[1]


async def test_generate_verify_refine_sequence() -> None:
    backend = script(
        ("solver", {"text": "draft"}),
        ("critic", {"text": "missing units", "issues": ["no units"]}),
        ("refiner", {"text": "draft in meters", "changes": "units"}),
        ("critic", {"text": "fine", "issues": []}),
    )
    result = await wf("generate_verify_refine").run({"question": "how far?"}, backend=backend)
    assert result.output == "draft in meters" and result.notes == []
    assert roles_called(backend) == ["solver", "critic", "refiner", "critic"]
    assert "missing units" in prompt(backend.requests[2])
    backend.check_consumed()
