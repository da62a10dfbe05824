"""The response cache of an evaluation: every model answer is stored on SQLite, so a re-run of the same
dataset and seeds is answered from the cache — same sessions, no provider calls, no cost.

This wraps the session backends in :class:`agentflow.backends.wrappers.CachedBackend` (keyed by the
canonical request). Backends shared by several roles stay shared after wrapping.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from agentflow.backends.base import Backend
from agentflow.backends.wrappers import CachedBackend, SqliteCache

__all__ = ["ResponseCache", "close_backends"]


async def close_backends(backends: Iterable[object]) -> None:
    """Close each distinct backend once (``aclose()`` when it has one, else ``close()``)."""
    seen: set[int] = set()
    for backend in backends:
        if id(backend) in seen:
            continue
        seen.add(id(backend))
        aclose = getattr(backend, "aclose", None)
        if callable(aclose):
            await aclose()
            continue
        close = getattr(backend, "close", None)
        if callable(close):
            close()


class ResponseCache:
    """One SQLite response store for a runner (a Ray actor opens its own connection to the same file)."""

    def __init__(self, path: str | Path) -> None:
        self.store = SqliteCache(path)
        self._wrapped: dict[int, CachedBackend] = {}

    def wrap(self, backend: Backend) -> CachedBackend:
        """The cached form of ``backend`` (the same wrapper for the same backend object)."""
        key = id(backend)
        if key not in self._wrapped:
            self._wrapped[key] = CachedBackend(backend, self.store)
        return self._wrapped[key]

    def wrap_all(self, backends: Mapping[str, Backend]) -> dict[str, Backend]:
        """Role -> cached backend, keeping backends that several roles share shared."""
        return {role: self.wrap(b) for role, b in backends.items()}

    def close(self) -> None:
        """Close the SQLite connection."""
        self.store.close()

    @property
    def hits(self) -> int:
        """Answers served from the cache so far."""
        return sum(w.hits for w in self._wrapped.values())

    @property
    def misses(self) -> int:
        """Requests that went to the model so far."""
        return sum(w.misses for w in self._wrapped.values())
