"""The OpenAI wire shapes the server answers with: Responses objects, their SSE events, chat completions.

Only the subset the server produces, built as plain dicts (what the ``openai`` SDK parses). Response ids
carry their session: ``resp_<session>_<n>`` is the reply to the session's n-th user message, so a
``previous_response_id`` names the conversation to continue without any lookup table.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from agentflow.runner.app_session import Turn

__all__ = [
    "chat_chunks",
    "chat_completion",
    "parse_response_id",
    "response_events",
    "response_id",
    "response_object",
    "sse",
]


def response_id(turn: Turn) -> str:
    """The id of the response that is ``turn``'s reply."""
    return f"resp_{turn.session_id}_{turn.index}"


def parse_response_id(text: str) -> tuple[str, int] | None:
    """``(session id, user-message index)`` of a response id, or ``None`` when it is not one of ours."""
    body = text.removeprefix("resp_")
    session, _, index = body.rpartition("_")
    if body == text or not session or not index.isdigit():
        return None
    return session, int(index)


def _message(turn: Turn, text: str, status: str) -> dict[str, Any]:
    content = [{"type": "output_text", "text": text, "annotations": []}] if status == "completed" else []
    return {"type": "message", "id": f"msg_{turn.session_id}_{turn.index}", "status": status,
            "role": "assistant", "content": content}


def response_object(turn: Turn, model: str, *, status: str = "completed", created: int | None = None) -> dict[str, Any]:
    """A ``response`` object (``status`` ``in_progress`` has no output yet)."""
    output = [_message(turn, turn.reply, "completed")] if status == "completed" else []
    return {
        "id": response_id(turn), "object": "response", "created_at": created or int(time.time()),
        "model": model, "status": status, "output": output, "error": None, "incomplete_details": None,
        "instructions": None, "metadata": {"session_ended": str(turn.ended).lower()},
        "parallel_tool_calls": False, "tool_choice": "auto", "tools": [], "temperature": None,
        "top_p": None, "previous_response_id": None, "usage": None,
    }


def response_events(turn: Turn, model: str, *, chunk: int = 16) -> Iterator[dict[str, Any]]:
    """The Responses stream of one reply: ``response.created``, item/part added, ``output_text.delta``
    events (the reply in ``chunk``-character pieces), done events, ``response.completed``."""
    created = int(time.time())
    item_id = f"msg_{turn.session_id}_{turn.index}"
    yield {"type": "response.created", "response": response_object(turn, model, status="in_progress", created=created)}
    yield {"type": "response.output_item.added", "output_index": 0, "item": _message(turn, "", "in_progress")}
    part = {"type": "output_text", "text": "", "annotations": []}
    yield {"type": "response.content_part.added", "item_id": item_id, "output_index": 0, "content_index": 0,
           "part": part}
    for start in range(0, len(turn.reply), chunk):
        yield {"type": "response.output_text.delta", "item_id": item_id, "output_index": 0, "content_index": 0,
               "delta": turn.reply[start:start + chunk], "logprobs": []}
    yield {"type": "response.output_text.done", "item_id": item_id, "output_index": 0, "content_index": 0,
           "text": turn.reply, "logprobs": []}
    yield {"type": "response.content_part.done", "item_id": item_id, "output_index": 0, "content_index": 0,
           "part": {**part, "text": turn.reply}}
    yield {"type": "response.output_item.done", "output_index": 0, "item": _message(turn, turn.reply, "completed")}
    yield {"type": "response.completed", "response": response_object(turn, model, created=created)}


def sse(events: Iterator[dict[str, Any]]) -> Iterator[str]:
    """Server-sent events, one per dict, numbered with ``sequence_number``."""
    for seq, event in enumerate(events):
        yield f"event: {event['type']}\ndata: {json.dumps({**event, 'sequence_number': seq})}\n\n"


def chat_completion(turn: Turn, model: str) -> dict[str, Any]:
    """A ``chat.completion`` object for a reply."""
    return {"id": f"chatcmpl-{turn.session_id}-{turn.index}", "object": "chat.completion",
            "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": turn.reply}}]}


def chat_chunks(turn: Turn, model: str, *, chunk: int = 16) -> Iterator[str]:
    """The ``chat.completion.chunk`` SSE stream of a reply, ending with ``data: [DONE]``."""
    base = {"id": f"chatcmpl-{turn.session_id}-{turn.index}", "object": "chat.completion.chunk",
            "created": int(time.time()), "model": model}
    pieces = [turn.reply[i:i + chunk] for i in range(0, len(turn.reply), chunk)]
    deltas: list[tuple[dict[str, Any], str | None]] = [({"role": "assistant", "content": ""}, None)]
    deltas += [({"content": p}, None) for p in pieces] + [({}, "stop")]
    for delta, finish in deltas:
        yield f"data: {json.dumps({**base, 'choices': [{'index': 0, 'delta': delta, 'finish_reason': finish}]})}\n\n"
    yield "data: [DONE]\n\n"
