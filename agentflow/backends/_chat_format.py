"""Neutral chat requests to and from the plain text a local model reads and writes.

Hosted APIs take tools and JSON schemas as request fields; a local model (HF transformers or
in-process vLLM) only sees text rendered through its chat template. This module is that translation,
shared by both local backends:

- :func:`template_messages` turns a :class:`ChatRequest` into the ``[{role, content}]`` list a chat
  template accepts, describing tools and the expected JSON shape in the system message and folding
  tool calls and tool results into ordinary turns (small models' templates rarely know ``tool``).
- :func:`output_schema` is the JSON Schema the answer must follow (a tool call, a reply, or the
  requested structured output), which the backends enforce by constrained decoding.
- :func:`parse_output` turns the generated text back into text and :class:`ToolCall` objects.
"""

from __future__ import annotations

import json
from typing import Any

from agentflow._ids import new_id
from agentflow.backends.base import ChatMessage, ChatRequest, ToolCall, ToolDef

__all__ = ["decodable", "extract_json", "output_schema", "parse_output", "template_messages", "uses_tools"]


def uses_tools(request: ChatRequest) -> bool:
    """Whether the model may (or must) call a tool in this request."""
    return bool(request.tools) and request.tool_choice != "none"


def _offered_tools(request: ChatRequest) -> tuple[ToolDef, ...]:
    if request.tool_choice in ("auto", "required", "none"):
        return request.tools
    return tuple(t for t in request.tools if t.name == request.tool_choice) or request.tools


def output_schema(request: ChatRequest) -> dict[str, Any] | None:
    """The JSON Schema the answer must match, or ``None`` for free text.

    With tools: each tool is ``{"name": CONST, "arguments": PARAMETERS}``; ``tool_choice="auto"`` adds
    ``{"content": STRING}`` for a plain reply. Without tools: the request's ``response_schema``.
    """
    if uses_tools(request):
        options: list[dict[str, Any]] = [
            {
                "type": "object",
                "properties": {"name": {"const": tool.name}, "arguments": tool.parameters},
                "required": ["name", "arguments"],
                "additionalProperties": False,
            }
            for tool in _offered_tools(request)
        ]
        if request.tool_choice == "auto":
            options.append(
                {
                    "type": "object",
                    "properties": {"content": {"type": "string"}},
                    "required": ["content"],
                    "additionalProperties": False,
                }
            )
        return options[0] if len(options) == 1 else {"anyOf": options}
    return decodable(request.response_schema) if request.response_schema is not None else None


def _is_open(schema: Any) -> bool:
    """A schema that admits any JSON object or value (``{}``, ``dict[str, Any]``): no fixed shape."""
    if not isinstance(schema, dict):
        return False
    if not schema or set(schema) <= {"title", "description", "default"}:
        return True
    return schema.get("type") == "object" and not schema.get("properties") and \
        schema.get("additionalProperties", True) not in (False,) and not isinstance(
            schema.get("additionalProperties"), dict)


def decodable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` minus its *optional* open-ended properties (``data: dict[str, Any] = {}``), recursively.

    Under constrained decoding an open object has no end a weak model must reach: SmolLM2 nests
    inside ``Answer.data`` until the token limit cuts the JSON. Leaving such optional fields out of
    the grammar keeps every output valid for the original schema (the field takes its default).
    """
    out = dict(schema)
    props = schema.get("properties")
    if isinstance(props, dict):
        required = set(schema.get("required", ()))
        out["properties"] = {name: decodable(sub) if isinstance(sub, dict) else sub for name, sub in props.items()
                             if name in required or not _is_open(sub)}
    for key in ("$defs", "definitions"):
        if isinstance(schema.get(key), dict):
            out[key] = {name: decodable(sub) for name, sub in schema[key].items()}
    if isinstance(schema.get("items"), dict):
        out["items"] = decodable(schema["items"])
    return out


def _system_addendum(request: ChatRequest) -> str:
    if uses_tools(request):
        lines = ["You can call these tools:"]
        for tool in _offered_tools(request):
            params = json.dumps(tool.parameters, ensure_ascii=False, sort_keys=True)
            lines.append(f"- {tool.name}: {tool.description} Arguments (JSON Schema): {params}")
        lines.append('To call a tool, answer only {"name": TOOL, "arguments": {...}}.')
        if request.tool_choice == "auto":
            # no sample text to copy: SmolLM2 answered a literal "your reply" to a placeholder string
            lines.append('To reply to the user without a tool, answer only {"content": TEXT}, where TEXT is your '
                         'message as a JSON string.')
        return "\n".join(lines)
    if request.response_schema is not None:
        schema = json.dumps(decodable(request.response_schema), ensure_ascii=False, sort_keys=True)
        return f"Answer only with a JSON object matching this JSON Schema: {schema}"
    return ""


def _turn(message: ChatMessage) -> dict[str, str]:
    if message.role == "tool":
        label = f" {message.name}" if message.name else ""
        return {"role": "user", "content": f"[tool result{label}] {message.content}"}
    if message.role == "assistant" and message.tool_calls:
        calls = [{"name": c.name, "arguments": c.arguments} for c in message.tool_calls]
        body = json.dumps(calls[0] if len(calls) == 1 else calls, ensure_ascii=False)
        return {"role": "assistant", "content": body}
    return {"role": message.role, "content": message.content}


def template_messages(request: ChatRequest) -> list[dict[str, str]]:
    """The request as chat-template messages (one system message first, when there is one)."""
    system = [m.content for m in request.messages if m.role == "system"]
    addendum = _system_addendum(request)
    if addendum:
        system.append(addendum)
    turns = [_turn(m) for m in request.messages if m.role != "system"]
    if system:
        turns.insert(0, {"role": "system", "content": "\n\n".join(system)})
    return turns


def extract_json(text: str) -> Any:
    """The first JSON value in ``text`` (the whole text, or the first ``{...}``/``[...]`` in it).

    Raises:
        ValueError: no JSON value could be read.
    """
    stripped = text.strip()
    try:
        return json.loads(stripped)
    except json.JSONDecodeError:
        pass
    decoder = json.JSONDecoder()
    for i, ch in enumerate(stripped):
        if ch in "{[":
            try:
                value, _ = decoder.raw_decode(stripped[i:])
            except json.JSONDecodeError:
                continue
            return value
    raise ValueError("no JSON value in the model's answer")


def _as_call(value: Any, names: set[str]) -> ToolCall | None:
    if isinstance(value, dict) and value.get("name") in names:
        args = value.get("arguments", {})
        arguments = args if isinstance(args, dict) else {}
        return ToolCall(id=f"call_{new_id()}", name=str(value["name"]), arguments=arguments)
    return None


def parse_output(request: ChatRequest, text: str) -> tuple[str, tuple[ToolCall, ...]]:
    """The generated text as ``(reply text, tool calls)``.

    Structured output is returned as text (the JSON the model wrote); tool-call JSON becomes
    :class:`ToolCall` objects, and ``{"content": ...}`` becomes the reply text. Text that is not the
    expected JSON is returned unchanged, so the caller's validation (and repair) can see it.
    """
    if not uses_tools(request):
        return text, ()
    try:
        value = extract_json(text)
    except ValueError:
        return text, ()
    names = {t.name for t in request.tools}
    items = value if isinstance(value, list) else [value]
    calls = tuple(c for c in (_as_call(v, names) for v in items) if c is not None)
    if calls:
        return "", calls
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        return value["content"], ()
    return text, ()
