"""The guided session over real provider SDKs (OpenAI, Anthropic) talking to a loopback wire server.

Checks what the providers actually receive: the native tool definitions, a blocked call answered by a
tool result that names the controller (so the conversation stays well-formed for the provider), the
static system prompt first, and the dynamic state.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from guided_helpers import FLIGHT, FLIGHT_TOOLS

from agentflow.runner import Workflow

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from backends.loopback import LoopbackServer, Reply

SCRIPT = [
    Reply(tool_calls=[("reserveFlight", {"plan_code": "CA1234"})]),
    Reply(tool_calls=[("checkAvailability", {"plan_code": "CA1234"})]),
    Reply(text="CA1234 is available."),
]


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


async def _run(backend: Any) -> Any:
    try:
        return await Workflow.load(FLIGHT).run(["Book CA1234"], backend=backend, tools=str(FLIGHT_TOOLS),
                                               classifier="rules")
    finally:
        await backend.aclose()


async def test_openai_wire(server: LoopbackServer) -> None:
    from agentflow.backends.openai import OpenAIBackend

    server.queue(*SCRIPT)
    backend = OpenAIBackend("gpt-test", api_key="sk-test", base_url=server.openai_base_url, timeout=5.0)
    result = await _run(backend)
    assert result.replies == ["CA1234 is available."] and result.totals["blocked_calls"] == 1
    bodies = server.bodies("/chat/completions")
    assert len(bodies) == 3
    assert [t["function"]["name"] for t in bodies[0]["tools"]] == ["checkAvailability", "reserveFlight"]
    msgs = bodies[1]["messages"]
    assert msgs[0]["role"] == "system" and "PROCEDURE:" in msgs[0]["content"]
    call = next(m for m in msgs if m["role"] == "assistant" and m.get("tool_calls"))
    result_msg = next(m for m in msgs if m["role"] == "tool")
    assert result_msg["tool_call_id"] == call["tool_calls"][0]["id"]
    assert result_msg["content"].startswith("BLOCKED by precondition")
    assert msgs[-1]["role"] == "system" and "Allowed now: checkAvailability" in msgs[-1]["content"]
    assert bodies[0]["messages"][0] == bodies[2]["messages"][0]  # the cacheable prefix is identical


async def test_anthropic_wire(server: LoopbackServer) -> None:
    from agentflow.backends.anthropic import AnthropicBackend

    server.queue(*SCRIPT)
    backend = AnthropicBackend("claude-test", api_key="sk-ant-test", base_url=server.url, timeout=5.0)
    result = await _run(backend)
    assert result.replies == ["CA1234 is available."] and result.totals["executed_calls"] == 1
    bodies = server.bodies("/messages")
    assert len(bodies) == 3 and [t["name"] for t in bodies[0]["tools"]] == ["checkAvailability", "reserveFlight"]
    system = bodies[1]["system"]
    assert system.startswith("You are the service agent for 'flight booking'") and "Allowed now:" in system
    blocks = [b for m in bodies[1]["messages"] for b in (m["content"] if isinstance(m["content"], list) else [])]
    use = next(b for b in blocks if b["type"] == "tool_use")
    res = next(b for b in blocks if b["type"] == "tool_result")
    assert res["tool_use_id"] == use["id"] and "BLOCKED by precondition" in str(res["content"])
