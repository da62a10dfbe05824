"""Model responses to proposals: native tool calls, or the text format ``CALL name {json}``.

Backends with native tool calling return :class:`~agentflow.backends.base.ToolCall`s; for the others
(and for models that write calls as text anyway) a reply whose line starts with ``CALL`` is parsed
as a call. Anything unusable — an empty response, a ``CALL`` line whose JSON does not parse — is a
:class:`Malformed` result with a message the session sends back to the model as a repair request.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from agentflow._ids import new_id
from agentflow.backends.base import ChatResponse
from agentflow.controllers import Proposal

__all__ = ["Malformed", "parse_response"]

_CALL_LINE = re.compile(r"^\s*(?:CALL|Action)\s*[:：]?\s*(?:API[._])?([^\s({]+)\s*(\(?\s*\{.*\}\s*\)?|\(\s*\))?\s*$",
                        re.S | re.M)
_JSON_CALL = re.compile(r'^\s*(?:```(?:json)?\s*)?\{\s*"(?:call|api|tool|name)"\s*:', re.S)


@dataclass(frozen=True, slots=True)
class Malformed:
    """The response could not be used; ``problem`` tells the model what to fix."""

    problem: str
    raw: str


def parse_response(response: ChatResponse) -> list[Proposal] | Malformed:
    """Proposals from one model response (calls first; a text reply only when there are no calls)."""
    if response.tool_calls:
        calls = []
        for call in response.tool_calls:
            if not call.name.strip():
                return Malformed("a tool call had no name", response.text)
            calls.append(Proposal(kind="call", name=call.name.strip(), args=dict(call.arguments),
                                  call_id=call.id or new_id("call")))
        return calls
    text = response.text.strip()
    if not text:
        return Malformed("the response was empty; reply to the user or call an API", "")
    if _JSON_CALL.match(text):
        return _json_call(text)
    match = _CALL_LINE.search(text)
    if match and text.lstrip().upper().startswith(("CALL", "ACTION")):
        name, body = match.group(1), (match.group(2) or "").strip().strip("()").strip()
        try:
            args = json.loads(body) if body else {}
        except json.JSONDecodeError as exc:
            return Malformed(f"the arguments of CALL {name} are not valid JSON ({exc.msg}); write"
                             f' CALL {name} {{"arg": "value"}}', text)
        if not isinstance(args, dict):
            return Malformed(f"the arguments of CALL {name} must be a JSON object", text)
        return [Proposal(kind="call", name=name, args=args, call_id=new_id("call"))]
    if text.upper().startswith("CALL"):
        return Malformed('could not read the call; write exactly: CALL name {"arg": "value"}', text)
    return [Proposal(kind="reply", text=text)]


def _json_call(text: str) -> list[Proposal] | Malformed:
    body = re.sub(r"^```(?:json)?\s*|\s*```$", "", text.strip())
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        return Malformed(f"the JSON call is not valid JSON ({exc.msg})", text)
    name = data.get("call") or data.get("api") or data.get("tool") or data.get("name")
    args = data.get("args") or data.get("arguments") or {}
    if not isinstance(name, str) or not isinstance(args, dict):
        return Malformed('a JSON call needs {"call": NAME, "args": {...}}', text)
    return [Proposal(kind="call", name=name, args=args, call_id=new_id("call"))]
