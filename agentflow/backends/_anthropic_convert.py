"""Translate between agentflow's neutral types and the Anthropic messages wire format.

Anthropic differs from OpenAI in ways this module absorbs: the system prompt is a separate field,
tool results are ``tool_result`` blocks inside a *user* message, consecutive same-role messages must
be merged, ``max_tokens`` is required, and sampling parameters go through ``extra_body`` in SDK 2.x.
Structured output uses *tool mode*: the schema becomes a forced tool whose input is the answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from agentflow.backends._openai_convert import parse_arguments, wire_names
from agentflow.backends._wire_names import WireNames
from agentflow.backends.base import ChatRequest, ChatResponse, StreamChunk, ToolCall
from agentflow.errors import ServerError
from agentflow.messages import Usage

__all__ = ["CONVERSATION_START", "AnthropicStream", "request_kwargs", "response_from_dict"]

CONVERSATION_START = "[conversation start]"
"""The user turn put before a conversation that opens with the assistant (Anthropic needs a user first)."""

_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "tool_use": "tool_calls", "max_tokens": "length"}


def _blocks(request: ChatRequest, names: WireNames) -> tuple[str, list[dict[str, Any]]]:
    system: list[str] = []
    out: list[dict[str, Any]] = []

    def add(role: str, blocks: list[dict[str, Any]]) -> None:
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})

    for message in request.messages:
        if message.role == "system":
            system.append(message.content)
        elif message.role == "tool":
            result = {"type": "tool_result", "tool_use_id": message.tool_call_id or "", "content": message.content}
            add("user", [result])
        elif message.role == "assistant":
            blocks: list[dict[str, Any]] = [{"type": "text", "text": message.content}] if message.content else []
            blocks += [{"type": "tool_use", "id": c.id, "name": names.wire(c.name), "input": c.arguments}
                       for c in message.tool_calls]
            if blocks:  # Anthropic rejects empty text blocks; an empty turn carries nothing anyway
                add("assistant", blocks)
        elif message.content:
            add("user", [{"type": "text", "text": message.content}])
    if out and out[0]["role"] == "assistant":
        # Anthropic wants a user turn first; an agent that greets first still needs one
        out.insert(0, {"role": "user", "content": [{"type": "text", "text": CONVERSATION_START}]})
    return "\n\n".join(s for s in system if s), out


def _tool_choice(choice: str, names: WireNames) -> dict[str, Any]:
    if choice == "auto":
        return {"type": "auto"}
    if choice == "required":
        return {"type": "any"}
    if choice == "none":
        return {"type": "none"}
    return {"type": "tool", "name": names.wire(choice)}


def request_kwargs(
    request: ChatRequest, model: str, *, default_max_tokens: int, stream: bool = False
) -> dict[str, Any]:
    """Keyword arguments for ``client.messages.create``."""
    names = wire_names(request)
    system, messages = _blocks(request, names)
    kwargs: dict[str, Any] = {
        "model": request.model or model,
        "messages": messages,
        "max_tokens": request.max_tokens or default_max_tokens,
    }
    if system:
        kwargs["system"] = system
    tools = [{"name": names.wire(t.name), "description": t.description, "input_schema": t.parameters}
             for t in request.tools]
    if request.response_schema is not None:
        # tool mode: the strongest structured-output mechanism Anthropic offers across models
        schema_tool = names.wire(request.response_schema_name)
        tools.append({"name": schema_tool, "description": "Return the answer in this structure.",
                      "input_schema": request.response_schema})
        kwargs["tool_choice"] = {"type": "tool", "name": schema_tool}
    elif tools:
        kwargs["tool_choice"] = _tool_choice(request.tool_choice, names)
    if tools:
        kwargs["tools"] = tools
    if request.stop:
        kwargs["stop_sequences"] = list(request.stop)
    extra: dict[str, Any] = {}
    if request.temperature is not None:
        extra["temperature"] = request.temperature
    if extra:
        kwargs["extra_body"] = extra
    if stream:
        kwargs["stream"] = True
    return kwargs


def _usage(usage: dict[str, Any] | None) -> Usage:
    usage = usage or {}
    return Usage(
        input_tokens=int(usage.get("input_tokens") or 0),
        output_tokens=int(usage.get("output_tokens") or 0),
        cached_tokens=int(usage.get("cache_read_input_tokens") or 0),
        calls=1,
    )


def response_from_dict(data: dict[str, Any], *, request: ChatRequest, fallback_model: str) -> ChatResponse:
    """An Anthropic ``message`` (as a dict) -> :class:`ChatResponse` (tool-mode answers become text)."""
    texts: list[str] = []
    calls: list[ToolCall] = []
    names = wire_names(request)
    schema_tool = names.wire(request.response_schema_name) if request.response_schema is not None else None
    for block in data.get("content") or []:
        if block.get("type") == "text":
            texts.append(block.get("text") or "")
        elif block.get("type") == "tool_use":
            if block.get("name") == schema_tool:
                texts.append(json.dumps(block.get("input") or {}, ensure_ascii=False))
            else:
                calls.append(ToolCall(id=block.get("id") or "", name=names.local(block["name"]),
                                      arguments=block.get("input") or {}))
    stop = data.get("stop_reason") or "end_turn"
    finish = "stop" if schema_tool and stop == "tool_use" else _FINISH.get(stop, stop)
    if schema_tool:
        texts = texts[-1:]  # the structured answer, not any preamble the model wrote
    return ChatResponse(text="".join(texts), tool_calls=tuple(calls), usage=_usage(data.get("usage")),
                        model=data.get("model") or fallback_model, finish_reason=finish)


@dataclass
class _Block:
    kind: str
    id: str = ""
    name: str = ""
    text: str = ""


@dataclass
class AnthropicStream:
    """Folds raw stream events into :class:`StreamChunk` values (text as it comes, the rest at the end)."""

    request: ChatRequest
    model: str
    blocks: dict[int, _Block] = field(default_factory=dict)
    input_tokens: int = 0
    output_tokens: int = 0
    stop_reason: str | None = None
    stopped: bool = False

    @property
    def _schema_tool(self) -> str | None:
        if self.request.response_schema is None:
            return None
        return wire_names(self.request).wire(self.request.response_schema_name)

    def feed(self, event: dict[str, Any]) -> StreamChunk | None:
        """Take one event; return a text piece to emit, if any."""
        kind = event.get("type")
        if kind == "message_start":
            usage = (event.get("message") or {}).get("usage") or {}
            self.input_tokens = int(usage.get("input_tokens") or 0)
        elif kind == "content_block_start":
            block = event.get("content_block") or {}
            self.blocks[int(event.get("index") or 0)] = _Block(
                kind=block.get("type", "text"), id=block.get("id") or "", name=block.get("name") or "",
                text=block.get("text") or "")
        elif kind == "content_block_delta":
            delta = event.get("delta") or {}
            block = self.blocks.setdefault(int(event.get("index") or 0), _Block(kind="text"))
            piece = delta.get("text") or delta.get("partial_json") or ""
            block.text += piece
            if delta.get("type") == "text_delta" and piece and not self._schema_tool:
                return StreamChunk(text=piece)
        elif kind == "message_delta":
            self.stop_reason = (event.get("delta") or {}).get("stop_reason") or self.stop_reason
            self.output_tokens = int((event.get("usage") or {}).get("output_tokens") or self.output_tokens)
        elif kind == "message_stop":
            self.stopped = True
        return None

    def finish(self) -> StreamChunk:
        """The last chunk. Raises :class:`ServerError` when the stream stopped early."""
        if not self.stopped or self.stop_reason is None:
            raise ServerError("stream ended before the model finished", provider=self.model)
        content: list[dict[str, Any]] = []
        for _, block in sorted(self.blocks.items()):
            if block.kind == "tool_use":
                content.append({"type": "tool_use", "id": block.id, "name": block.name,
                                "input": parse_arguments(block.text)})
            else:
                content.append({"type": "text", "text": block.text})
        data = {"content": content, "stop_reason": self.stop_reason,
                "usage": {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens}}
        response = response_from_dict(data, request=self.request, fallback_model=self.model)
        # text was already streamed, except in tool mode where the JSON arrives only now
        text = response.text if self._schema_tool else ""
        return StreamChunk(text=text, tool_calls=response.tool_calls, usage=response.usage,
                           finish_reason=response.finish_reason)
