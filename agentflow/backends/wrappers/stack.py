"""Compose the standard backend stack — composition, not subclasses.

From the outside in::

    BudgetGate (budget)                          refuses the next call once a limit is reached
      RecordingBackend                           whole-run recording of every answer
        CachedBackend (SQLite)                   repeated requests answered locally (free)
          FallbackBackend                        primary, then each fallback ...
            MeteredBackend (ledger, prices)      ... each call recorded and priced as that provider
              RetryBackend                       ... retried on its own transient failures
                RateLimitedBackend               ... each attempt waits for the shared limiter
                  provider (openai:, anthropic:, ...)

With replay, a ``MeteredBackend(ReplayBackend)`` replaces everything below the gate.

Each layer is optional. :func:`wrap` stacks wrappers around backend objects you already have;
:func:`agentflow.models.stack.build_stack` builds them from ``--backend`` specs (the one builder the
CLI and runner use).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from agentflow.backends.base import Backend
from agentflow.backends.pricing import PriceTable
from agentflow.backends.wrappers.cache import CachedBackend, SqliteCache
from agentflow.backends.wrappers.fallback import FallbackBackend, FallbackHook
from agentflow.backends.wrappers.ledger import Budget, BudgetGate, CallHook, CostLedger, MeteredBackend
from agentflow.backends.wrappers.ratelimit import RateLimitedBackend, RateLimiter
from agentflow.backends.wrappers.record import RecordingBackend, ReplayBackend, ReplayStore
from agentflow.backends.wrappers.retry import RetryBackend, RetryHook, RetryPolicy
from agentflow.redact import Redactor

__all__ = ["wrap"]


def _member(backend: Backend, retry: RetryPolicy | None, rate_limit: RateLimiter | None,
            on_retry: RetryHook | None, meter: Callable[[Backend], Backend]) -> Backend:
    layered: Backend = backend
    if rate_limit is not None:
        layered = RateLimitedBackend(layered, rate_limit)
    if retry is not None:
        layered = RetryBackend(layered, retry, on_retry=on_retry)
    return meter(layered)


def wrap(
    backend: Backend,
    *,
    retry: RetryPolicy | None = None,
    fallback: Sequence[Backend] = (),
    cache: SqliteCache | None = None,
    rate_limit: RateLimiter | None = None,
    record: str | Path | RecordingBackend | None = None,
    replay: ReplayStore | None = None,
    ledger: CostLedger | None = None,
    budget: Budget | None = None,
    prices: PriceTable | None = None,
    on_call: CallHook | None = None,
    on_retry: RetryHook | None = None,
    on_fallback: FallbackHook | None = None,
    redactor: Redactor | None = None,
) -> Backend:
    """Stack wrappers around ``backend`` (and ``fallback`` backends) in the standard order.

    Args:
        backend: the primary backend.
        retry: retry policy applied to the primary and to each fallback separately.
        fallback: backends tried in order when the primary (after its retries) fails.
        cache: a shared SQLite response cache.
        rate_limit: a limiter shared by every backend on the same account.
        record: a JSONL path (or an existing recorder to share its file) to record every answer to.
        replay: answer only from this recording; ``backend`` and ``fallback`` are then never called.
        ledger: the run's cost ledger; a budget or prices without one get a fresh ledger.
        budget: hard limits, checked before each call.
        prices: the price table (defaults: :class:`PriceTable`).
        on_call / on_retry / on_fallback: observers (e.g. to emit trace events).
        redactor: hides secrets in the request copies a recording keeps.
    """
    if record is not None and replay is not None:
        raise ValueError("record and replay are exclusive")
    if ledger is None and (budget is not None or prices is not None or on_call is not None):
        ledger = CostLedger()
    run_ledger = ledger

    def meter(inner: Backend) -> Backend:
        if run_ledger is None:
            return inner
        return MeteredBackend(inner, run_ledger, prices=prices, on_call=on_call)

    layered: Backend
    if replay is not None:
        layered = meter(ReplayBackend(replay, name=backend.name))
    else:
        members = [_member(b, retry, rate_limit, on_retry, meter) for b in (backend, *fallback)]
        layered = members[0] if len(members) == 1 else FallbackBackend(members, on_fallback=on_fallback)
        if cache is not None:
            layered = CachedBackend(layered, cache, namespace=backend.name)
        if isinstance(record, RecordingBackend):
            layered = record.share(layered)
        elif record is not None:
            layered = RecordingBackend(layered, record, redactor=redactor)
    if budget is not None and run_ledger is not None:
        layered = BudgetGate(layered, run_ledger, budget)
    return layered
