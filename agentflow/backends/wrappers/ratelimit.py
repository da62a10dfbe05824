"""Client-side rate limiting: a token bucket for request rate, a cap on concurrent calls, and a shared
pause when the provider says it is rate limited.

One :class:`RateLimiter` can be shared by every backend that uses the same account, so eight parallel
critics do not each discover the limit on their own. When a call fails with
:class:`~agentflow.errors.RateLimited` and a retry-after, the limiter pauses *all* its callers for that
long; the retry wrapper (outside this one) then retries.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

from agentflow.backends.base import Backend, ChatRequest, ChatResponse, StreamChunk
from agentflow.backends.wrappers._common import aclose_all
from agentflow.errors import RateLimited

__all__ = ["RateLimitedBackend", "RateLimiter"]


class RateLimiter:
    """Token bucket (``per_second`` refill, ``burst`` capacity) plus an optional concurrency cap.

    Args:
        per_second: sustained requests per second (``None``: no rate limit). ``per_minute`` is
            the same in other units; give one.
        burst: how many requests may go at once after an idle spell.
        max_concurrency: calls in flight at once (``None``: unlimited).
        clock: monotonic seconds (injectable for tests).
    """

    def __init__(
        self,
        per_second: float | None = None,
        *,
        per_minute: float | None = None,
        burst: int = 1,
        max_concurrency: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_second is not None and per_minute is not None:
            raise ValueError("give per_second or per_minute, not both")
        self.rate = per_second if per_second is not None else (per_minute / 60.0 if per_minute else None)
        if self.rate is not None and self.rate <= 0:
            raise ValueError("the rate must be positive")
        self.burst = max(1, burst)
        self._tokens = float(self.burst)
        self._clock = clock
        self._stamp = clock()
        self._paused_until = 0.0
        self._lock: asyncio.Lock | None = None
        self._max_concurrency = max_concurrency
        self._slots: asyncio.Semaphore | None = None

    def pause(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` (the provider's retry-after)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def acquire(self) -> None:
        """Wait for a request token (and the end of any pause)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # FIFO: waiters are served in arrival order
            while True:
                now = self._clock()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                if self.rate is None:
                    return
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - self._tokens) / self.rate)

    def slots(self) -> asyncio.Semaphore | None:
        """The concurrency semaphore, created in the running loop on first use."""
        if self._max_concurrency is not None and self._slots is None:
            self._slots = asyncio.Semaphore(self._max_concurrency)
        return self._slots


class RateLimitedBackend:
    """Waits on a :class:`RateLimiter` before each call to ``inner``."""

    def __init__(self, inner: Backend, limiter: RateLimiter) -> None:
        self.inner = inner
        self.limiter = limiter
        self.name = inner.name

    async def complete(self, request: ChatRequest) -> ChatResponse:
        await self.limiter.acquire()
        slots = self.limiter.slots()
        try:
            if slots is None:
                return await self.inner.complete(request)
            async with slots:
                return await self.inner.complete(request)
        except RateLimited as exc:
            if exc.retry_after:
                self.limiter.pause(exc.retry_after)
            raise

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        return self._stream(request)

    async def _stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        await self.limiter.acquire()
        slots = self.limiter.slots()
        try:
            if slots is not None:
                await slots.acquire()
            try:
                async for chunk in self.inner.stream(request):
                    yield chunk
            finally:
                if slots is not None:
                    slots.release()
        except RateLimited as exc:
            if exc.retry_after:
                self.limiter.pause(exc.retry_after)
            raise

    async def aclose(self) -> None:
        await aclose_all(self.inner)
