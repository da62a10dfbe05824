"""Fixtures: a loopback server per test and provider backends pointed at it (closed after the test)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from agentflow.backends.anthropic import AnthropicBackend
from agentflow.backends.base import ChatMessage, ChatRequest
from agentflow.backends.openai import OpenAIBackend

from .loopback import LoopbackServer


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture
async def openai_backend(server: LoopbackServer) -> AsyncIterator[OpenAIBackend]:
    backend = OpenAIBackend("gpt-test", api_key="sk-test", base_url=server.openai_base_url, timeout=2.0,
                            token_param="max_tokens")
    yield backend
    await backend.aclose()


@pytest.fixture
async def anthropic_backend(server: LoopbackServer) -> AsyncIterator[AnthropicBackend]:
    backend = AnthropicBackend("claude-test", api_key="sk-ant-test", base_url=server.url, timeout=2.0)
    yield backend
    await backend.aclose()


def ask(text: str = "hello", **kw: Any) -> ChatRequest:
    """A one-user-message request."""
    return ChatRequest(messages=(ChatMessage(role="user", content=text),), **kw)
