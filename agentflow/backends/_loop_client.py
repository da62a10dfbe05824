"""One SDK client per running event loop, closed when that loop shuts down.

An SDK's async HTTP pool belongs to the event loop that opened it. A backend is built before any loop
runs and may outlive several (``asyncio.run`` per CLI command, one loop per test), and its caller may
never call ``aclose``. So the client is created lazily in the running loop, and a small keeper task
closes it when the loop cancels its remaining tasks at shutdown (``asyncio.run`` does), instead of
leaving sockets for the garbage collector to complain about after the loop is gone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["LoopBound"]


class LoopBound:
    """Lazily creates ``factory()`` for the running loop; ``close(client)`` runs at loop shutdown or :meth:`aclose`."""

    def __init__(self, factory: Callable[[], Any], close: Callable[[Any], Awaitable[object]]) -> None:
        self._factory = factory
        self._close = close
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._keeper: asyncio.Task[None] | None = None

    def get(self) -> Any:
        """The client for the running loop (created on first use in that loop)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = self._factory()
            self._loop = loop
            self._keeper = loop.create_task(self._keep(self._client), name="agentflow-client-keeper")
        return self._client

    async def _keep(self, client: Any) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await self._close(client)

    async def aclose(self) -> None:
        """Close the current loop's client now."""
        keeper, self._keeper = self._keeper, None
        self._client = None
        if keeper is not None and not keeper.done():
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
