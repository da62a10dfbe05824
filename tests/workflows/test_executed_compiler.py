"""Executed-mode compiler: located compile-time errors, type checks, and run-time behaviour under stress."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from agentflow.backends.base import ChatRequest
from agentflow.backends.wrappers import Budget
from agentflow.errors import BudgetExceeded, OutputValidationError, UserError
from agentflow.runner.workflows import load_workflow
from agentflow.testing import FunctionBackend, SchemaBackend

HEAD = """Name: t
Inputs:
  - name: question
    type: str
Procedure: |
"""


def make(tmp_path: Path, body: str, head: str = HEAD) -> Path:
    path = tmp_path / "t.pdl"
    path.write_text(head + "".join(f"  {line}\n" for line in body.strip("\n").splitlines()))
    return path


def compile_error(tmp_path: Path, body: str) -> str:
    with pytest.raises(UserError) as info:
        load_workflow(make(tmp_path, body))
    return str(info.value)


def test_unknown_field_is_located_and_lists_fields(tmp_path: Path) -> None:
    msg = compile_error(tmp_path, "v = ROLE.judge(question=question, candidate=question)\nif v.okay:\n    return v")
    assert "t.pdl:7:" in msg and "Verdict has no field 'okay'" in msg and "ok, score, reason" in msg


def test_producer_consumer_type_mismatch_names_both_types(tmp_path: Path) -> None:
    msg = compile_error(tmp_path, """
v = ROLE.judge(question=question, candidate=question)
r = ROLE.refiner(question=question, candidate=question, critique=v)
return r.text""")
    assert "t.pdl:7:" in msg
    assert "input 'critique' expects Critique, got Verdict" in msg


def test_message_where_text_is_expected_suggests_text(tmp_path: Path) -> None:
    msg = compile_error(tmp_path, """
a = ROLE.solver(question=question)
v = ROLE.judge(question=question, candidate=a)
return v.ok""")
    assert "expects str, got Answer" in msg and ".text" in msg


def test_unknown_role_input_and_unknown_role(tmp_path: Path) -> None:
    assert "does not consume 'answer'" in compile_error(tmp_path, "v = ROLE.judge(answer=question)\nreturn v")
    msg = compile_error(tmp_path, "v = ROLE.juge(question=question)\nreturn v")
    assert "juge" in msg and "t.pdl:6:" in msg


def test_calls_inside_expressions_and_unknown_names(tmp_path: Path) -> None:
    msg = compile_error(tmp_path, "a = ROLE.solver(question=question, context=join([question]))\nreturn a")
    assert "join() cannot be called inside an expression" in msg
    msg = compile_error(tmp_path, "a = ROLE.solver(question=qestion)\nreturn a")
    assert "qestion" in msg


def test_parallel_branches_must_bind_distinct_names(tmp_path: Path) -> None:
    msg = compile_error(tmp_path, """
parallel:
    a = ROLE.solver(question=question)
    a = ROLE.solver(question=question)
return a""")
    assert "two parallel branches assign 'a'" in msg


def test_declared_type_of_target_is_checked(tmp_path: Path) -> None:
    msg = compile_error(tmp_path, "v: Critique = ROLE.judge(question=question, candidate=question)\nreturn v")
    assert "declared Critique but gets Verdict" in msg


def test_inputs_are_coerced_and_checked(tmp_path: Path) -> None:
    head = HEAD.replace("Procedure", "  - name: n\n    type: int\n    default: 2\nProcedure")
    wf = load_workflow(make(tmp_path, "x = n * 2\nreturn x", head))
    assert wf.run_sync({"question": "q", "n": "21"}, backend="test").output == 42
    assert wf.run_sync({"question": "q"}, backend="test").output == 4
    with pytest.raises(UserError, match="missing input 'question'"):
        wf.run_sync({}, backend="test")
    with pytest.raises(UserError, match="unknown input 'nn'"):
        wf.run_sync({"question": "q", "nn": "1"}, backend="test")
    with pytest.raises(UserError, match="input 'n' is not a valid int"):
        wf.run_sync({"question": "q", "n": "many"}, backend="test")


async def test_parallel_branches_run_concurrently(tmp_path: Path) -> None:
    in_flight: list[int] = [0, 0]  # now, peak

    async def slow(req: ChatRequest) -> dict[str, Any]:
        in_flight[0] += 1
        in_flight[1] = max(in_flight)
        await asyncio.sleep(0.1)
        in_flight[0] -= 1
        return {"text": "x", "issues": []}

    wf = load_workflow(make(tmp_path, """
parallel:
    a = ROLE.critic(question=question, candidate=question, aspect="a")
    b = ROLE.critic(question=question, candidate=question, aspect="b")
    c = ROLE.critic(question=question, candidate=question, aspect="c")
    d = ROLE.critic(question=question, candidate=question, aspect="d")
return [a.aspect, b.text, c.text, d.text]"""))
    result = await wf.run({"question": "q"}, backend=FunctionBackend(slow))
    assert result.ok and result.output == ["overall", "x", "x", "x"]
    assert in_flight[1] == 4, f"{in_flight[1]} of 4 branches ran at once: not concurrent"


async def test_loop_budget_ends_loop_cleanly_with_note(tmp_path: Path) -> None:
    wf = load_workflow(make(tmp_path, """
n = 0
while n < 100 max 4:
    v = ROLE.judge(question=question, candidate=question)
    n = n + 1
return n"""))
    result = await wf.run({"question": "q"}, backend=SchemaBackend())
    assert result.ok and result.output == 4
    assert result.stats["judge"].calls == 4
    assert result.notes and "budget of 4 iteration(s)" in result.notes[0]


async def test_nested_loops_reset_their_budget_per_entry(tmp_path: Path) -> None:
    wf = load_workflow(make(tmp_path, """
total = 0
for i in [1, 2, 3] max 3:
    j = 0
    while j < 2 max 2:
        j = j + 1
        total = total + 1
return total"""))
    result = await wf.run({"question": "q"}, backend="test")
    assert result.output == 6 and result.notes == []


async def test_role_call_budget_stops_the_run_with_a_clear_message(tmp_path: Path) -> None:
    wf = load_workflow(make(tmp_path, """
v = ROLE.judge(question=question, candidate=question)
while v.ok max 10:
    v = ROLE.judge(question=question, candidate=question)
return v"""))
    result = await wf.run({"question": "q"}, backend="test", budgets=Budget(max_role_calls=3))
    assert result.status == "budget_exhausted"
    assert isinstance(result.error, BudgetExceeded)
    assert "role-call budget of 3 spent before 'judge' at" in str(result.error)
    assert result.stats["judge"].calls == 3
    tokens = await wf.run({"question": "q"}, backend="test", budgets=Budget(max_tokens=200))
    assert isinstance(tokens.error, BudgetExceeded) and "token budget of 200 exceeded" in str(tokens.error)


async def test_invalid_output_fails_with_raw_output(tmp_path: Path) -> None:
    wf = load_workflow(make(tmp_path, "v = ROLE.judge(question=question, candidate=question)\nreturn v"))
    backend = FunctionBackend(lambda req: "looks fine to me")
    result = await wf.run({"question": "q"}, backend=backend)
    assert result.status == "failed" and isinstance(result.error, OutputValidationError)
    assert "looks fine to me" in str(result.error)
    assert len(backend.requests) == 3  # one call + two repairs (judge.yaml retry.repairs)
    judge = result.stats["judge"]  # the failed call's tries are accounted, not lost with the error
    assert (judge.calls, judge.attempts, judge.repairs) == (1, 3, 2)
    assert judge.output_tokens > 0 and result.usage.output_tokens == judge.output_tokens


def test_sdk_python_graph_matches_roles_per_role_backends(tmp_path: Path) -> None:
    wf = load_workflow(make(tmp_path, """
a = ROLE.solver(question=question)
v = ROLE.judge(question=question, candidate=a.text)
return [a.text, v.reason]"""))
    judge = FunctionBackend(lambda req: {"ok": True, "reason": "judged by the judge backend"})
    result = wf.run_sync({"question": "q"}, backend={"*": "test", "judge": judge})
    assert result.output == ["test", "judged by the judge backend"]
    assert [r.role for r in judge.requests] == ["judge"]


def test_roles_folder_beside_the_file_adds_and_overrides_roles(tmp_path: Path) -> None:
    roles = tmp_path / "roles"
    roles.mkdir()
    (roles / "shouter.yaml").write_text(
        "name: shouter\npurpose: Repeat loudly.\nprompt: 'Say {{ text }} loudly'\nconsumes: {text: str}\n"
        "produces:\n  name: shout\n  fields:\n    loud: {type: str}\n")
    (roles / "judge.yaml").write_text(
        "name: judge\npurpose: Always strict.\nprompt: 'Judge {{ candidate }}'\nconsumes: {candidate: str}\n"
        "produces: verdict\n")
    wf = load_workflow(make(tmp_path, """
s = ROLE.shouter(text=question)
v = ROLE.judge(candidate=s.loud)
return [s.loud, v.ok]"""))
    backend = FunctionBackend(lambda req: {"loud": "HI"} if req.role == "shouter" else {"ok": False})
    result = wf.run_sync({"question": "hi"}, backend=backend)
    assert result.output == ["HI", False]
    assert backend.requests[1].messages[-1].content == "Judge HI"
    assert backend.requests[1].messages[0].content.startswith("Always strict.")
    with pytest.raises(UserError, match="Shout has no field 'quiet'"):
        load_workflow(make(tmp_path, "s = ROLE.shouter(text=question)\nreturn s.quiet"))


def test_role_with_tools_in_an_executed_workflow(tmp_path: Path) -> None:
    from agentflow.backends.base import ChatResponse, ToolCall

    roles = tmp_path / "roles"
    roles.mkdir()
    (roles / "pricer.yaml").write_text(
        "name: pricer\npurpose: Price things.\nprompt: 'Price of {{ item }}?'\nconsumes: {item: str}\n"
        "produces: answer\ntools: [price]\n")
    head = HEAD.replace("Procedure", "APIs:\n  - name: price\n    description: look up a price\n"
                        "    parameters: {type: object, properties: {item: {type: string}}}\nProcedure")

    def model(req: ChatRequest) -> Any:
        if not any(m.role == "tool" for m in req.messages):
            return ChatResponse(tool_calls=(ToolCall(id="1", name="price", arguments={"item": "tea"}),))
        return {"text": req.messages[-1].content}

    def price(item: str) -> dict[str, Any]:
        return {"item": item, "usd": 3}

    wf = load_workflow(make(tmp_path, "a = ROLE.pricer(item=question)\nreturn a.text", head), tools={"price": price})
    backend = FunctionBackend(model)
    result = wf.run_sync({"question": "tea"}, backend=backend)
    assert result.output == '{"item": "tea", "usd": 3}'
    assert backend.requests[0].tools[0].parameters["properties"] == {"item": {"type": "string"}}
    with pytest.raises(UserError, match="uses tool 'price', which is not available"):
        load_workflow(make(tmp_path, "a = ROLE.pricer(item=question)\nreturn a.text"))
