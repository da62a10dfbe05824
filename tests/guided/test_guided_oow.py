"""OOW policies inside a running session: every category's policy, its trace events and state effects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from guided_helpers import FLIGHT, FLIGHT_TOOLS, audit, of_type, write_yaml

from agentflow.events import read_trace
from agentflow.runner import Workflow
from agentflow.testing import ScriptedBackend, load_script

CHECK = {"call": "checkAvailability", "args": {"plan_code": "CA1234"}}


async def _run(tmp_path: Path, users: list[str], script: list[dict[str, Any]]) -> tuple[Any, list[dict[str, Any]]]:
    trace = tmp_path / "t.jsonl"
    wf = Workflow.load(FLIGHT)
    result = await wf.run(users, backend=f"scripted:{write_yaml(tmp_path / 'a.yaml', script)}",
                          tools=str(FLIGHT_TOOLS), trace=trace, classifier="rules")
    records = list(read_trace(trace))
    assert audit(records, wf.guided.rules) == []
    return result, records


async def test_detail_switching_invalidates_and_forces_a_recheck(tmp_path: Path) -> None:
    result, records = await _run(tmp_path, ["Book CA1234", "Oh sorry, I meant MU9101"], [
        CHECK, {"say": "CA1234 is available."},
        {"call": "reserveFlight", "args": {"plan_code": "MU9101"}},
        {"call": "checkAvailability", "args": {"plan_code": "MU9101"}},
        {"say": "Unfortunately MU9101 is not available."},
    ])
    oow = of_type(records, "oow")
    assert [(o["category"], o["subtype"], o["policy"]) for o in oow] == [
        ("Intent Switching", "Detail Switching", "slot_correction")]
    policy = of_type(records, "oow_policy")[0]
    first_check = of_type(records, "tool_call")[0]["call_id"]
    assert policy["slot_updates"] == {"plan_code": "MU9101"} and policy["invalidated"] == [first_check]
    blocked = [c for c in of_type(records, "tool_call") if c["status"] == "blocked"]
    assert len(blocked) == 1 and "invalidated" in blocked[0]["reason"]
    assert result.state.slots["plan_code"] == "MU9101"


async def test_cancellation_drops_progress_and_ends_cancelled(tmp_path: Path) -> None:
    result, records = await _run(tmp_path, ["Book CA1234", "Never mind, cancel it"], [
        CHECK, {"say": "CA1234 is available."}, {"call": "reserveFlight", "args": {"plan_code": "CA1234"}},
        {"say": "Your request is cancelled."},
    ])
    assert [o["policy"] for o in of_type(records, "oow")] == ["cancellation"]
    blocked = [c for c in of_type(records, "tool_call") if c["status"] == "blocked"]
    assert [b["controller"] for b in blocked] == ["cancelled"]
    assert result.status == "cancelled" and all(not c.ok for c in result.state.calls)


async def test_new_request_after_cancellation_reactivates(tmp_path: Path) -> None:
    result, _ = await _run(tmp_path, ["cancel", "I want to book CA1234"], [
        {"say": "Cancelled."}, CHECK, {"say": "Available."}])
    assert result.status == "completed" and result.state.last_ok("checkAvailability") is not None


async def test_vague_answer_reasks_with_guidance(tmp_path: Path) -> None:
    backend_script = write_yaml(tmp_path / "a.yaml", [{"say": "Which flight number, please?"}])
    agent = ScriptedBackend(load_script(backend_script))
    result = await Workflow.load(FLIGHT).run(["whatever"], backend=agent, classifier="rules")
    state_msg = agent.requests[0].messages[-1].content
    assert "Guidance: The user's answer was not usable (Answering Irrelevantly/Vague Answer)" in state_msg
    assert result.totals["oow_turns"] == 1


async def test_topic_shift_is_answered_then_the_step_resumes(tmp_path: Path) -> None:
    result, records = await _run(tmp_path, ["What's the weather like in Paris?", "CA1234 please"], [
        {"say": "I can't check the weather, but I can book flights. Which flight?"}, CHECK, {"say": "Available."}])
    assert [(o["subtype"], o["policy"]) for o in of_type(records, "oow")] == [("Topic Shift", "digression")]
    assert result.totals["executed_calls"] == 1


async def test_returning_to_initial_steps_resets_progress(tmp_path: Path) -> None:
    result, records = await _run(tmp_path, ["CA1234", "Let's start over"], [
        CHECK, {"say": "Available."}, {"say": "Sure, which flight?"}])
    assert [o["policy"] for o in of_type(records, "oow")] == ["restart"]
    assert result.state.last_ok("checkAvailability") is None
    assert of_type(records, "oow_policy")[0]["invalidated"]


async def test_step_repetition_allows_a_recheck_only_after_invalidation(tmp_path: Path) -> None:
    _, records = await _run(tmp_path, ["CA1234", "Can you check it again?"], [
        CHECK, {"say": "Available."}, CHECK, {"say": "It is still available, as checked."}])
    assert [o["policy"] for o in of_type(records, "oow")] == ["repeat"]
    blocked = [c for c in of_type(records, "tool_call") if c["status"] == "blocked"]
    assert [b["controller"] for b in blocked] == ["duplicate_call"]


def test_audit_detects_violations() -> None:
    rules = Workflow.load(FLIGHT).guided.rules
    bad = [
        {"type": "tool_call", "seq": 1, "name": "reserveFlight", "args": {"plan_code": "X"}, "status": "executed",
         "call_id": "a"},
        {"type": "tool_call", "seq": 2, "name": "hack", "args": {}, "status": "executed", "call_id": "b"},
        {"type": "tool_call", "seq": 3, "name": "reserveFlight", "args": {}, "status": "blocked", "call_id": "c"},
        {"type": "agent_message", "seq": 4, "text": "Your flight is booked."},
    ]
    problems = audit(bad, rules)
    assert len(problems) == 5, problems


async def test_model_classifier_labels_what_the_rules_let_through(tmp_path: Path) -> None:
    from agentflow.backends.base import ChatRequest
    from agentflow.testing import FunctionBackend

    def model(req: ChatRequest) -> str | dict[str, Any]:
        if req.role == "oow_classifier":
            return {"category": "answering_irrelevantly", "subtype": "irrelevant_information", "reason": "x"}
        return "Which flight would you like?"

    backend = FunctionBackend(model)
    trace = tmp_path / "t.jsonl"
    await Workflow.load(FLIGHT).run(["My cat is called Tom", "cancel it"], backend=backend, trace=trace)
    records = list(read_trace(trace))
    labels = [(o["category"], o["subtype"], o["source"], o["policy"]) for o in of_type(records, "oow")]
    assert labels == [("Answering Irrelevantly", "Irrelevant Information", "model", "digression"),
                      ("Intent Switching", "Request Cancellation", "rules", "cancellation")]
    roles = [r.role for r in backend.requests]
    assert roles.count("oow_classifier") == 1  # the rules caught the cancellation: no model call for it


async def test_simulated_user_injects_oow_on_its_schedule() -> None:
    import json as _json

    from guided_helpers import PROFILES

    from agentflow.backends.base import ChatRequest
    from agentflow.guided.users import load_profile
    from agentflow.runner import SimulatedUser
    from agentflow.testing import FunctionBackend

    turns = iter(["I'd like to book CA1234.", "Actually, cancel it.", "Bye"])

    def sim(req: ChatRequest) -> str:
        return _json.dumps({"text": next(turns), "done": False})

    backend = FunctionBackend(sim)
    user = SimulatedUser(backend, load_profile(PROFILES, index=1), oow_schedule={2: "Request Cancellation"},
                         max_turns=2)
    agent = FunctionBackend(lambda req: "OK.")
    result = await Workflow.load(FLIGHT).run(user, backend={"agent": agent}, classifier="rules")
    systems = [r.messages[0].content for r in backend.requests]
    assert len(systems) == 2 and "Emily Johnson" in systems[0]
    assert "Request Cancellation" not in systems[0]
    assert "Request Cancellation: Moving from making a request to canceling it." in systems[1]
    assert result.totals["turns"] == 2 and result.status == "cancelled"


async def test_an_unusable_classifier_label_does_not_end_the_conversation(tmp_path: Path) -> None:
    from agentflow.backends.base import ChatRequest
    from agentflow.testing import FunctionBackend

    def model(req: ChatRequest) -> str:
        return "not json at all" if req.role == "oow_classifier" else "Which flight would you like?"

    trace = tmp_path / "t.jsonl"
    result = await Workflow.load(FLIGHT).run(["hello there"], backend=FunctionBackend(model), trace=trace)
    records = list(read_trace(trace))
    assert result.status == "completed" and result.replies == ["Which flight would you like?"]
    assert len(of_type(records, "classifier_error")) == 1 and not of_type(records, "oow")
