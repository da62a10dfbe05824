"""Retries by error class with jittered exponential backoff that honours the provider's retry-after.

Only failures that say they are transient (:attr:`BackendError.retryable`: rate limited, server
error, timeout) are retried; a bad request or an auth failure fails at once. The SDKs' own retries
are off, so every retry happens here, where it is visible (``on_retry``) and counted.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, stop_after_delay
from tenacity.stop import stop_base
from tenacity.wait import wait_random_exponential

from agentflow.backends.base import Backend, ChatRequest, ChatResponse, StreamChunk
from agentflow.backends.wrappers._common import aclose_all
from agentflow.errors import BackendError, RateLimited

__all__ = ["RetryBackend", "RetryPolicy"]

RetryHook = Callable[[int, BaseException, float], None]
"""Called before each wait: (attempt number that failed, its error, seconds to wait)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How to retry.

    Args:
        attempts: total tries, the first included.
        initial: backoff scale in seconds (waits grow ``initial * 2**n``, full jitter).
        maximum: the longest backoff wait.
        max_retry_after: the longest provider-requested wait we honour; longer ones are capped.
        deadline: give up once this many seconds have passed since the first try (``None``: no limit).
    """

    attempts: int = 4
    initial: float = 0.5
    maximum: float = 20.0
    max_retry_after: float = 60.0
    deadline: float | None = None

    def should_retry(self, exc: BaseException) -> bool:
        """Transient backend failures only."""
        return isinstance(exc, BackendError) and exc.retryable

    def wait_for(self, state: RetryCallState) -> float:
        """Seconds before the next try: the provider's retry-after (plus up to 10% jitter) or backoff."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            base = min(exc.retry_after, self.max_retry_after)
            return base + random.uniform(0, 0.1 * base)
        return float(wait_random_exponential(multiplier=self.initial, max=self.maximum)(state))


class RetryBackend:
    """Wraps a backend with a :class:`RetryPolicy`.

    Streams are retried only until their first chunk arrives: after that, retrying would send the
    caller duplicated text, so a later failure is raised as is.
    """

    def __init__(self, inner: Backend, policy: RetryPolicy | None = None, *, on_retry: RetryHook | None = None) -> None:
        self.inner = inner
        self.policy = policy or RetryPolicy()
        self.name = inner.name
        self.retries = 0
        self._on_retry = on_retry

    def _retrying(self) -> AsyncRetrying:
        stop: stop_base = stop_after_attempt(self.policy.attempts)
        if self.policy.deadline is not None:
            stop = stop | stop_after_delay(self.policy.deadline)
        return AsyncRetrying(
            stop=stop,
            wait=self.policy.wait_for,
            retry=retry_if_exception(self.policy.should_retry),
            before_sleep=self._before_sleep,
            reraise=True,
        )

    def _before_sleep(self, state: RetryCallState) -> None:
        self.retries += 1
        if self._on_retry is not None and state.outcome is not None:
            error = state.outcome.exception()
            if error is not None:
                wait = state.next_action.sleep if state.next_action else 0.0
                self._on_retry(state.attempt_number, error, wait)

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """Answer, retrying transient failures."""
        # fast path: most calls succeed first time, and a tenacity loop costs ~0.1 ms per call
        try:
            return await self.inner.complete(request)
        except Exception as exc:
            if self.policy.attempts <= 1 or not self.policy.should_retry(exc):
                raise
            pending: list[Exception] = [exc]
        async for attempt in self._retrying():
            with attempt:
                if pending:  # attempt 1 is the call above: let tenacity see its error and schedule the wait
                    raise pending.pop()
                return await self.inner.complete(request)
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        return self._stream(request)

    async def _stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        iterator: AsyncIterator[StreamChunk] | None = None
        first: StreamChunk | None = None
        async for attempt in self._retrying():
            with attempt:
                iterator = aiter(self.inner.stream(request))
                try:
                    first = await anext(iterator)
                except StopAsyncIteration:
                    first = None
        if first is None or iterator is None:
            return
        yield first
        async for chunk in iterator:
            yield chunk

    async def aclose(self) -> None:
        await aclose_all(self.inner)
