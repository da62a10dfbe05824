"""Micro-batching of concurrent calls to one local model.

When several roles call the same on-prem model at once (eight parallel critics, say), answering them
one by one wastes most of the hardware: a CPU or GPU decodes a batch of eight almost as fast as one
sequence. :class:`MicroBatcher` collects the calls that arrive within a short window (or while the
previous batch is still running) and hands them to one synchronous ``run_batch`` function, which runs
in a dedicated worker thread so the event loop stays free for everything else.

The batcher knows nothing about models: the HF and vLLM backends give it their batched generate
function. ``run_batch`` returns one result per item, in order; an item's result may be an exception,
which is raised to that caller only.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["BatchStats", "MicroBatcher"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class BatchStats:
    """What a batcher has done: how many batches, how many items, the batch sizes seen."""

    batches: int = 0
    items: int = 0
    sizes: list[int] = field(default_factory=list)

    @property
    def max_size(self) -> int:
        """The largest batch served so far (0 before the first)."""
        return max(self.sizes, default=0)


class MicroBatcher(Generic[T, R]):
    """Serve concurrent ``submit`` calls in batches through one synchronous function.

    Args:
        run_batch: ``items -> results`` (same length and order); runs in the worker thread. A result
            that is an exception is raised to its caller alone; if ``run_batch`` itself raises, every
            caller of that batch gets the exception.
        max_batch: the most items one batch holds; a full batch starts at once.
        window_s: how long the first item of a batch waits for company.
        name: the worker thread's name prefix (shows up in profilers and thread dumps).

    One event loop at a time may use a batcher (its futures belong to the loop that created them).
    """

    def __init__(
        self,
        run_batch: Callable[[Sequence[T]], Sequence[R | BaseException]],
        *,
        max_batch: int = 16,
        window_s: float = 0.01,
        name: str = "agentflow-batch",
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._run_batch = run_batch
        self.max_batch = max_batch
        self.window_s = max(0.0, window_s)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self._full: asyncio.Event | None = None
        self._lock = threading.Lock()
        self.stats = BatchStats()

    async def submit(self, item: T) -> R:
        """Queue one item and wait for its result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append((item, future))
        if self._drainer is None or self._drainer.done():
            self._full = asyncio.Event()
            self._drainer = loop.create_task(self._drain())
        if len(self._pending) >= self.max_batch and self._full is not None:
            self._full.set()
        return await future

    async def _drain(self) -> None:
        """Serve batches until nothing is pending; the first waits up to the window for company."""
        loop = asyncio.get_running_loop()
        while self._pending:
            await self._wait_for_company()
            batch = [(item, fut) for item, fut in self._pending[: self.max_batch] if not fut.cancelled()]
            del self._pending[: self.max_batch]
            if self._full is not None:
                self._full.clear()
            if not batch:
                continue
            items = [item for item, _ in batch]
            try:
                results = await loop.run_in_executor(self._executor, self._call, items)
            except BaseException as exc:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for (_, fut), result in zip(batch, results, strict=True):
                if fut.done():
                    continue
                if isinstance(result, BaseException):
                    fut.set_exception(result)
                else:
                    fut.set_result(result)

    async def _wait_for_company(self) -> None:
        if len(self._pending) >= self.max_batch or self.window_s == 0 or self._full is None:
            await asyncio.sleep(0)  # still let tasks started in this tick join
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._full.wait(), self.window_s)

    def _call(self, items: list[T]) -> Sequence[R | BaseException]:
        results = self._run_batch(items)
        if len(results) != len(items):
            raise RuntimeError(f"run_batch returned {len(results)} results for {len(items)} items")
        with self._lock:
            self.stats.batches += 1
            self.stats.items += len(items)
            self.stats.sizes.append(len(items))
        return results

    def close(self) -> None:
        """Stop the worker thread once the running batch (if any) is done."""
        self._executor.shutdown(wait=False, cancel_futures=True)
