"""Record a whole run's model calls to a JSONL file, and replay them later without any model.

Recording appends one line per answered request: its key (see :func:`request_key`), the request
(without routing metadata; secrets hidden when a :class:`~agentflow.redact.Redactor` is given), the
response (verbatim: replay must return exactly what the model said), the backend and the role.

Replay answers each request with the recorded responses for its key, in recorded order, and **fails
loudly** — a :class:`ReplayMissing` naming the role, the last user message and the file — on a request
it has not seen (the run drifted from the recording) or has seen fewer times than it is now asked.
``check_consumed`` reports recorded answers the replay never used.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from agentflow.backends.base import Backend, ChatRequest, ChatResponse, StreamChunk
from agentflow.backends.wrappers._common import ResponseBuilder, aclose_all, one_chunk, request_key
from agentflow.errors import Location, RunError, UserError
from agentflow.redact import Redactor
from agentflow.safeload import load_json, read_text

__all__ = ["RecordingBackend", "ReplayBackend", "ReplayMissing", "ReplayStore"]


class ReplayMissing(RunError):
    """A replayed run asked a model something the recording does not contain."""


class RecordingBackend:
    """Passes calls through to ``inner`` and appends each answered request to ``path``.

    Several recording backends (one per role) may share a path: writes are serialised by a lock
    held by the shared :class:`_Appender`, obtained with :meth:`for_path`.
    """

    def __init__(self, inner: Backend, path: str | Path, *, redactor: Redactor | None = None,
                 appender: _Appender | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.path = Path(path)
        self._appender = appender or _Appender(self.path, redactor)

    def share(self, inner: Backend) -> RecordingBackend:
        """Another recorder writing to the same file (for another role's backend)."""
        return RecordingBackend(inner, self.path, appender=self._appender)

    async def complete(self, request: ChatRequest) -> ChatResponse:
        response = await self.inner.complete(request)
        self._appender.write(request, response, self.inner.name)
        return response

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        return self._stream(request)

    async def _stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        builder = ResponseBuilder(self.inner.name)
        async for chunk in self.inner.stream(request):
            builder.add(chunk)
            yield chunk
        if builder.finished:
            self._appender.write(request, builder.build(), self.inner.name)

    async def aclose(self) -> None:
        await aclose_all(self.inner)


class _Appender:
    def __init__(self, path: Path, redactor: Redactor | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._redactor = redactor
        self._lock = threading.Lock()

    def write(self, request: ChatRequest, response: ChatResponse, backend: str) -> None:
        shown = request.model_dump(mode="json", exclude={"metadata"})
        line = {
            "key": request_key(request),  # from the request as sent, so replay matches it exactly
            "backend": backend,
            "role": request.role,
            # the request copy is for people reading the file: secrets are hidden there
            "request": self._redactor(shown) if self._redactor is not None else shown,
            "response": response.model_dump(mode="json"),
        }
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


class ReplayStore:
    """The recorded answers of one file, consumed as a replayed run asks for them."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._answers: dict[str, deque[ChatResponse]] = {}
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()
        lines = read_text(self.path, "recording", hint="record a run first with --record FILE").splitlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            item: Any = load_json(line, str(self.path), number)
            try:
                response = ChatResponse.model_validate(item["response"])
                key = str(item["key"])
            except (ValueError, KeyError, TypeError) as exc:
                raise UserError(f"broken recording line: {exc}", location=Location(str(self.path), number),
                                hint="re-record the run") from None
            self._answers.setdefault(key, deque()).append(response)

    def take(self, request: ChatRequest) -> ChatResponse:
        """The next recorded answer to this request.

        Raises:
            ReplayMissing: the request was never recorded, or all its recorded answers are used up.
        """
        key = request_key(request)
        with self._lock:
            queue = self._answers.get(key)
            if queue:
                self._seen[key] = self._seen.get(key, 0) + 1
                return queue.popleft()
            times = self._seen.get(key, 0)
        last_user = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        why = f"was answered only {times} time(s) in the recording" if times else "is not in the recording"
        raise ReplayMissing(
            f"{self.path}: replay: request from role {request.role or '?'!r} {why} "
            f"(last user message: {last_user[:80]!r}); the run no longer matches what was recorded — "
            "re-record it, or run without --replay"
        )

    def unused(self) -> int:
        """How many recorded answers were never replayed."""
        with self._lock:
            return sum(len(q) for q in self._answers.values())

    def check_consumed(self) -> None:
        """Raise :class:`ReplayMissing` when recorded answers were left unused."""
        left = self.unused()
        if left:
            raise ReplayMissing(f"{self.path}: replay finished with {left} recorded answer(s) unused; "
                                "the run asked fewer questions than the recording holds")


class ReplayBackend:
    """A backend answering only from a :class:`ReplayStore` (no model, no network)."""

    def __init__(self, store: ReplayStore, name: str = "replay") -> None:
        self.store = store
        self.name = name

    async def complete(self, request: ChatRequest) -> ChatResponse:
        return self.store.take(request)

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        return self._stream(request)

    async def _stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        async for chunk in one_chunk(self.store.take(request)):
            yield chunk
