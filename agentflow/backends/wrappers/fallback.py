"""Fall back to another backend when one fails.

Backends are tried in order; a failure of a class in ``fallback_on`` (by default any
:class:`BackendError`: a provider outage, an exhausted retry budget, a context window too small for
this model) moves on to the next. Put a :class:`RetryBackend` around each member so a transient error
is retried on the same provider before falling back. Other errors (budget, validation, bugs)
propagate at once: another backend would not fix them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence

from agentflow.backends.base import Backend, ChatRequest, ChatResponse, StreamChunk
from agentflow.backends.wrappers._common import aclose_all
from agentflow.errors import BackendError

__all__ = ["FallbackBackend"]

FallbackHook = Callable[[Backend, BaseException, Backend], None]
"""Called on each switch: (backend that failed, its error, backend tried next)."""


class FallbackBackend:
    """Tries ``backends`` in order until one answers.

    Args:
        backends: the primary first, then the fallbacks.
        fallback_on: error classes that move on to the next backend.
        on_fallback: observer for switches (traces, logs).

    Raises:
        the last backend's error when every backend failed (earlier errors are chained).
    """

    def __init__(
        self,
        backends: Sequence[Backend],
        *,
        fallback_on: tuple[type[BaseException], ...] = (BackendError,),
        on_fallback: FallbackHook | None = None,
    ) -> None:
        if not backends:
            raise ValueError("FallbackBackend needs at least one backend")
        self.backends = list(backends)
        self.name = backends[0].name
        self.last_used: Backend | None = None
        self.fallbacks = 0
        self._on = fallback_on
        self._hook = on_fallback

    def _switch(self, index: int, exc: BaseException) -> None:
        self.fallbacks += 1
        if self._hook is not None:
            self._hook(self.backends[index], exc, self.backends[index + 1])

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """The first successful answer."""
        for index, backend in enumerate(self.backends):
            try:
                response = await backend.complete(request)
            except self._on as exc:
                if index == len(self.backends) - 1:
                    raise
                self._switch(index, exc)
                continue
            self.last_used = backend
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        return self._stream(request)

    async def _stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        # switch only before the first chunk: after it, the caller already holds partial output
        for index, backend in enumerate(self.backends):
            iterator = aiter(backend.stream(request))
            try:
                first = await anext(iterator)
            except StopAsyncIteration:
                self.last_used = backend
                return
            except self._on as exc:
                if index == len(self.backends) - 1:
                    raise
                self._switch(index, exc)
                continue
            self.last_used = backend
            yield first
            async for chunk in iterator:
                yield chunk
            return

    async def aclose(self) -> None:
        await aclose_all(*self.backends)
