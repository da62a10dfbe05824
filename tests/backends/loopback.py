"""A loopback HTTP server that speaks the OpenAI and Anthropic wire protocols, with fault injection.

The real provider SDKs are pointed at it (``base_url``) so tests exercise their actual request
building, response parsing, SSE streaming and error classes without any network. It runs in a
thread on ``127.0.0.1`` with an ephemeral port.

Routes:

* ``POST /v1/chat/completions`` — OpenAI chat completions (non-stream and SSE; tool calls; usage;
  ``response_format`` json_schema and vLLM's ``guided_json`` / ``structured_outputs``).
* ``POST /v1/messages`` — Anthropic messages (non-stream and SSE; tool use).

What it answers: a queued :class:`Reply` when there is one, else ``responder(route, body)`` when
given, else a deterministic default (schema-valid JSON for structured requests, a forced tool call
when a tool is forced, otherwise ``"echo: <last user text>"``). Faults queued with :meth:`fail`
are consumed first, one per request.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from agentflow.testing import synthesize

__all__ = ["Fault", "LoopbackServer", "Recorded", "Reply"]

FaultKind = Literal["status", "timeout", "truncated", "invalid_json", "stream_cut"]


@dataclass
class Reply:
    """What the server answers: text and/or tool calls ``(name, arguments)``; token counts are derived."""

    text: str = ""
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    finish_reason: str | None = None


@dataclass
class Fault:
    """One injected failure. ``status``: an HTTP error with ``body``/``headers`` (e.g. retry-after);
    ``timeout``: answer only after ``delay`` seconds; ``truncated``: close mid-body; ``invalid_json``:
    200 with a body that is not JSON; ``stream_cut``: an SSE stream that stops before its end."""

    kind: FaultKind
    status: int = 500
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Recorded:
    """A request the server received."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    answered: str  # "ok" or the fault kind


def _words(value: Any) -> int:
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, list):
        return sum(_words(v) for v in value)
    if isinstance(value, dict):
        return sum(_words(v) for k, v in value.items() if k in ("content", "text", "system", "input"))
    return 0


class LoopbackServer:
    """The server. Use as a context manager or call :meth:`start` / :meth:`stop`."""

    def __init__(self, responder: Callable[[str, dict[str, Any]], Reply] | None = None) -> None:
        self.responder = responder
        self.replies: deque[Reply] = deque()
        self.faults: deque[Fault] = deque()
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._counter = 0
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def openai_base_url(self) -> str:
        return self.url + "/v1"

    # -- scripting -----------------------------------------------------------------------------
    def fail(self, kind: FaultKind, times: int = 1, **kw: Any) -> None:
        """Queue ``times`` faults of one kind (consumed one per request, before any reply)."""
        for _ in range(times):
            self.faults.append(Fault(kind=kind, **kw))

    def queue(self, *replies: Reply | str) -> None:
        """Queue replies, answered in order before the responder/default."""
        self.replies.extend(Reply(text=r) if isinstance(r, str) else r for r in replies)

    def bodies(self, path_suffix: str = "") -> list[dict[str, Any]]:
        """The JSON bodies received (optionally only for paths ending with ``path_suffix``)."""
        return [r.body for r in self.requests if r.path.endswith(path_suffix)]

    # -- internals used by the handler -----------------------------------------------------------
    def _next(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[Fault | None, Reply, int]:
        with self._lock:
            fault = self.faults.popleft() if self.faults else None
            reply = None
            if fault is None or fault.kind == "timeout":
                reply = self.replies.popleft() if self.replies else None
            self._counter += 1
            number = self._counter
            self.requests.append(Recorded(path, body, headers, fault.kind if fault else "ok"))
        if reply is None:
            route = "anthropic" if path.endswith("/messages") else "openai"
            reply = self.responder(route, body) if self.responder else _default_reply(route, body)
        return fault, reply, number

    def _sleep(self, seconds: float) -> None:
        self._stopping.wait(seconds)


def _default_reply(route: str, body: dict[str, Any]) -> Reply:
    schema = _requested_schema(body)
    if schema is not None:
        return Reply(text=json.dumps(synthesize(schema)))
    tools = body.get("tools") or []
    forced = _forced_tool(route, body.get("tool_choice"), tools)
    if forced is not None:
        params = forced.get("input_schema") if route == "anthropic" else forced["function"].get("parameters")
        name = forced["name"] if route == "anthropic" else forced["function"]["name"]
        return Reply(tool_calls=[(name, synthesize(params or {"type": "object"}))])
    last = ""
    for message in body.get("messages", []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                content = " ".join(str(p.get("text", "")) for p in content if p.get("type") == "text")
            last = str(content or "")
    return Reply(text=f"echo: {last}")


def _requested_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return dict(fmt["json_schema"]["schema"])
    if isinstance(body.get("guided_json"), dict):
        return dict(body["guided_json"])
    structured = body.get("structured_outputs")
    if isinstance(structured, dict) and isinstance(structured.get("json"), dict):
        return dict(structured["json"])
    return None


def _forced_tool(route: str, choice: Any, tools: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not tools or choice is None:
        return None
    if route == "openai":
        if choice == "required":
            return tools[0]
        if isinstance(choice, dict):
            name = choice.get("function", {}).get("name")
            return next((t for t in tools if t["function"]["name"] == name), None)
        return None
    if isinstance(choice, dict):
        if choice.get("type") == "any":
            return tools[0]
        if choice.get("type") == "tool":
            return next((t for t in tools if t["name"] == choice.get("name")), None)
    return None


# -- wire formats ----------------------------------------------------------------------------------


def _openai_json(reply: Reply, body: dict[str, Any], number: int) -> dict[str, Any]:
    calls = [
        {"id": f"call_{number}_{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
        for i, (n, a) in enumerate(reply.tool_calls)
    ]
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if calls:
        message["tool_calls"] = calls
    finish = reply.finish_reason or ("tool_calls" if calls else "stop")
    return {
        "id": f"chatcmpl-{number}", "object": "chat.completion", "created": int(time.time()),
        "model": body.get("model", "loopback"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": _openai_usage(reply, body),
    }


def _openai_usage(reply: Reply, body: dict[str, Any]) -> dict[str, int]:
    prompt = _words(body.get("messages", []))
    completion = _words(reply.text) + sum(len(json.dumps(a).split()) for _, a in reply.tool_calls)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _openai_sse(reply: Reply, body: dict[str, Any], number: int) -> list[str]:
    base = {"id": f"chatcmpl-{number}", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": body.get("model", "loopback")}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        return "data: " + json.dumps({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    events = [chunk({"role": "assistant", "content": ""})]
    words = reply.text.split(" ") if reply.text else []
    events += [chunk({"content": w if i == 0 else " " + w}) for i, w in enumerate(words)]
    for i, (name, args) in enumerate(reply.tool_calls):
        raw = json.dumps(args)
        head = {"index": i, "id": f"call_{number}_{i}", "type": "function", "function": {"name": name, "arguments": ""}}
        events.append(chunk({"tool_calls": [head]}))
        half = len(raw) // 2
        for piece in (raw[:half], raw[half:]):
            events.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]}))
    events.append(chunk({}, reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")))
    if (body.get("stream_options") or {}).get("include_usage"):
        events.append("data: " + json.dumps({**base, "choices": [], "usage": _openai_usage(reply, body)}))
    events.append("data: [DONE]")
    return events


def _anthropic_json(reply: Reply, body: dict[str, Any], number: int) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if reply.text:
        content.append({"type": "text", "text": reply.text})
    content += [{"type": "tool_use", "id": f"toolu_{number}_{i}", "name": n, "input": a}
                for i, (n, a) in enumerate(reply.tool_calls)]
    return {
        "id": f"msg_{number}", "type": "message", "role": "assistant", "model": body.get("model", "loopback"),
        "content": content, "stop_reason": reply.finish_reason or ("tool_use" if reply.tool_calls else "end_turn"),
        "stop_sequence": None, "usage": _anthropic_usage(reply, body),
    }


def _anthropic_usage(reply: Reply, body: dict[str, Any]) -> dict[str, int]:
    prompt = _words(body.get("messages", [])) + _words(body.get("system", ""))
    completion = _words(reply.text) + sum(len(json.dumps(a).split()) for _, a in reply.tool_calls)
    return {"input_tokens": prompt, "output_tokens": completion}


def _anthropic_sse(reply: Reply, body: dict[str, Any], number: int) -> list[str]:
    def ev(kind: str, data: dict[str, Any]) -> str:
        return f"event: {kind}\ndata: " + json.dumps({"type": kind, **data})

    full = _anthropic_json(reply, body, number)
    usage = full["usage"]
    start = {**full, "content": [], "stop_reason": None, "usage": {"input_tokens": usage["input_tokens"],
                                                                    "output_tokens": 1}}
    events = [ev("message_start", {"message": start})]
    for index, block in enumerate(full["content"]):
        if block["type"] == "text":
            events.append(ev("content_block_start", {"index": index, "content_block": {"type": "text", "text": ""}}))
            for i, word in enumerate(block["text"].split(" ")):
                delta = {"type": "text_delta", "text": word if i == 0 else " " + word}
                events.append(ev("content_block_delta", {"index": index, "delta": delta}))
        else:
            head = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            events.append(ev("content_block_start", {"index": index, "content_block": head}))
            raw = json.dumps(block["input"])
            half = len(raw) // 2
            for piece in (raw[:half], raw[half:]):
                delta = {"type": "input_json_delta", "partial_json": piece}
                events.append(ev("content_block_delta", {"index": index, "delta": delta}))
        events.append(ev("content_block_stop", {"index": index}))
    events.append(ev("message_delta", {"delta": {"stop_reason": full["stop_reason"], "stop_sequence": None},
                                       "usage": {"output_tokens": usage["output_tokens"]}}))
    events.append(ev("message_stop", {}))
    return events


def _error_body(route: str, status: int) -> dict[str, Any]:
    kinds = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
             404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 529: "overloaded_error"}
    kind = kinds.get(status, "api_error")
    if route == "anthropic":
        return {"type": "error", "error": {"type": kind, "message": f"injected {status}"}}
    return {"error": {"message": f"injected {status}", "type": kind, "param": None, "code": None}}


class _Handler(BaseHTTPRequestHandler):
    """Serves one connection; ``loopback`` is bound per server by :func:`_make_handler`."""

    loopback: LoopbackServer
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms delayed-ACK stalls

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_POST(self) -> None:
        try:
            self._serve()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        body = json.loads(raw or b"{}")
        route = "anthropic" if self.path.rstrip("/").endswith("/messages") else "openai"
        if not self.path.rstrip("/").endswith(("/chat/completions", "/messages")):
            self._send(404, json.dumps(_error_body(route, 404)).encode())
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        fault, reply, number = self.loopback._next(self.path, body, headers)
        stream = bool(body.get("stream"))
        if fault is not None and self._fault(fault, route, reply, body, number):
            return
        if stream:
            events = (_anthropic_sse if route == "anthropic" else _openai_sse)(reply, body, number)
            if fault is not None and fault.kind == "stream_cut":
                events = events[: max(1, len(events) // 2)]
            data = "".join(e + "\n\n" for e in events).encode()
            self._send(200, data, {"content-type": "text/event-stream", "cache-control": "no-cache"})
            return
        self._send(200, json.dumps(self._json(route, reply, body, number)).encode())

    def _fault(self, fault: Fault, route: str, reply: Reply, body: dict[str, Any], number: int) -> bool:
        """Act out a fault; True when the request is fully answered by it."""
        if fault.kind == "status":
            payload = fault.body if fault.body is not None else _error_body(route, fault.status)
            self._send(fault.status, json.dumps(payload).encode(), fault.headers)
            return True
        if fault.kind == "invalid_json":
            self._send(200, b'{"id": "x", "choices": [ {not json', {})
            return True
        if fault.kind == "truncated":
            data = json.dumps(self._json(route, reply, body, number)).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data) + 64))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return True
        if fault.kind == "timeout":
            self.loopback._sleep(fault.delay)
            return self.loopback._stopping.is_set()
        return False

    @staticmethod
    def _json(route: str, reply: Reply, body: dict[str, Any], number: int) -> dict[str, Any]:
        return (_anthropic_json if route == "anthropic" else _openai_json)(reply, body, number)

    def _send(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        extra = headers or {}
        if "content-type" not in {k.lower() for k in extra}:
            self.send_header("content-type", "application/json")
        for key, value in extra.items():
            self.send_header(key, value)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()


def _make_handler(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    return type("LoopbackHandler", (_Handler,), {"loopback": server})
