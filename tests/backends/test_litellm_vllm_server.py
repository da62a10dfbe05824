"""LiteLLM (its ``openai/`` route) and the vLLM-server backend against the loopback server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from agentflow.backends.base import ToolDef
from agentflow.backends.litellm import LiteLLMBackend
from agentflow.backends.openai import OpenAIBackend
from agentflow.backends.vllm_server import parse_server_spec
from agentflow.errors import AuthError, RateLimited, ServerError, UserError
from agentflow.models import build_backend

from .conftest import ask
from .loopback import LoopbackServer, Reply

# LiteLLM 1.106 trips pydantic deprecation warnings inside its own stream handler (hidden by default
# outside tests); with warnings as errors they would abort its stream, so only they are ignored here.
litellm_warnings = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TOOL = ToolDef(name="add", parameters={"type": "object", "properties": {"a": {"type": "integer"}}})


@pytest.fixture
async def litellm_backend(server: LoopbackServer) -> AsyncIterator[LiteLLMBackend]:
    backend = build_backend(f"litellm:openai/gpt-lite?api_base={server.openai_base_url}&api_key_env=LITE_KEY&timeout=2",
                            environ={"LITE_KEY": "sk-lite"})
    yield backend
    await backend.aclose()


async def test_litellm_text_tools_and_structured(server: LoopbackServer, litellm_backend: LiteLLMBackend) -> None:
    response = await litellm_backend.complete(ask("hi there"))
    assert response.text == "echo: hi there" and response.usage.input_tokens == 2
    server.queue(Reply(tool_calls=[("add", {"a": 2})]))
    response = await litellm_backend.complete(ask(tools=(TOOL,)))
    assert [(c.name, c.arguments) for c in response.tool_calls] == [("add", {"a": 2})]
    schema = {"type": "object", "properties": {"a": {"type": "integer", "minimum": 5}}, "required": ["a"]}
    response = await litellm_backend.complete(ask(response_schema=schema))
    assert json.loads(response.text) == {"a": 5}
    bodies = server.bodies()
    assert bodies[0]["model"] == "gpt-lite" and bodies[1]["tools"][0]["function"]["name"] == "add"
    assert bodies[2]["response_format"]["json_schema"]["schema"] == schema
    assert server.requests[0].headers["authorization"] == "Bearer sk-lite"


@litellm_warnings
async def test_litellm_streaming(server: LoopbackServer, litellm_backend: LiteLLMBackend) -> None:
    server.queue(Reply(text="a b c"))
    chunks = [c async for c in litellm_backend.stream(ask())]
    assert "".join(c.text for c in chunks) == "a b c" and chunks[-1].finish_reason == "stop"


async def test_litellm_errors_map_and_litellm_does_not_retry(server: LoopbackServer,
                                                            litellm_backend: LiteLLMBackend) -> None:
    server.fail("status", status=429, headers={"retry-after": "4"})
    with pytest.raises(RateLimited) as info:
        await litellm_backend.complete(ask())
    assert info.value.retry_after == 4.0
    server.fail("status", status=500)
    with pytest.raises(ServerError):
        await litellm_backend.complete(ask())
    server.fail("status", status=401)
    with pytest.raises(AuthError):
        await litellm_backend.complete(ask())
    assert len(server.requests) == 3


def test_vllm_server_spec_parsing() -> None:
    assert parse_server_spec("//127.0.0.1:8000:Qwen/Qwen2.5-0.5B") == ("http://127.0.0.1:8000/v1", "Qwen/Qwen2.5-0.5B")
    assert parse_server_spec("//gpu.lan/v2:m?timeout=3", scheme="https") == ("https://gpu.lan/v2", "m?timeout=3")
    assert parse_server_spec("//[::1]:9:m") == ("http://[::1]:9/v1", "m")
    with pytest.raises(UserError, match="vllm\\+http://HOST:PORT:MODEL"):
        parse_server_spec("no-slashes")


async def test_vllm_server_uses_guided_decoding(server: LoopbackServer) -> None:
    port = server.url.rsplit(":", 1)[1]
    schema = {"type": "object", "properties": {"label": {"enum": ["pos", "neg"]}}, "required": ["label"]}
    backend = build_backend(f"vllm+http://127.0.0.1:{port}:tiny-model", environ={})
    older = build_backend(f"vllm+http://127.0.0.1:{port}/v1:tiny-model?structured=guided_json", environ={})
    assert isinstance(backend, OpenAIBackend) and backend.name == "vllm:tiny-model"
    try:
        assert json.loads((await backend.complete(ask(response_schema=schema, max_tokens=9))).text) == {"label": "pos"}
        assert json.loads((await older.complete(ask(response_schema=schema))).text) == {"label": "pos"}
    finally:
        await backend.aclose()
        await older.aclose()
    new_body, old_body = server.bodies()
    assert new_body["structured_outputs"] == {"json": schema} and "response_format" not in new_body
    assert new_body["max_tokens"] == 9
    assert old_body["guided_json"] == schema
    assert server.requests[0].headers["authorization"] == "Bearer EMPTY"
    https = build_backend("vllm+https://h.example:443:m", environ={})
    assert isinstance(https, OpenAIBackend) and https.base_url == "https://h.example:443/v1"
