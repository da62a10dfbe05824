"""The FlowAgent flight-booking sample end to end: CLI, SDK, trace format, users, prompt layout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from guided_helpers import FLIGHT, FLIGHT_TOOLS, PROFILES, audit, of_type, write_yaml

from agentflow.backends.base import ChatRequest, ChatResponse, ToolCall
from agentflow.cli.app import main
from agentflow.events import read_trace
from agentflow.runner import SessionConfig, Workflow
from agentflow.testing import FunctionBackend

T = "12 o'clock on January 7, 2199"
HAPPY_AGENT = [
    {"call": "checkAvailability", "args": {"plan_code": "CA1234", "estimated_time": T}},
    {"say": "Flight CA1234 is available. Which cabin, and your name and ID number?"},
    {"call": "reserveFlight", "args": {"plan_code": "CA1234", "cabin_type": "Economy Class", "estimated_time": T}},
    {"say": "Your flight CA1234 is booked: boarding C1, seat 12A."},
]
HAPPY_USER = [f"I want to book flight CA1234 at {T}.", "Economy Class. John Smith, ID AB1234567."]


def test_cli_happy_path_writes_the_documented_trace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    agent = write_yaml(tmp_path / "agent.yaml", HAPPY_AGENT)
    users = write_yaml(tmp_path / "users.yaml", HAPPY_USER)
    trace = tmp_path / "trace.jsonl"
    code = main(["run", str(FLIGHT), "--backend", f"scripted:{agent}", "--user", f"scripted:{users}",
                 "--tools", str(FLIGHT_TOOLS), "--trace", str(trace), "--run-id", "run_flight1"])
    out = capsys.readouterr().out
    assert code == 0
    assert "compliance: 2 executed, 0 blocked call(s)" in out and "status completed" in out
    assert "Your flight CA1234 is booked" in out
    records = list(read_trace(trace))
    assert all({"type", "run_id", "seq", "ts"} <= r.keys() and r["run_id"] == "run_flight1" for r in records)
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
    types = {r["type"] for r in records}
    assert {"user_message", "agent_message", "tool_call", "tool_result", "controller_decision", "llm_call",
            "run_end"} <= types
    calls = of_type(records, "tool_call")
    assert [(c["name"], c["status"]) for c in calls] == [
        ("checkAvailability", "executed"), ("reserveFlight", "executed")]
    results = of_type(records, "tool_result")
    assert results[1]["result"]["boarding_number"] == "C1" and results[1]["binding"] == "python"
    llm = of_type(records, "llm_call")
    assert {"role", "model", "input_tokens", "output_tokens", "latency_s", "cost_usd"} <= llm[0].keys()
    assert {r["role"] for r in llm} >= {"agent", "oow_classifier"}
    end = records[-1]
    assert end["type"] == "run_end" and end["status"] == "completed"
    assert end["totals"]["executed_calls"] == 2 and end["totals"]["blocked_calls"] == 0 and end["totals"]["turns"] == 2
    assert audit(records, Workflow.load(FLIGHT).guided.rules) == []


def test_cli_reports_unused_script_steps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    agent = write_yaml(tmp_path / "agent.yaml", [*HAPPY_AGENT, {"say": "never used"}])
    users = write_yaml(tmp_path / "users.yaml", HAPPY_USER)
    code = main(["run", str(FLIGHT), "--backend", f"scripted:{agent}", "--user", f"scripted:{users}"])
    assert code == 2 and "1 script step(s) left unused" in capsys.readouterr().err


def test_cli_input_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(FLIGHT), "--backend", "test", "--user", "bogus"]) == 2
    assert "unknown --user 'bogus'" in capsys.readouterr().err
    assert main(["run", str(FLIGHT), "--backend", "test", "--user", "scripted:x.yaml", "--input", "novalue"]) == 2
    assert "is not KEY=VALUE" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "nope.pdl"), "--backend", "test"]) == 2
    err = capsys.readouterr().err
    assert "nope.pdl" in err and "Traceback" not in err


def test_sdk_three_lines_with_inputs_and_python_tools() -> None:
    seen: list[ChatRequest] = []

    def agent(req: ChatRequest) -> ChatResponse:
        seen.append(req)
        if not any(m.role == "tool" for m in req.messages):
            return ChatResponse(tool_calls=(ToolCall(id="c1", name="checkAvailability",
                                                     arguments={"plan_code": "CA1234"}),))
        return ChatResponse(text="CA1234 is available.")

    wf = Workflow.load(FLIGHT, inputs={"plan_code": "CA1234"})
    result = wf.run_sync(["Is CA1234 available?"], backend=FunctionBackend(agent), tools=str(FLIGHT_TOOLS),
                         classifier="rules")
    assert result.status == "completed" and result.replies == ["CA1234 is available."]
    assert result.totals["executed_calls"] == 1 and "1 executed, 0 blocked" in result.summary
    assert "plan_code=CA1234" in seen[0].messages[-1].content  # the --input pre-filled slot is in the state


async def test_prompt_has_a_stable_static_prefix_and_a_dynamic_state_suffix() -> None:
    requests: list[ChatRequest] = []

    def agent(req: ChatRequest) -> ChatResponse:
        requests.append(req)
        if len(requests) == 1:
            return ChatResponse(tool_calls=(ToolCall(id="c1", name="reserveFlight", arguments={"plan_code": "CA1"}),))
        return ChatResponse(text="Please tell me your flight number.")

    result = await Workflow.load(FLIGHT).run(["hi", "CA1234 please"], backend=FunctionBackend(agent),
                                             classifier="rules")
    assert result.status == "completed"
    statics = {r.messages[0].content for r in requests}
    assert len(statics) == 1  # identical system prefix on every call: provider/vLLM prefix caches hit
    static = requests[0].messages[0].content
    assert "PROCEDURE:" in static and "reserveFlight -> is_successful" in static
    assert "requires checkAvailability.is_air == 'true'" in static
    state = requests[1].messages[-1].content
    assert state.startswith("STATE turn 1") and "Allowed now: checkAvailability\n" in state
    assert "Blocked: reserveFlight (checkAvailability must succeed first)" in state
    assert [t.name for t in requests[0].tools] == ["checkAvailability", "reserveFlight"]
    later = requests[-1].messages[-1].content  # turn 2, after nothing ran: still only the check is offered
    assert "Allowed now: checkAvailability\n" in later
    tool_msgs = [m for m in requests[1].messages if m.role == "tool"]
    assert tool_msgs and tool_msgs[0].content.startswith("BLOCKED by precondition")


async def test_text_tool_format_when_native_tools_are_off() -> None:
    requests: list[ChatRequest] = []

    def agent(req: ChatRequest) -> ChatResponse:
        requests.append(req)
        if len(requests) == 1:
            return ChatResponse(text='CALL checkAvailability {"plan_code": "CA1234"}')
        return ChatResponse(text="It is available.")

    result = await Workflow.load(FLIGHT).run(["CA1234?"], backend=FunctionBackend(agent), classifier="rules",
                                             tools=str(FLIGHT_TOOLS), config=SessionConfig(native_tools=False))
    assert result.totals["executed_calls"] == 1
    assert requests[0].tools == () and "CALL name {" in requests[0].messages[0].content
    assert any(m.content.startswith("[result of checkAvailability]") for m in requests[1].messages)
    state = requests[1].messages[-1].content
    assert 'Done: checkAvailability -> {"is_air":"true"}' in state
    assert "Allowed now: reserveFlight; done ones only with new values" in state


def test_simulated_user_on_the_test_backend(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "t.jsonl"
    code = main(["run", str(FLIGHT), "--backend", "test", "--user", f"sim:{PROFILES}", "--trace", str(trace),
                 "--max-turns", "4"])
    assert code == 0
    records = list(read_trace(trace))
    roles = {r["role"] for r in of_type(records, "llm_call")}
    assert {"user_simulator", "agent", "oow_classifier"} <= roles
    assert of_type(records, "user_message") and of_type(records, "agent_message")
    assert records[-1]["type"] == "run_end" and records[-1]["status"] in ("completed", "turn_limit")
    assert audit(records, Workflow.load(FLIGHT).guided.rules) == []


def test_stdin_user_from_a_pipe(tmp_path: Path) -> None:
    agent = write_yaml(tmp_path / "agent.yaml", HAPPY_AGENT)
    trace = tmp_path / "t.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "agentflow", "run", str(FLIGHT), "--backend", f"scripted:{agent}", "--user", "stdin",
         "--tools", str(FLIGHT_TOOLS), "--trace", str(trace)],
        input="\n".join(HAPPY_USER) + "\n", capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "compliance: 2 executed, 0 blocked call(s)" in proc.stdout
    texts = [r["text"] for r in read_trace(trace) if r["type"] == "user_message"]
    assert texts == HAPPY_USER


def test_secrets_never_reach_the_trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-live-abcdefghijklmnopqrstuvwxyz123456"
    monkeypatch.setenv("FLIGHT_API_KEY", secret)
    agent = write_yaml(tmp_path / "agent.yaml", [{"say": "ok"}])
    users = write_yaml(tmp_path / "users.yaml", [f"my key is {secret}"])
    trace = tmp_path / "t.jsonl"
    assert main(["run", str(FLIGHT), "--backend", f"scripted:{agent}", "--user", f"scripted:{users}",
                 "--trace", str(trace), "--quiet"]) == 0
    text = trace.read_text(encoding="utf-8")
    assert secret not in text and "***" in text
    assert json.loads(text.splitlines()[-1])["type"] == "run_end"


def test_sdk_refuses_an_executed_workflow() -> None:
    from agentflow.errors import UserError

    plan_act = Path(__file__).resolve().parents[2] / "workflows" / "plan_act.pdl"
    with pytest.raises(UserError, match="executed-mode workflow"):
        Workflow.load(plan_act)
