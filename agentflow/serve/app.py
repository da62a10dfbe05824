"""The Starlette application: routes, bearer auth, bounded bodies, one turn at a time per session.

Routes: ``GET /health``; ``POST /v1/responses`` (OpenAI Responses subset: ``model``, ``input``,
``previous_response_id``, ``stream``); ``POST /v1/chat/completions`` (stateless clients: the session is
the one whose transcript the sent messages extend). Every turn runs an app session
(:class:`~agentflow.runner.app_session.AppSessions`), so the conversation lives in the run store.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from agentflow.errors import UserError
from agentflow.runner.app_session import AppSessions, Turn
from agentflow.serve.chat import ChatIndex, chat_turn_text
from agentflow.serve.refused import Refused, error_response
from agentflow.serve.wire import (
    chat_chunks,
    chat_completion,
    parse_response_id,
    response_events,
    response_object,
    sse,
)

__all__ = ["ServeConfig", "create_app"]


@dataclass
class ServeConfig:
    """What the server serves and how it guards it.

    Attributes:
        model: the workflow's name (the ``model`` clients pass; any other is refused).
        sessions: the workflow's app sessions in the run store.
        token: the bearer token every ``/v1`` request must carry (``None``: no auth, loopback only).
        max_body: largest accepted request body in bytes (413 beyond).
        max_input: largest accepted user message in characters (400 beyond).
    """

    model: str
    sessions: AppSessions
    token: str | None = None
    max_body: int = 1 << 20
    max_input: int = 32_000
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)


def create_app(config: ServeConfig) -> Starlette:
    """The ASGI app for ``config`` (run it with uvicorn; ``agentflow serve`` does)."""
    chats = ChatIndex(config.sessions)

    def guarded(handler: Callable[[Request, dict[str, Any]], Awaitable[Response]]) -> Callable[..., Any]:
        async def endpoint(request: Request) -> Response:
            try:
                _authorize(request, config.token)
                body = await _json_body(request, config.max_body)
                if body.get("model") not in (None, config.model):
                    raise Refused(404, f"unknown model {body.get('model')!r}; this server serves {config.model!r}")
                return await handler(request, body)
            except Refused as exc:
                return exc.response
            except UserError as exc:
                return error_response(409, exc.render().replace("\n", " "))
        return endpoint

    async def turn(session_id: str, text: str) -> Turn:
        if len(text) > config.max_input:
            raise Refused(400, f"input is longer than {config.max_input} characters")
        lock = config.locks.setdefault(session_id, asyncio.Lock())
        async with lock:
            return await config.sessions.send(session_id, text, meta={"serve_model": config.model})

    async def responses(request: Request, body: dict[str, Any]) -> Response:
        text = _input_text(body.get("input"))
        previous = body.get("previous_response_id")
        session_id = "conv" + uuid.uuid4().hex if previous is None else _continued(config.sessions, str(previous))
        result = await turn(session_id, text)
        if body.get("stream"):
            return StreamingResponse(sse(response_events(result, config.model)), media_type="text/event-stream")
        return JSONResponse({**response_object(result, config.model), "previous_response_id": previous})

    async def chat(request: Request, body: dict[str, Any]) -> Response:
        prior, text = chat_turn_text(body.get("messages"))
        session_id = await asyncio.to_thread(chats.find, prior) or "chat" + uuid.uuid4().hex
        result = await turn(session_id, text)
        chats.remember(session_id, [*prior, ("user", text), ("agent", result.reply)])
        if body.get("stream"):
            return StreamingResponse(chat_chunks(result, config.model), media_type="text/event-stream")
        return JSONResponse(chat_completion(result, config.model))

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "model": config.model})

    return Starlette(routes=[
        Route("/health", health, methods=["GET"]),
        Route("/v1/responses", guarded(responses), methods=["POST"]),
        Route("/v1/chat/completions", guarded(chat), methods=["POST"]),
    ])


def _authorize(request: Request, token: str | None) -> None:
    if token is None:
        return
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
        raise Refused(401, "missing or wrong bearer token", "authentication_error")


async def _json_body(request: Request, limit: int) -> dict[str, Any]:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Refused(413, f"request body over {limit} bytes")
    data = bytearray()
    async for piece in request.stream():
        data += piece
        if len(data) > limit:
            raise Refused(413, f"request body over {limit} bytes")
    try:
        body = json.loads(data or b"{}")
    except ValueError as exc:
        raise Refused(400, f"request body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise Refused(400, "request body must be a JSON object")
    return body


def _input_text(value: Any) -> str:
    """The user message of a Responses ``input``: a string, or the last user item's text."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        for item in reversed(value):
            if isinstance(item, dict) and item.get("role", "user") == "user":
                content = item.get("content")
                if isinstance(content, str):
                    return content
                if isinstance(content, list):
                    return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    raise Refused(400, "input must be a string or a list of messages with a user message")


def _continued(sessions: AppSessions, previous: str) -> str:
    parsed = parse_response_id(previous)
    record = sessions.store.get_run(parsed[0]) if parsed else None
    if parsed is None or record is None:
        raise Refused(404, f"unknown previous_response_id {previous!r}")
    session_id, index = parsed
    consumed = len(sessions.store.inputs(session_id))
    if index != consumed:
        raise Refused(409, f"{previous!r} is not the latest response of its conversation (branching is not supported)")
    if record.status in ("completed", "failed"):
        raise Refused(409, f"the conversation of {previous!r} has ended")
    return session_id
