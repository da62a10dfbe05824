"""Backend wrappers — retry, fallback, cache, record/replay, rate limit, cost ledger and budgets —
and :func:`wrap` to compose them (:func:`agentflow.models.build_stack` builds them from
specs). Each wrapper takes a backend and is one."""

from agentflow.backends.wrappers.cache import CachedBackend, SqliteCache
from agentflow.backends.wrappers.fallback import FallbackBackend
from agentflow.backends.wrappers.ledger import Budget, BudgetGate, CostLedger, MeteredBackend, ModelCall
from agentflow.backends.wrappers.ratelimit import RateLimitedBackend, RateLimiter
from agentflow.backends.wrappers.record import RecordingBackend, ReplayBackend, ReplayMissing, ReplayStore
from agentflow.backends.wrappers.retry import RetryBackend, RetryPolicy
from agentflow.backends.wrappers.stack import wrap

__all__ = [
    "Budget",
    "BudgetGate",
    "CachedBackend",
    "CostLedger",
    "FallbackBackend",
    "MeteredBackend",
    "ModelCall",
    "RateLimitedBackend",
    "RateLimiter",
    "RecordingBackend",
    "ReplayBackend",
    "ReplayMissing",
    "ReplayStore",
    "RetryBackend",
    "RetryPolicy",
    "SqliteCache",
    "wrap",
]
