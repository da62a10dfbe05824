"""The ONE builder of a backend's wrapper stack from a spec: retries, fallback, cache, record/replay,
budget and ledger, in the order :func:`agentflow.backends.wrappers.wrap` documents.

:func:`build_stack` is what :class:`~agentflow.models.run.RunModels` (every CLI and SDK run) uses, and
what an app calls to get one wrapped backend from a spec. ``wrap`` (in ``backends/wrappers``) stacks
wrappers around backend objects; this module adds the part that needs specs: building the provider
(or none, for a replay), the fallbacks, and the default retry policy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from agentflow.backends.base import Backend
from agentflow.backends.pricing import PriceTable
from agentflow.backends.wrappers.cache import SqliteCache
from agentflow.backends.wrappers.fallback import FallbackHook
from agentflow.backends.wrappers.ledger import Budget, CallHook, CostLedger
from agentflow.backends.wrappers.ratelimit import RateLimiter
from agentflow.backends.wrappers.record import RecordingBackend, ReplayBackend, ReplayStore
from agentflow.backends.wrappers.retry import RetryHook, RetryPolicy
from agentflow.backends.wrappers.stack import wrap
from agentflow.models.providers import build_backend
from agentflow.models.spec import BackendSpec, parse_spec
from agentflow.redact import Redactor

__all__ = ["ProviderFn", "build_stack", "build_stack_parts", "retry_policy"]

ProviderFn = Callable[[BackendSpec], Backend]
"""Builds (or shares) the bare provider for a spec; :class:`RunModels` passes its pooled one."""


def retry_policy(spec: str | BackendSpec, retries: int | None = None) -> RetryPolicy | None:
    """The retry policy for ``spec``: none for the deterministic test backends or ``retries=0``,
    the default policy (3 retries) for ``None``, else ``retries`` retries."""
    if retries == 0 or parse_spec(spec).offline:
        return None
    return RetryPolicy() if retries is None else RetryPolicy(attempts=retries + 1)


def build_stack_parts(
    spec: str | BackendSpec,
    *,
    provider: ProviderFn,
    fallback: Sequence[str | BackendSpec] = (),
    retry: RetryPolicy | None = None,
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
) -> tuple[Backend, Backend]:
    """``(stack, provider)`` for ``spec``: the provider is what the stack wraps (a replay's store
    reader when replaying), kept for scripts' cursors and their "left unused" check."""
    primary = parse_spec(spec)
    if replay is not None:  # no provider at all: a replayed run needs no key and no model
        bare: Backend = ReplayBackend(replay, name=primary.text)
        return wrap(bare, replay=replay, ledger=ledger, budget=budget, prices=prices, on_call=on_call), bare
    bare = provider(primary)
    fallbacks = [provider(parse_spec(s, where="--fallback")) for s in fallback]
    stack = wrap(bare, retry=retry, fallback=fallbacks, cache=cache, rate_limit=rate_limit, record=record,
                 ledger=ledger, budget=budget, prices=prices, on_call=on_call, on_retry=on_retry,
                 on_fallback=on_fallback, redactor=redactor)
    return stack, bare


def build_stack(
    spec: str | BackendSpec,
    *,
    environ: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
    roles: set[str] | None = None,
    fallback: Sequence[str | BackendSpec] = (),
    retry: RetryPolicy | None = None,
    cache: SqliteCache | str | Path | None = None,
    rate_limit: RateLimiter | None = None,
    record: str | Path | RecordingBackend | None = None,
    replay: ReplayStore | str | Path | None = None,
    ledger: CostLedger | None = None,
    budget: Budget | None = None,
    prices: PriceTable | None = None,
    on_call: CallHook | None = None,
    on_retry: RetryHook | None = None,
    on_fallback: FallbackHook | None = None,
    redactor: Redactor | None = None,
) -> Backend:
    """Build ``spec`` (and ``fallback`` specs) and wrap them.

    ``retry`` defaults to :func:`retry_policy` (3 retries for networked providers, none for
    ``test``/``scripted:``). With ``replay``, no provider is built, so a replayed run needs no API key.
    Paths for ``cache`` / ``replay`` are opened here; pass the objects to share them between stacks.

    Raises:
        UserError: a bad spec, a missing key, a missing recording.
    """
    parsed = parse_spec(spec)

    def provider(s: BackendSpec) -> Backend:
        return build_backend(s, environ=environ, base_dir=base_dir, roles=roles)

    stack, _ = build_stack_parts(
        parsed, provider=provider, fallback=fallback,
        retry=retry if retry is not None else retry_policy(parsed),
        cache=SqliteCache(cache) if isinstance(cache, str | Path) else cache, rate_limit=rate_limit,
        record=record, replay=ReplayStore(replay) if isinstance(replay, str | Path) else replay,
        ledger=ledger, budget=budget, prices=prices, on_call=on_call, on_retry=on_retry,
        on_fallback=on_fallback, redactor=redactor)
    return stack
