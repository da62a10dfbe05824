"""Chat requests to template messages and back: tools, tool results, schemas, parsing."""

from __future__ import annotations

import json

import pytest

from agentflow.backends._chat_format import extract_json, output_schema, parse_output, template_messages
from agentflow.backends.base import ChatMessage, ChatRequest, ToolCall, ToolDef

WEATHER = ToolDef(
    name="get_weather",
    description="Weather for a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
TIME = ToolDef(name="get_time", description="The time.", parameters={"type": "object", "properties": {}})


def _req(**kw: object) -> ChatRequest:
    messages = (ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="Hi"))
    return ChatRequest(messages=messages, **kw)  # type: ignore[arg-type]


def test_plain_request_keeps_its_turns() -> None:
    assert template_messages(_req()) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]
    assert output_schema(_req()) is None


def test_tools_are_described_in_the_system_message() -> None:
    system = template_messages(_req(tools=(WEATHER,)))[0]["content"]
    assert system.startswith("Be brief.")
    assert "get_weather: Weather for a city." in system
    assert '"city"' in system and '{"content": TEXT}' in system and "your reply" not in system


def test_tool_calls_and_results_are_folded_into_ordinary_turns() -> None:
    call = ToolCall(id="c1", name="get_weather", arguments={"city": "Paris"})
    request = ChatRequest(
        messages=(
            ChatMessage(role="user", content="Weather?"),
            ChatMessage(role="assistant", tool_calls=(call,)),
            ChatMessage(role="tool", content='{"temp": 21}', tool_call_id="c1", name="get_weather"),
        )
    )
    turns = template_messages(request)
    assert json.loads(turns[1]["content"]) == {"name": "get_weather", "arguments": {"city": "Paris"}}
    assert turns[2] == {"role": "user", "content": '[tool result get_weather] {"temp": 21}'}


def test_output_schema_by_tool_choice() -> None:
    auto = output_schema(_req(tools=(WEATHER, TIME)))
    assert auto is not None and len(auto["anyOf"]) == 3
    assert auto["anyOf"][2]["required"] == ["content"]
    required = output_schema(_req(tools=(WEATHER, TIME), tool_choice="required"))
    assert required is not None and [o["properties"]["name"]["const"] for o in required["anyOf"]] == [
        "get_weather",
        "get_time",
    ]
    named = output_schema(_req(tools=(WEATHER, TIME), tool_choice="get_time"))
    assert named is not None and named["properties"]["name"] == {"const": "get_time"}
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
    assert output_schema(_req(tools=(WEATHER,), tool_choice="none", response_schema=schema)) == schema
    assert "get_weather" not in template_messages(_req(tools=(WEATHER,), tool_choice="none"))[0]["content"]


def test_structured_output_is_described_in_the_prompt() -> None:
    schema = {"type": "object", "properties": {"verdict": {"enum": ["accept", "reject"]}}}
    system = template_messages(_req(response_schema=schema))[0]["content"]
    assert "JSON Schema" in system and '"accept"' in system


def test_parse_output_reads_tool_calls_replies_and_leaves_other_text_alone() -> None:
    request = _req(tools=(WEATHER,))
    text, calls = parse_output(request, '{"name": "get_weather", "arguments": {"city": "Oslo"}}')
    assert text == "" and len(calls) == 1
    assert calls[0].name == "get_weather" and calls[0].arguments == {"city": "Oslo"} and calls[0].id
    assert parse_output(request, '{"content": "Hello!"}') == ("Hello!", ())
    assert parse_output(request, "not json at all") == ("not json at all", ())
    assert parse_output(request, '{"name": "unknown_tool", "arguments": {}}')[1] == ()
    assert parse_output(_req(), '{"name": "get_weather"}') == ('{"name": "get_weather"}', ())


def test_extract_json_finds_the_first_value() -> None:
    assert extract_json('  {"a": 1} ') == {"a": 1}
    assert extract_json('Sure! Here it is: {"a": [1, 2]} hope it helps') == {"a": [1, 2]}
    with pytest.raises(ValueError, match="no JSON"):
        extract_json("no json {here")
