"""A response cache on SQLite, keyed by the canonical request.

The key is :func:`agentflow._ids.stable_hash` of everything the model sees (messages, tools, schema,
sampling settings, model) and the backend's name — not the routing metadata — so the same question in
another run is answered from the cache. Only finished answers are stored. A hit reports
``usage.calls == 0`` (no provider call was made), which the cost ledger prices at zero.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

from agentflow.backends.base import Backend, ChatRequest, ChatResponse, StreamChunk
from agentflow.backends.wrappers._common import ResponseBuilder, aclose_all, one_chunk, request_key
from agentflow.errors import Location, UserError

__all__ = ["CachedBackend", "SqliteCache"]


class SqliteCache:
    """A key -> response store in one SQLite file (``":memory:"`` for a process-local cache).

    Safe to share between backends and threads; WAL mode lets several processes share the file.
    """

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        try:
            if self.path != ":memory:":
                if Path(self.path).is_dir():
                    raise UserError("the cache is a directory, not a database file", location=Location(self.path),
                                    hint="pass --cache FILE.db (created when missing)")  # fmt: skip
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
                # a cache may lose its last writes in a power cut; an fsync per answer is not worth it
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, response TEXT NOT NULL, created REAL)"
            )
        except (sqlite3.Error, OSError) as exc:
            raise UserError(f"cannot open the cache: {exc}", location=Location(self.path),
                            hint="pass --cache FILE.db: a new file, or one agentflow wrote") from None  # fmt: skip

    def get(self, key: str) -> ChatResponse | None:
        with self._lock:
            row = self._db.execute("SELECT response FROM responses WHERE key = ?", (key,)).fetchone()
        return ChatResponse.model_validate_json(row[0]) if row else None

    def put(self, key: str, response: ChatResponse) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO responses (key, response, created) VALUES (?, ?, ?)",
                             (key, response.model_dump_json(), time.time()))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class CachedBackend:
    """Answers repeated requests from a :class:`SqliteCache`; ``hits`` / ``misses`` count lookups."""

    def __init__(self, inner: Backend, cache: SqliteCache, *, namespace: str | None = None) -> None:
        self.inner = inner
        self.cache = cache
        self.name = inner.name
        self.hits = 0
        self.misses = 0
        self._namespace = inner.name if namespace is None else namespace

    def _key(self, request: ChatRequest) -> str:
        return request_key(request, self._namespace)

    @staticmethod
    def _as_hit(response: ChatResponse) -> ChatResponse:
        usage = response.usage.model_copy(update={"calls": 0, "cost_usd": 0.0, "latency_s": 0.0})
        return response.model_copy(update={"usage": usage})

    async def complete(self, request: ChatRequest) -> ChatResponse:
        key = self._key(request)
        cached = self.cache.get(key)
        if cached is not None:
            self.hits += 1
            return self._as_hit(cached)
        self.misses += 1
        response = await self.inner.complete(request)
        self.cache.put(key, response)
        return response

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        return self._stream(request)

    async def _stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        key = self._key(request)
        cached = self.cache.get(key)
        if cached is not None:
            self.hits += 1
            async for chunk in one_chunk(self._as_hit(cached)):
                yield chunk
            return
        self.misses += 1
        builder = ResponseBuilder(self.inner.name)
        async for chunk in self.inner.stream(request):
            builder.add(chunk)
            yield chunk
        if builder.finished:
            self.cache.put(key, builder.build())

    async def aclose(self) -> None:
        await aclose_all(self.inner)
