"""Translate between agentflow's neutral types and the OpenAI chat-completions wire format.

Shared by the ``openai``, ``vllm+http`` and ``litellm`` backends (all speak this format). Pure data
translation: no SDK import here, so it is cheap to test and reuse. Error mapping lives in
:mod:`agentflow.backends._provider_errors` because it needs the SDK's exception classes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from agentflow.backends._wire_names import WireNames
from agentflow.backends.base import ChatRequest, ChatResponse, StreamChunk, ToolCall
from agentflow.errors import ServerError
from agentflow.messages import Usage

__all__ = [
    "StreamAccumulator",
    "StructuredMode",
    "parse_arguments",
    "request_kwargs",
    "response_from_dict",
    "strict_compatible",
    "usage_from_dict",
    "wire_names",
]

StructuredMode = Literal["json_schema", "structured_outputs", "guided_json"]
"""How a ``response_schema`` is sent: OpenAI ``response_format`` (also vLLM and most compatible
servers), vLLM >= 0.12 ``structured_outputs.json``, or the older vLLM ``guided_json``."""


def wire_names(request: ChatRequest) -> WireNames:
    """The tool-name map for a request: offered tools, tools called earlier, the schema name."""
    names = [t.name for t in request.tools] + [c.name for m in request.messages for c in m.tool_calls]
    return WireNames([*names, request.response_schema_name])


def _messages(request: ChatRequest, names: WireNames) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for message in request.messages:
        item: dict[str, Any] = {"role": message.role, "content": message.content}
        if message.role == "assistant" and message.tool_calls:
            item["content"] = message.content or None
            item["tool_calls"] = [
                {"id": c.id, "type": "function",
                 "function": {"name": names.wire(c.name), "arguments": json.dumps(c.arguments, ensure_ascii=False)}}
                for c in message.tool_calls
            ]
        if message.role == "tool":
            item["tool_call_id"] = message.tool_call_id or ""
        elif message.name:
            item["name"] = message.name
        out.append(item)
    return out


_STRICT_KEYWORDS = frozenset({
    "type", "properties", "required", "additionalProperties", "items", "enum", "const", "anyOf", "$ref", "$defs",
    "description", "title",
})


def strict_compatible(schema: Any, *, root: bool = True) -> bool:
    """Whether OpenAI's strict structured-output mode accepts ``schema`` as is.

    Strict mode guarantees the answer matches, but it accepts only closed objects whose every property
    is required, and a conservative keyword set; anything else is sent non-strict (still guided by the
    schema) rather than risking a 400. Pydantic models with ``extra="forbid"`` and no defaults qualify.
    """
    if isinstance(schema, list):
        return all(strict_compatible(s, root=False) for s in schema)
    if not isinstance(schema, dict):
        return True
    if not set(schema) <= _STRICT_KEYWORDS:
        return False
    if root and (schema.get("type") != "object" or "anyOf" in schema):
        return False
    if schema.get("type") == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        if schema.get("additionalProperties") is not False or set(schema.get("required") or []) != set(properties):
            return False
        if not all(strict_compatible(p, root=False) for p in properties.values()):
            return False
    children = [schema.get("items"), schema.get("anyOf"), *(schema.get("$defs") or {}).values()]
    return all(strict_compatible(c, root=False) for c in children if c is not None)


def _tool_choice(choice: str, names: WireNames) -> Any:
    if choice in ("auto", "required", "none"):
        return choice
    return {"type": "function", "function": {"name": names.wire(choice)}}


def request_kwargs(
    request: ChatRequest,
    model: str,
    *,
    structured: StructuredMode = "json_schema",
    token_param: str = "max_tokens",
    stream: bool = False,
) -> dict[str, Any]:
    """Keyword arguments for ``client.chat.completions.create`` (``extra_body`` for server extras)."""
    names = wire_names(request)
    kwargs: dict[str, Any] = {"model": request.model or model, "messages": _messages(request, names)}
    extra: dict[str, Any] = {}
    if request.tools:
        kwargs["tools"] = [
            {"type": "function",
             "function": {"name": names.wire(t.name), "description": t.description, "parameters": t.parameters}}
            for t in request.tools
        ]
        kwargs["tool_choice"] = _tool_choice(request.tool_choice, names)
    if request.response_schema is not None:
        if structured == "json_schema":
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": names.wire(request.response_schema_name), "schema": request.response_schema,
                                "strict": strict_compatible(request.response_schema)},
            }
        elif structured == "structured_outputs":
            extra["structured_outputs"] = {"json": request.response_schema}
        else:
            extra["guided_json"] = request.response_schema
    if request.temperature is not None:
        kwargs["temperature"] = request.temperature
    if request.max_tokens is not None:
        kwargs[token_param] = request.max_tokens
    if request.stop:
        kwargs["stop"] = list(request.stop)
    if request.seed is not None:
        kwargs["seed"] = request.seed
    if stream:
        kwargs["stream"] = True
        kwargs["stream_options"] = {"include_usage": True}
    if extra:
        kwargs["extra_body"] = extra
    return kwargs


def parse_arguments(raw: str | None) -> dict[str, Any]:
    """Tool-call arguments as a dict. Invalid JSON from the model is kept under ``_raw_arguments`` so
    the controller's argument check rejects it and the model is told why (it is model output, not a
    transport failure)."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return {"_raw_arguments": raw}
    return value if isinstance(value, dict) else {"_raw_arguments": raw}


def usage_from_dict(usage: dict[str, Any] | None) -> Usage:
    """OpenAI ``usage`` -> :class:`Usage` (one call)."""
    if not usage:
        return Usage(calls=1)
    details = usage.get("prompt_tokens_details") or {}
    return Usage(
        input_tokens=int(usage.get("prompt_tokens") or 0),
        output_tokens=int(usage.get("completion_tokens") or 0),
        cached_tokens=int(details.get("cached_tokens") or 0),
        calls=1,
    )


def response_from_dict(data: dict[str, Any], *, fallback_model: str, names: WireNames | None = None) -> ChatResponse:
    """A chat.completion (as a plain dict, e.g. ``model_dump()``) -> :class:`ChatResponse`.

    Raises:
        ServerError: the response has no choices (a broken or truncated answer).
    """
    choices = data.get("choices") or []
    if not choices:
        raise ServerError("response has no choices", provider=fallback_model)
    choice = choices[0]
    message = choice.get("message") or {}
    local = names.local if names is not None else str
    calls = tuple(
        ToolCall(id=c.get("id") or f"call_{i}", name=local(c["function"]["name"]),
                 arguments=parse_arguments(c["function"].get("arguments")))
        for i, c in enumerate(message.get("tool_calls") or [])
    )
    return ChatResponse(
        text=message.get("content") or "",
        tool_calls=calls,
        usage=usage_from_dict(data.get("usage")),
        model=data.get("model") or fallback_model,
        finish_reason=choice.get("finish_reason") or "stop",
    )


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: str = ""


@dataclass
class StreamAccumulator:
    """Folds chat.completion.chunk dicts into :class:`StreamChunk` values.

    Text is passed through as it arrives; tool calls arrive in fragments and are emitted whole on the
    final chunk together with usage and the finish reason.
    """

    model: str
    names: WireNames | None = None
    calls: dict[int, _PartialCall] = field(default_factory=dict)
    usage: Usage | None = None
    finish_reason: str | None = None

    def feed(self, chunk: dict[str, Any]) -> StreamChunk | None:
        """Take one chunk; return the text piece to emit, if any."""
        if chunk.get("usage"):
            self.usage = usage_from_dict(chunk["usage"])
        text = ""
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            text += delta.get("content") or ""
            for call in delta.get("tool_calls") or []:
                part = self.calls.setdefault(int(call.get("index") or 0), _PartialCall())
                function = call.get("function") or {}
                part.id = call.get("id") or part.id
                part.name = function.get("name") or part.name
                part.arguments += function.get("arguments") or ""
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        return StreamChunk(text=text) if text else None

    def finish(self) -> StreamChunk:
        """The last chunk. Raises :class:`ServerError` when the stream stopped before it finished."""
        if self.finish_reason is None:
            raise ServerError("stream ended before the model finished", provider=self.model)
        local = self.names.local if self.names is not None else str
        calls = tuple(
            ToolCall(id=p.id or f"call_{i}", name=local(p.name), arguments=parse_arguments(p.arguments))
            for i, p in sorted(self.calls.items())
        )
        return StreamChunk(tool_calls=calls, usage=self.usage or Usage(calls=1), finish_reason=self.finish_reason)
