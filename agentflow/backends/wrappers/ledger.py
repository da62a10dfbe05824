"""The cost ledger (one record per model call: tokens, latency, dollars; per role call: repairs) and
the ONE budget type of a run.

:class:`MeteredBackend` wraps each provider of a stack and records its calls in the run's
:class:`CostLedger`; :class:`BudgetGate`, the outermost wrapper, checks the :class:`Budget` against that
ledger before each call and refuses with :class:`~agentflow.errors.BudgetExceeded` once a limit is
reached — the run stops cleanly between calls, never with a half-delivered answer. A call that starts
under budget completes and is recorded even if it crosses a limit; the next call is refused. The time
budget also bounds a call in flight.

Dollars come from a :class:`~agentflow.backends.pricing.PriceTable`; local models (``hf:``, ``local``,
``vllm:``) are charged by compute time (the call's wall time). Cache hits (``usage.calls == 0``) cost 0.

Executed workflows also account role calls here (:meth:`CostLedger.add_role_call`: a role call is one
or more model calls, the extra ones repairs) and check the same :class:`Budget`'s role-call, token and
cost limits between role calls (:meth:`Budget.check_role_call`, :meth:`Budget.check_spent`).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from agentflow.backends.base import Backend, ChatRequest, ChatResponse, StreamChunk
from agentflow.backends.pricing import PriceTable, is_local
from agentflow.backends.wrappers._common import ResponseBuilder, aclose_all
from agentflow.errors import BudgetExceeded
from agentflow.messages import Usage

__all__ = ["Budget", "BudgetGate", "CostLedger", "MeteredBackend", "ModelCall", "RoleStats"]


@dataclass(frozen=True)
class ModelCall:
    """One model call as the ledger saw it."""

    backend: str
    model: str
    role: str
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    latency_s: float
    compute_s: float
    cost_usd: float
    provider_calls: int
    ok: bool
    error: str = ""

    def event_fields(self) -> dict[str, Any]:
        """Fields for an ``llm_call`` trace event."""
        return asdict(self)


@dataclass
class RoleStats:
    """Accumulated cost of one role's calls over a run (a role call may take several model calls)."""

    calls: int = 0
    attempts: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0
    cost_usd: float = 0.0

    @property
    def repairs(self) -> int:
        """Model calls spent repairing invalid output."""
        return self.attempts - self.calls


@dataclass
class CostLedger:
    """All calls of a run, shared by every backend stack of that run. Thread- and task-safe.

    ``records`` holds model calls (from :class:`MeteredBackend`); ``roles`` and :meth:`role_usage`
    the role calls an executed workflow made (:meth:`add_role_call`).
    """

    started: float = field(default_factory=time.monotonic)
    records: list[ModelCall] = field(default_factory=list)
    in_flight: int = 0
    roles: dict[str, RoleStats] = field(default_factory=dict)
    _totals: Usage = field(default_factory=Usage, repr=False)
    _role_totals: Usage = field(default_factory=Usage, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_role_call(self, role: str, usage: Usage, *, attempts: int) -> None:
        """Account one call of ``role`` that took ``attempts`` model calls and used ``usage``."""
        with self._lock:
            st = self.roles.setdefault(role, RoleStats())
            st.calls += 1
            st.attempts += attempts
            st.input_tokens += usage.input_tokens
            st.output_tokens += usage.output_tokens
            st.latency_s += usage.latency_s
            st.cost_usd += usage.cost_usd
            self._role_totals = self._role_totals + usage

    def role_usage(self) -> Usage:
        """Sum over every role call."""
        with self._lock:
            return self._role_totals

    @property
    def role_calls(self) -> int:
        with self._lock:
            return sum(s.calls for s in self.roles.values())

    def add(self, record: ModelCall) -> None:
        with self._lock:
            self.records.append(record)
            self._totals = self._totals + _usage(record)  # kept running: budgets check it on every call

    def totals(self) -> Usage:
        """Sum over every call (``calls`` counts calls that reached a provider)."""
        with self._lock:
            return self._totals

    def by_role(self) -> dict[str, Usage]:
        """Totals per role (``""`` for calls that named none)."""
        out: dict[str, Usage] = {}
        with self._lock:
            records = list(self.records)
        for record in records:
            out[record.role] = out.get(record.role, Usage()) + _usage(record)
        return out

    @property
    def calls(self) -> int:
        """Calls made, cache hits included (every answer the run received, plus failures)."""
        with self._lock:
            return len(self.records)

    def elapsed(self) -> float:
        return time.monotonic() - self.started


def _usage(record: ModelCall) -> Usage:
    return Usage(input_tokens=record.input_tokens, output_tokens=record.output_tokens,
                 cached_tokens=record.cached_tokens, cost_usd=record.cost_usd, latency_s=record.latency_s,
                 calls=record.provider_calls)


@dataclass(frozen=True)
class Budget:
    """Hard limits for a run; ``None`` means unlimited.

    Args:
        max_tokens: input + output tokens over all calls.
        max_cost_usd: dollars over all calls.
        max_calls: calls that reached a model, failed ones included (cache hits are free).
        max_seconds: wall time since the ledger started (an executed workflow's whole graph, tools too).
        max_role_calls: role calls of an executed workflow.
        max_steps: graph node executions of an executed workflow (``None``: the graph's default bound).
    """

    max_tokens: int | None = None
    max_cost_usd: float | None = None
    max_calls: int | None = None
    max_seconds: float | None = None
    max_role_calls: int | None = None
    max_steps: int | None = None

    def check_role_call(self, ledger: CostLedger, role: str, where: str) -> None:
        """Before a role call: raise :class:`BudgetExceeded` when the role-call budget is spent."""
        calls = ledger.role_calls
        if self.max_role_calls is not None and calls >= self.max_role_calls:
            raise BudgetExceeded(
                f"role-call budget of {self.max_role_calls} spent before {role!r} at {where}; the run stopped",
                budget="role_calls", limit=self.max_role_calls, used=calls,
            )

    def check_spent(self, ledger: CostLedger, role: str, where: str) -> None:
        """After a role call: raise :class:`BudgetExceeded` when its tokens or dollars crossed a limit."""
        usage = ledger.role_usage()
        tokens = usage.total_tokens
        if self.max_tokens is not None and tokens > self.max_tokens:
            raise BudgetExceeded(
                f"token budget of {self.max_tokens} exceeded ({tokens} used) after {role!r} at {where}; the run"
                " stopped", budget="tokens", limit=self.max_tokens, used=tokens,
            )
        if self.max_cost_usd is not None and usage.cost_usd > self.max_cost_usd:
            raise BudgetExceeded(
                f"cost budget of ${self.max_cost_usd:.4f} exceeded (${usage.cost_usd:.4f}) after {role!r} at"
                f" {where}; the run stopped", budget="cost", limit=self.max_cost_usd, used=usage.cost_usd,
            )

    def check(self, ledger: CostLedger) -> None:
        """Raise :class:`BudgetExceeded` when a limit is already reached."""
        totals = ledger.totals()
        limits: list[tuple[str, float | None, float]] = [
            ("tokens", self.max_tokens, totals.total_tokens),
            ("cost_usd", self.max_cost_usd, totals.cost_usd),
            ("calls", self.max_calls, ledger.calls + ledger.in_flight),
            ("seconds", self.max_seconds, ledger.elapsed()),
        ]
        for name, limit, used in limits:
            if limit is not None and used >= limit:
                raise BudgetExceeded(f"{name} budget exhausted: used {used:g} of {limit:g}; the run stopped "
                                     "before the next model call", budget=name, limit=float(limit), used=float(used))


CallHook = Callable[[ModelCall], None]


class BudgetGate:
    """Refuses a call with :class:`BudgetExceeded` once the :class:`Budget` is used up.

    It reserves an in-flight slot while a call runs, so concurrent callers cannot overrun a call
    budget, and bounds a call in flight by what is left of the time budget. It records nothing itself:
    the :class:`MeteredBackend` layers below fill the ledger it reads.
    """

    def __init__(self, inner: Backend, ledger: CostLedger, budget: Budget) -> None:
        self.inner = inner
        self.name = inner.name
        self.ledger = ledger
        self.budget = budget

    def _admit(self) -> float | None:
        self.budget.check(self.ledger)
        self.ledger.in_flight += 1
        if self.budget.max_seconds is None:
            return None
        return max(0.0, self.budget.max_seconds - self.ledger.elapsed())

    def _time_up(self) -> BudgetExceeded:
        limit = float(self.budget.max_seconds or 0.0)
        return BudgetExceeded(f"seconds budget exhausted during a model call (limit {limit:g}s)",
                              budget="seconds", limit=limit, used=self.ledger.elapsed())

    async def complete(self, request: ChatRequest) -> ChatResponse:
        remaining = self._admit()
        try:
            if remaining is None:
                return await self.inner.complete(request)
            try:
                async with asyncio.timeout(remaining):
                    return await self.inner.complete(request)
            except TimeoutError:
                raise self._time_up() from None
        finally:
            self.ledger.in_flight -= 1

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        return self._stream(request)

    async def _stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        self._admit()
        try:
            async for chunk in self.inner.stream(request):
                yield chunk
        finally:
            self.ledger.in_flight -= 1

    async def aclose(self) -> None:
        await aclose_all(self.inner)


class MeteredBackend:
    """Records every call to ``inner`` in a :class:`CostLedger` and prices it by ``inner``'s name.

    In a stack it wraps each provider (inside the fallback), so a call answered by a fallback is priced
    as that fallback. The returned response's ``usage`` carries ``cost_usd`` and ``latency_s``.
    ``budget`` is a shortcut for putting a :class:`BudgetGate` in front.
    """

    def __init__(
        self,
        inner: Backend,
        ledger: CostLedger,
        *,
        prices: PriceTable | None = None,
        budget: Budget | None = None,
        on_call: CallHook | None = None,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.ledger = ledger
        self.prices = prices or PriceTable()
        self._on_call = on_call
        self._local = is_local(inner.name)
        self._gate = BudgetGate(_Direct(self), ledger, budget) if budget is not None else None

    def _record(self, request: ChatRequest, response: ChatResponse | None, latency: float,
                error: BaseException | None) -> ChatResponse | None:
        usage = response.usage if response is not None else Usage()
        compute_s = latency if self._local and usage.calls else 0.0
        cost = 0.0
        if response is not None and usage.calls:
            cost = self.prices.cost(self.name, usage, model=response.model, compute_s=compute_s)
        record = ModelCall(
            backend=self.name, model=response.model if response else "", role=request.role,
            input_tokens=usage.input_tokens, output_tokens=usage.output_tokens, cached_tokens=usage.cached_tokens,
            latency_s=latency, compute_s=compute_s, cost_usd=cost, provider_calls=usage.calls,
            ok=error is None, error=f"{type(error).__name__}: {error}" if error else "",
        )
        self.ledger.add(record)
        if self._on_call is not None:
            self._on_call(record)
        if response is None:
            return None
        return response.model_copy(update={"usage": usage.model_copy(update={"cost_usd": cost, "latency_s": latency})})

    async def complete(self, request: ChatRequest) -> ChatResponse:
        if self._gate is not None:
            return await self._gate.complete(request)
        return await self._complete(request)

    async def _complete(self, request: ChatRequest) -> ChatResponse:
        start = time.perf_counter()
        try:
            response = await self.inner.complete(request)
        except Exception as exc:
            self._record(request, None, time.perf_counter() - start, exc)
            raise
        priced = self._record(request, response, time.perf_counter() - start, None)
        assert priced is not None
        return priced

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        if self._gate is not None:
            return self._gate.stream(request)
        return self._stream(request)

    async def _stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        start = time.perf_counter()
        builder = ResponseBuilder(self.inner.name)
        recorded = False
        try:
            async for chunk in self.inner.stream(request):
                builder.add(chunk)
                if chunk.usage is not None and not recorded:  # the last chunk: price it before handing it on
                    priced = self._record(request, builder.build(), time.perf_counter() - start, None)
                    assert priced is not None
                    recorded = True
                    chunk = chunk.model_copy(update={"usage": priced.usage})
                yield chunk
            if not recorded:
                self._record(request, builder.build(), time.perf_counter() - start, None)
        except Exception as exc:
            self._record(request, None, time.perf_counter() - start, exc)
            raise

    async def aclose(self) -> None:
        await aclose_all(self.inner)


class _Direct:
    """The metered backend without its own gate (what the gate calls)."""

    def __init__(self, metered: MeteredBackend) -> None:
        self.name = metered.name
        self._metered = metered

    async def complete(self, request: ChatRequest) -> ChatResponse:
        return await self._metered._complete(request)

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        return self._metered._stream(request)
