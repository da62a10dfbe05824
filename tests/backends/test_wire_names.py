"""Unicode PDL API names travel under ASCII aliases and come back under their own names."""

from __future__ import annotations

import re

from agentflow.backends._wire_names import WireNames, is_wire_safe
from agentflow.backends.anthropic import AnthropicBackend
from agentflow.backends.base import ChatMessage, ChatRequest, ToolCall, ToolDef
from agentflow.backends.openai import OpenAIBackend

from .loopback import LoopbackServer

QUERY = ToolDef(name="查询航班", description="find flights",
                parameters={"type": "object", "properties": {"航班号": {"type": "string"}}, "required": ["航班号"]})
WIRE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def test_aliases_are_safe_stable_and_distinct() -> None:
    names = WireNames(["查询航班", "预订航班", "book_flight", "a.b"])
    wires = [names.wire(n) for n in ("查询航班", "预订航班", "book_flight", "a.b")]
    assert all(WIRE.match(w) for w in wires) and len(set(wires)) == 4
    assert wires[2] == "book_flight" and wires[3].startswith("a_b_")
    assert WireNames(["查询航班"]).wire("查询航班") == wires[0], "aliases do not depend on the other names"
    assert [names.local(w) for w in wires] == ["查询航班", "预订航班", "book_flight", "a.b"]
    assert not is_wire_safe("x" * 65) and is_wire_safe("x" * 64)


def _conversation() -> ChatRequest:
    earlier = ToolCall(id="c0", name="查询航班", arguments={"航班号": "CA1"})
    return ChatRequest(messages=(
        ChatMessage(role="user", content="CA1?"),
        ChatMessage(role="assistant", tool_calls=(earlier,)),
        ChatMessage(role="tool", tool_call_id="c0", content="none"),
        ChatMessage(role="user", content="CA2 then"),
    ), tools=(QUERY,), tool_choice="查询航班")


async def test_openai_round_trip_with_unicode_tool_names(server: LoopbackServer, openai_backend: OpenAIBackend) -> None:
    response = await openai_backend.complete(_conversation())
    assert [c.name for c in response.tool_calls] == ["查询航班"]
    assert response.tool_calls[0].arguments == {"航班号": "test"}
    body = server.bodies()[0]
    alias = body["tools"][0]["function"]["name"]
    assert WIRE.match(alias) and body["tool_choice"]["function"]["name"] == alias
    assert body["messages"][1]["tool_calls"][0]["function"]["name"] == alias
    streamed = [c async for c in openai_backend.stream(_conversation())]
    assert [c.name for c in streamed[-1].tool_calls] == ["查询航班"]


async def test_anthropic_round_trip_with_unicode_names(server: LoopbackServer,
                                                       anthropic_backend: AnthropicBackend) -> None:
    response = await anthropic_backend.complete(_conversation())
    assert [c.name for c in response.tool_calls] == ["查询航班"]
    body = server.bodies()[0]
    alias = body["tools"][0]["name"]
    assert WIRE.match(alias) and body["tool_choice"] == {"type": "tool", "name": alias}
    assert body["messages"][1]["content"][0]["name"] == alias
    streamed = [c async for c in anthropic_backend.stream(_conversation())]
    assert [c.name for c in streamed[-1].tool_calls] == ["查询航班"]
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    typed = await anthropic_backend.complete(ChatRequest(messages=(ChatMessage(role="user", content="?"),),
                                                         response_schema=schema, response_schema_name="判定"))
    assert typed.text == '{"ok": true}' and typed.tool_calls == ()
