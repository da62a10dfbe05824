from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentflow.backends.base import ChatMessage, ChatRequest, ChatResponse, ToolDef
from agentflow.errors import UserError
from agentflow.messages import Verdict
from agentflow.testing import FunctionBackend, SchemaBackend, ScriptedBackend, ScriptError, load_script, synthesize


def _req(text: str = "hi", **kw: object) -> ChatRequest:
    return ChatRequest(messages=(ChatMessage(role="user", content=text),), **kw)  # type: ignore[arg-type]


async def test_schema_backend_output_validates() -> None:
    resp = await SchemaBackend().complete(_req(response_schema=Verdict.model_json_schema()))
    verdict = Verdict.model_validate_json(resp.text)
    assert verdict.ok is True and verdict.kind == "verdict"


async def test_schema_backend_calls_next_uncalled_tool() -> None:
    tools = (
        ToolDef(name="a", parameters={"type": "object", "properties": {"x": {"type": "integer", "minimum": 3}}}),
        ToolDef(name="b", parameters={"type": "object", "properties": {"y": {"enum": ["p", "q"]}}}),
    )
    first = await SchemaBackend().complete(_req(tools=tools))
    assert first.tool_calls[0].name == "a" and first.tool_calls[0].arguments == {"x": 3}
    history = (
        ChatMessage(role="user", content="go"),
        ChatMessage(role="assistant", tool_calls=first.tool_calls),
        ChatMessage(role="tool", content="{}", tool_call_id=first.tool_calls[0].id),
    )
    second = await SchemaBackend().complete(ChatRequest(messages=history, tools=tools))
    assert second.tool_calls[0].name == "b" and second.tool_calls[0].arguments == {"y": "p"}
    third = await SchemaBackend().complete(ChatRequest(messages=history, tools=tools, tool_choice="none"))
    assert third.text and not third.tool_calls


def test_synthesize_handles_refs_and_unions() -> None:
    schema = {
        "type": "object",
        "properties": {"v": {"$ref": "#/$defs/V"}, "n": {"anyOf": [{"type": "null"}, {"type": "number"}]}},
        "$defs": {"V": {"type": "array", "items": {"const": 7}, "minItems": 2}},
    }
    assert synthesize(schema) == {"v": [7, 7], "n": 1.0}


async def test_function_backend_sync_async_and_dict() -> None:
    async def fn(req: ChatRequest) -> dict[str, object]:
        return {"echo": req.messages[-1].content}

    backend = FunctionBackend(fn)
    resp = await backend.complete(_req("ping"))
    assert json.loads(resp.text) == {"echo": "ping"} and len(backend.requests) == 1
    assert (await FunctionBackend(lambda r: "plain").complete(_req())).text == "plain"
    fixed = ChatResponse(text="fixed")
    assert (await FunctionBackend(lambda r: fixed).complete(_req())) is fixed


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.yaml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_scripted_backend_in_order_and_loud(tmp_path: Path) -> None:
    script = "- say: Which flight?\n- call: checkAvailability\n  args: {plan_code: CA1234}\n- json: {ok: true}\n"
    path = _write(tmp_path, script)
    backend = ScriptedBackend(load_script(path), source=str(path))
    assert (await backend.complete(_req())).text == "Which flight?"
    call = (await backend.complete(_req())).tool_calls[0]
    assert (call.name, call.arguments) == ("checkAvailability", {"plan_code": "CA1234"})
    with pytest.raises(ScriptError, match="1 script step"):
        backend.check_consumed()
    assert json.loads((await backend.complete(_req())).text) == {"ok": True}
    backend.check_consumed()
    with pytest.raises(ScriptError, match="ran out after 3"):
        await backend.complete(_req("more?"))


async def test_scripted_backend_routes_unnamed_roles_to_fallback(tmp_path: Path) -> None:
    path = _write(tmp_path, "- say: hello\n")
    backend = ScriptedBackend(load_script(path), roles={"agent"}, fallback=SchemaBackend())
    judge = ChatRequest(messages=(ChatMessage(role="user", content="x"),), metadata={"role": "judge"},
                        response_schema=Verdict.model_json_schema())
    assert Verdict.model_validate_json((await backend.complete(judge)).text).ok
    agent = ChatRequest(messages=(ChatMessage(role="user", content="x"),), metadata={"role": "agent"})
    assert (await backend.complete(agent)).text == "hello"


async def test_scripted_step_for_wrong_role_is_an_error(tmp_path: Path) -> None:
    backend = ScriptedBackend(load_script(_write(tmp_path, "- role: judge\n  json: {ok: true}\n")))
    with pytest.raises(ScriptError, match="is for role 'judge'"):
        await backend.complete(ChatRequest(messages=(), metadata={"role": "critic"}))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("- say: a\n  call: b\n", "exactly one of"),
        ("say: not a list\n", "must be a YAML list"),
        ("- say: [unclosed\n", "invalid YAML"),
        ("- say: a\n  args: {x: 1}\n", "belongs to a `call`"),
    ],
)
def test_bad_scripts_are_user_errors(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(UserError, match=match) as info:
        load_script(_write(tmp_path, text))
    assert "agent.yaml" in info.value.render()
