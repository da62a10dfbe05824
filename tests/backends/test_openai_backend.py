"""The real ``openai`` SDK against the loopback server: translation both ways, streaming, errors."""

from __future__ import annotations

import json

import pytest

from agentflow.backends.base import ChatMessage, ChatRequest, ToolCall, ToolDef
from agentflow.backends.openai import OpenAIBackend, from_spec
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

WEATHER = ToolDef(name="weather", description="Weather for a city",
                  parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})


async def test_text_answer_usage_and_request_shape(server: LoopbackServer, openai_backend: OpenAIBackend) -> None:
    request = ChatRequest(
        messages=(ChatMessage(role="system", content="be brief"), ChatMessage(role="user", content="hello there")),
        temperature=0.1, max_tokens=20, stop=("END",), seed=7,
    )
    response = await openai_backend.complete(request)
    assert response.text == "echo: hello there"
    assert response.finish_reason == "stop"
    assert (response.usage.input_tokens, response.usage.output_tokens, response.usage.calls) == (4, 3, 1)
    body = server.bodies()[0]
    assert body["messages"] == [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello there"}]
    assert (body["temperature"], body["max_tokens"], body["stop"], body["seed"]) == (0.1, 20, ["END"], 7)
    assert server.requests[0].headers["authorization"] == "Bearer sk-test"


async def test_tool_definitions_calls_and_results_round_trip(server: LoopbackServer,
                                                             openai_backend: OpenAIBackend) -> None:
    server.queue(Reply(tool_calls=[("weather", {"city": "Oslo"})]))
    first = await openai_backend.complete(ask("weather in Oslo?", tools=(WEATHER,), tool_choice="weather"))
    assert first.finish_reason == "tool_calls"
    assert [(c.name, c.arguments) for c in first.tool_calls] == [("weather", {"city": "Oslo"})]
    sent = server.bodies()[0]
    assert sent["tools"][0]["function"]["name"] == "weather"
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "weather"}}

    call = first.tool_calls[0]
    follow = ChatRequest(messages=(
        ChatMessage(role="user", content="weather in Oslo?"),
        ChatMessage(role="assistant", tool_calls=(call,)),
        ChatMessage(role="tool", tool_call_id=call.id, content='{"temp": 3}'),
    ), tools=(WEATHER,))
    second = await openai_backend.complete(follow)
    assert second.text.startswith("echo:")
    messages = server.bodies()[1]["messages"]
    assert messages[1]["tool_calls"][0] == {"id": call.id, "type": "function",
                                            "function": {"name": "weather", "arguments": '{"city": "Oslo"}'}}
    assert messages[2] == {"role": "tool", "content": '{"temp": 3}', "tool_call_id": call.id}


async def test_invalid_tool_arguments_are_kept_for_the_controller(server: LoopbackServer,
                                                                 openai_backend: OpenAIBackend) -> None:
    def responder(route: str, body: dict[str, object]) -> Reply:
        return Reply(tool_calls=[("weather", {})])

    server.responder = responder
    response = await openai_backend.complete(ask(tools=(WEATHER,)))
    assert response.tool_calls[0].arguments == {}


async def test_structured_output_uses_json_schema_response_format(server: LoopbackServer,
                                                                  openai_backend: OpenAIBackend) -> None:
    schema = {"type": "object", "properties": {"score": {"type": "integer", "minimum": 3}}, "required": ["score"]}
    response = await openai_backend.complete(ask(response_schema=schema, response_schema_name="Grade"))
    assert json.loads(response.text) == {"score": 3}
    fmt = server.bodies()[0]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "Grade"
    assert fmt["json_schema"]["schema"] == schema


async def test_streaming_text_then_tool_calls_and_usage(server: LoopbackServer, openai_backend: OpenAIBackend) -> None:
    server.queue(Reply(text="let me check", tool_calls=[("weather", {"city": "Rome"})]))
    chunks = [c async for c in openai_backend.stream(ask(tools=(WEATHER,)))]
    assert "".join(c.text for c in chunks) == "let me check"
    assert len([c for c in chunks if c.text]) == 3  # one per word: it really streamed
    last = chunks[-1]
    assert last.finish_reason == "tool_calls" and last.usage is not None and last.usage.output_tokens > 0
    assert [(c.name, c.arguments) for c in last.tool_calls] == [("weather", {"city": "Rome"})]
    assert server.bodies()[0]["stream_options"] == {"include_usage": True}


FAULTS = [
    (dict(kind="status", status=429, headers={"retry-after": "7"}), RateLimited),
    (dict(kind="status", status=500), ServerError),
    (dict(kind="status", status=503), ServerError),
    (dict(kind="status", status=401), AuthError),
    (dict(kind="status", status=403), AuthError),
    (dict(kind="status", status=400), BadRequest),
    (dict(kind="status", status=400, body={"error": {"message": "too long", "type": "invalid_request_error",
                                                     "code": "context_length_exceeded"}}), ContextWindowExceeded),
    (dict(kind="timeout", delay=3.0), Timeout),
    (dict(kind="truncated"), ServerError),
    (dict(kind="invalid_json"), ServerError),
]


@pytest.mark.parametrize(("fault", "expected"), FAULTS, ids=lambda v: v.get("kind", "") + str(v.get("status", ""))
                         if isinstance(v, dict) else v.__name__)
async def test_errors_map_by_class_and_the_sdk_does_not_retry(server: LoopbackServer, fault: dict[str, object],
                                                             expected: type[BackendError]) -> None:
    backend = OpenAIBackend("gpt-test", api_key="k", base_url=server.openai_base_url, timeout=1.5)
    server.fail(**fault)  # type: ignore[arg-type]
    try:
        with pytest.raises(expected) as info:
            await backend.complete(ask())
    finally:
        await backend.aclose()
    assert type(info.value) is expected
    assert len(server.requests) == 1, "the SDK must not retry on its own (max_retries=0)"
    if expected is RateLimited:
        assert info.value.retry_after == 7.0  # type: ignore[attr-defined]


async def test_a_stream_cut_short_is_a_server_error(server: LoopbackServer, openai_backend: OpenAIBackend) -> None:
    server.fail("stream_cut")
    with pytest.raises(ServerError, match="stream ended"):
        _ = [c async for c in openai_backend.stream(ask("one two three four five six"))]


async def test_spec_reads_base_url_and_key_from_the_environment(server: LoopbackServer) -> None:
    backend = build_backend("openai:gpt-env?timeout=5",
                            environ={"OPENAI_API_KEY": "sk-env", "OPENAI_BASE_URL": server.openai_base_url})
    assert isinstance(backend, OpenAIBackend) and backend.name == "openai:gpt-env"
    try:
        assert (await backend.complete(ask("x"))).text == "echo: x"
    finally:
        await backend.aclose()
    assert server.bodies()[0]["model"] == "gpt-env"
    assert server.requests[0].headers["authorization"] == "Bearer sk-env"


def test_spec_errors_are_one_line_user_errors() -> None:
    with pytest.raises(UserError, match=r"\$OPENAI_API_KEY is not set"):
        from_spec("gpt-4o", {}, {})
    with pytest.raises(UserError, match="unknown option 'colour'"):
        from_spec("gpt-4o", {"colour": "red"}, {"OPENAI_API_KEY": "k"})
    with pytest.raises(UserError, match="is not a number"):
        from_spec("gpt-4o", {"timeout": "soon"}, {"OPENAI_API_KEY": "k"})
    assert from_spec("m", {"base_url": "http://127.0.0.1:1/v1"}, {}).base_url == "http://127.0.0.1:1/v1"


async def test_assistant_text_with_tool_calls_is_sent_as_both(server: LoopbackServer,
                                                             openai_backend: OpenAIBackend) -> None:
    call = ToolCall(id="c1", name="weather", arguments={"city": "Paris"})
    await openai_backend.complete(ChatRequest(messages=(
        ChatMessage(role="user", content="hi"),
        ChatMessage(role="assistant", content="checking", tool_calls=(call,)),
        ChatMessage(role="tool", tool_call_id="c1", content="sunny"),
    )))
    sent = server.bodies()[0]["messages"][1]
    assert sent["content"] == "checking" and sent["tool_calls"][0]["id"] == "c1"
