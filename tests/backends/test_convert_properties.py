"""Property tests of the wire translations: any conversation keeps its content and the provider's rules."""

from __future__ import annotations

import json
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from agentflow.backends._anthropic_convert import CONVERSATION_START
from agentflow.backends._anthropic_convert import request_kwargs as anthropic_kwargs
from agentflow.backends._openai_convert import request_kwargs as openai_kwargs
from agentflow.backends.base import ChatMessage, ChatRequest, ToolCall

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)
_args = st.dictionaries(st.sampled_from(["a", "b", "city"]), st.integers() | _text, max_size=3)


@st.composite
def conversations(draw: st.DrawFn) -> ChatRequest:
    messages: list[ChatMessage] = []
    if draw(st.booleans()):
        messages.append(ChatMessage(role="system", content=draw(_text)))
    if draw(st.booleans()):
        messages.append(ChatMessage(role="assistant", content=draw(_text)))  # the agent greets first
    for turn in range(draw(st.integers(1, 6))):
        messages.append(ChatMessage(role="user", content=draw(_text)))
        if draw(st.booleans()):
            calls = tuple(ToolCall(id=f"c{turn}_{i}", name="tool", arguments=draw(_args))
                          for i in range(draw(st.integers(1, 2))))
            messages.append(ChatMessage(role="assistant", content=draw(st.sampled_from(["", "checking"])),
                                        tool_calls=calls))
            messages += [ChatMessage(role="tool", tool_call_id=c.id, content=draw(_text)) for c in calls]
        else:
            messages.append(ChatMessage(role="assistant", content=draw(st.sampled_from(["", "ok"]) | _text)))
    return ChatRequest(messages=tuple(messages))


@settings(max_examples=60, deadline=None)
@given(conversations())
def test_anthropic_turns_alternate_and_keep_every_piece(request: ChatRequest) -> None:
    kwargs = anthropic_kwargs(request, "m", default_max_tokens=16)
    roles = [m["role"] for m in kwargs["messages"]]
    assert all(a != b for a, b in pairwise(roles)), "Anthropic needs alternating turns"
    blocks = [b for m in kwargs["messages"] for b in m["content"]]
    assert not kwargs["messages"] or roles[0] == "user"
    texts = [b["text"] for b in blocks if b["type"] == "text" and b["text"] != CONVERSATION_START]
    expected_texts = [m.content for m in request.messages if m.role in ("user", "assistant") and m.content]
    assert texts == expected_texts
    results = [(b["tool_use_id"], b["content"]) for b in blocks if b["type"] == "tool_result"]
    assert results == [(m.tool_call_id, m.content) for m in request.messages if m.role == "tool"]
    uses = [(b["id"], b["input"]) for b in blocks if b["type"] == "tool_use"]
    assert uses == [(c.id, c.arguments) for m in request.messages for c in m.tool_calls]
    system = [m.content for m in request.messages if m.role == "system"]
    assert kwargs.get("system", "") == "\n\n".join(system)


@settings(max_examples=60, deadline=None)
@given(conversations())
def test_openai_messages_map_one_to_one(request: ChatRequest) -> None:
    sent = openai_kwargs(request, "m")["messages"]
    assert [m["role"] for m in sent] == [m.role for m in request.messages]
    for ours, theirs in zip(request.messages, sent, strict=True):
        if ours.tool_calls:
            assert [json.loads(c["function"]["arguments"]) for c in theirs["tool_calls"]] == [
                c.arguments for c in ours.tool_calls]
        else:
            assert theirs["content"] == ours.content
        if ours.role == "tool":
            assert theirs["tool_call_id"] == ours.tool_call_id


def test_strict_mode_only_for_schemas_openai_accepts_strictly() -> None:
    from pydantic import BaseModel, ConfigDict

    from agentflow.backends._openai_convert import strict_compatible

    class Closed(BaseModel):
        model_config = ConfigDict(extra="forbid")
        label: str
        tags: list[str]

    class WithDefault(BaseModel):
        model_config = ConfigDict(extra="forbid")
        label: str = "x"

    class Open(BaseModel):
        label: str

    class Nested(BaseModel):
        model_config = ConfigDict(extra="forbid")
        inner: Closed
        choice: int | None

    assert strict_compatible(Closed.model_json_schema())
    assert strict_compatible(Nested.model_json_schema())
    assert not strict_compatible(WithDefault.model_json_schema())  # optional field, and a default keyword
    assert not strict_compatible(Open.model_json_schema())  # additionalProperties not closed
    assert not strict_compatible({"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}},
                                  "required": ["n"], "additionalProperties": False})
    request = ChatRequest(messages=(ChatMessage(role="user", content="x"),), response_schema=Closed.model_json_schema())
    assert openai_kwargs(request, "m")["response_format"]["json_schema"]["strict"] is True
