"""The real ``anthropic`` SDK against the loopback server: translation both ways, tool mode, streaming, errors."""

from __future__ import annotations

import json

import pytest

from agentflow.backends.anthropic import AnthropicBackend, from_spec
from agentflow.backends.base import ChatMessage, ChatRequest, ToolCall, ToolDef
from agentflow.errors import (
    AuthError,
    BackendError,
    BadRequest,
    ContextWindowExceeded,
    RateLimited,
    ServerError,
    Timeout,
    UserError,
)
from agentflow.models import build_backend

from .conftest import ask
from .loopback import LoopbackServer, Reply

LOOKUP = ToolDef(name="lookup", description="Find an order",
                 parameters={"type": "object", "properties": {"order": {"type": "string"}}, "required": ["order"]})


async def test_system_prompt_tool_results_and_sampling_params(server: LoopbackServer,
                                                             anthropic_backend: AnthropicBackend) -> None:
    call = ToolCall(id="toolu_1", name="lookup", arguments={"order": "A7"})
    request = ChatRequest(messages=(
        ChatMessage(role="system", content="You are a clerk."),
        ChatMessage(role="user", content="where is A7"),
        ChatMessage(role="assistant", content="checking", tool_calls=(call,)),
        ChatMessage(role="tool", tool_call_id="toolu_1", content="shipped"),
        ChatMessage(role="user", content="thanks"),
    ), tools=(LOOKUP,), temperature=0.3, stop=("STOP",))
    response = await anthropic_backend.complete(request)
    assert response.text == "echo: thanks" and response.finish_reason == "stop"
    body = server.bodies()[0]
    assert body["system"] == "You are a clerk."
    assert body["temperature"] == 0.3  # sent through extra_body (SDK 2.x)
    assert body["stop_sequences"] == ["STOP"] and body["max_tokens"] == 1024
    assert body["tools"] == [{"name": "lookup", "description": "Find an order", "input_schema": LOOKUP.parameters}]
    assert body["tool_choice"] == {"type": "auto"}
    assert body["messages"][1] == {"role": "assistant", "content": [
        {"type": "text", "text": "checking"}, {"type": "tool_use", "id": "toolu_1", "name": "lookup",
                                              "input": {"order": "A7"}}]}
    # the tool result and the next user text are merged into one user turn, as Anthropic requires
    assert body["messages"][2] == {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "shipped"}, {"type": "text", "text": "thanks"}]}
    headers = server.requests[0].headers
    assert "sk-ant-test" in headers.get("x-api-key", "") + headers.get("authorization", "")


async def test_tool_use_answer(server: LoopbackServer, anthropic_backend: AnthropicBackend) -> None:
    server.queue(Reply(text="Looking.", tool_calls=[("lookup", {"order": "B2"})]))
    response = await anthropic_backend.complete(ask("B2?", tools=(LOOKUP,), tool_choice="required"))
    assert response.text == "Looking." and response.finish_reason == "tool_calls"
    assert [(c.name, c.arguments) for c in response.tool_calls] == [("lookup", {"order": "B2"})]
    assert server.bodies()[0]["tool_choice"] == {"type": "any"}


async def test_structured_output_uses_tool_mode(server: LoopbackServer, anthropic_backend: AnthropicBackend) -> None:
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    response = await anthropic_backend.complete(ask(response_schema=schema, response_schema_name="Verdict"))
    assert json.loads(response.text) == {"ok": True}
    assert response.tool_calls == () and response.finish_reason == "stop"
    body = server.bodies()[0]
    assert body["tool_choice"] == {"type": "tool", "name": "Verdict"}
    assert body["tools"][-1]["input_schema"] == schema


async def test_streaming_text_tool_use_and_tool_mode(server: LoopbackServer,
                                                    anthropic_backend: AnthropicBackend) -> None:
    server.queue(Reply(text="one two", tool_calls=[("lookup", {"order": "C3"})]))
    chunks = [c async for c in anthropic_backend.stream(ask(tools=(LOOKUP,)))]
    assert [c.text for c in chunks if c.text] == ["one", " two"]
    last = chunks[-1]
    assert last.finish_reason == "tool_calls" and [c.arguments for c in last.tool_calls] == [{"order": "C3"}]
    assert last.usage is not None and last.usage.input_tokens == 1

    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    chunks = [c async for c in anthropic_backend.stream(ask(response_schema=schema))]
    assert json.loads("".join(c.text for c in chunks)) == {"n": 1}


FAULTS = [
    (dict(kind="status", status=429, headers={"retry-after": "3"}), RateLimited),
    (dict(kind="status", status=500), ServerError),
    (dict(kind="status", status=529), ServerError),
    (dict(kind="status", status=401), AuthError),
    (dict(kind="status", status=400), BadRequest),
    (dict(kind="status", status=413), ContextWindowExceeded),
    (dict(kind="status", status=400, body={"type": "error", "error": {
        "type": "invalid_request_error", "message": "x", "details": {"error_code": "prompt_too_long"}}}),
     ContextWindowExceeded),
    (dict(kind="timeout", delay=3.0), Timeout),
    (dict(kind="truncated"), ServerError),
    (dict(kind="invalid_json"), ServerError),
]


@pytest.mark.parametrize(("fault", "expected"), FAULTS, ids=lambda v: v.get("kind", "") + str(v.get("status", ""))
                         if isinstance(v, dict) else v.__name__)
async def test_errors_map_by_class_status_and_code(server: LoopbackServer, fault: dict[str, object],
                                                  expected: type[BackendError]) -> None:
    backend = AnthropicBackend("claude-test", api_key="k", base_url=server.url, timeout=1.5)
    server.fail(**fault)  # type: ignore[arg-type]
    try:
        with pytest.raises(expected) as info:
            await backend.complete(ask())
    finally:
        await backend.aclose()
    assert type(info.value) is expected
    assert len(server.requests) == 1, "the SDK must not retry on its own"
    if expected is RateLimited:
        assert info.value.retry_after == 3.0  # type: ignore[attr-defined]


async def test_stream_cut_short_is_a_server_error(server: LoopbackServer, anthropic_backend: AnthropicBackend) -> None:
    server.fail("stream_cut")
    with pytest.raises(ServerError, match="stream ended"):
        _ = [c async for c in anthropic_backend.stream(ask("a b c d e f"))]


async def test_spec_from_environment(server: LoopbackServer) -> None:
    backend = build_backend("anthropic:claude-env?max_tokens=77",
                            environ={"ANTHROPIC_API_KEY": "sk-ant-env", "ANTHROPIC_BASE_URL": server.url})
    assert isinstance(backend, AnthropicBackend)
    try:
        await backend.complete(ask())
    finally:
        await backend.aclose()
    assert server.bodies()[0]["max_tokens"] == 77 and server.bodies()[0]["model"] == "claude-env"
    with pytest.raises(UserError, match=r"\$ANTHROPIC_API_KEY is not set"):
        from_spec("claude-x", {}, {})
