"""MicroBatcher: concurrent submissions become batches; the event loop stays free; errors stay per caller."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence

import pytest

from agentflow.backends.batching import MicroBatcher


def _doubler(seen: list[list[int]], delay: float = 0.0):  # type: ignore[no-untyped-def]
    def run(items: Sequence[int]) -> list[int | BaseException]:
        seen.append(list(items))
        if delay:
            time.sleep(delay)
        return [i * 2 for i in items]

    return run


async def test_concurrent_calls_are_served_as_one_batch_in_order() -> None:
    seen: list[list[int]] = []
    batcher: MicroBatcher[int, int] = MicroBatcher(_doubler(seen), max_batch=16, window_s=0.05)
    results = await asyncio.gather(*(batcher.submit(i) for i in range(8)))
    assert results == [i * 2 for i in range(8)]
    assert seen == [list(range(8))]
    assert batcher.stats.sizes == [8] and batcher.stats.items == 8
    batcher.close()


async def test_max_batch_splits_and_late_arrivals_form_the_next_batch() -> None:
    seen: list[list[int]] = []
    batcher: MicroBatcher[int, int] = MicroBatcher(_doubler(seen, delay=0.05), max_batch=4, window_s=0.01)
    first = [asyncio.ensure_future(batcher.submit(i)) for i in range(10)]
    await asyncio.sleep(0.02)  # the first batch is running now; these wait for the next one
    late = [asyncio.ensure_future(batcher.submit(100 + i)) for i in range(3)]
    results = await asyncio.gather(*first, *late)
    assert results == [i * 2 for i in range(10)] + [200, 202, 204]
    assert all(len(batch) <= 4 for batch in seen)
    assert sorted(x for batch in seen for x in batch) == [*range(10), 100, 101, 102]
    assert batcher.stats.max_size == 4
    batcher.close()


async def test_a_per_item_exception_reaches_only_its_caller() -> None:
    def run(items: Sequence[int]) -> list[int | BaseException]:
        return [ValueError(f"bad {i}") if i == 3 else i for i in items]

    batcher: MicroBatcher[int, int] = MicroBatcher(run, window_s=0.02)
    outcomes = await asyncio.gather(*(batcher.submit(i) for i in range(5)), return_exceptions=True)
    assert outcomes[:3] == [0, 1, 2] and outcomes[4] == 4
    assert isinstance(outcomes[3], ValueError) and str(outcomes[3]) == "bad 3"
    batcher.close()


async def test_a_failing_batch_fails_every_caller_and_the_batcher_recovers() -> None:
    calls = {"n": 0}

    def run(items: Sequence[int]) -> list[int | BaseException]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("model crashed")
        return list(items)

    batcher: MicroBatcher[int, int] = MicroBatcher(run, window_s=0.02)
    outcomes = await asyncio.gather(*(batcher.submit(i) for i in range(3)), return_exceptions=True)
    assert all(isinstance(o, RuntimeError) for o in outcomes)
    assert await batcher.submit(7) == 7
    batcher.close()


async def test_the_batch_runs_in_a_worker_thread_and_the_loop_stays_free() -> None:
    threads: list[str] = []

    def run(items: Sequence[int]) -> list[int | BaseException]:
        threads.append(threading.current_thread().name)
        time.sleep(0.3)
        return list(items)

    batcher: MicroBatcher[int, int] = MicroBatcher(run, window_s=0.0, name="test-batch")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.ensure_future(ticker())
    assert await batcher.submit(1) == 1
    task.cancel()
    assert threads and threads[0].startswith("test-batch")
    assert ticks >= 10  # the loop kept ticking while the batch slept for 0.3 s
    batcher.close()


async def test_a_cancelled_caller_does_not_disturb_the_others() -> None:
    seen: list[list[int]] = []
    batcher: MicroBatcher[int, int] = MicroBatcher(_doubler(seen, delay=0.05), window_s=0.02)
    keep = [asyncio.ensure_future(batcher.submit(i)) for i in range(3)]
    dropped = asyncio.ensure_future(batcher.submit(99))
    await asyncio.sleep(0)
    dropped.cancel()
    assert await asyncio.gather(*keep) == [0, 2, 4]
    assert 99 not in [x for batch in seen for x in batch]
    batcher.close()


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        MicroBatcher(_doubler([]), max_batch=0)
