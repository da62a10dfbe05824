"""The one place that builds a run's model backends: every role's wrapper stack, sharing run-wide state.

A run (guided or executed) makes one :class:`RunModels` from :class:`ModelOptions` (the CLI flags
``--retries``, ``--fallback``, ``--cache``, ``--record`` / ``--replay``, ``--max-*``, ``--timeout``,
``--prices``). It builds each distinct backend spec once with the standard stack
(:func:`agentflow.backends.wrappers.wrap`) and shares ONE :class:`CostLedger`, ONE response cache,
ONE recording file (or replay store) and ONE :class:`Budget` across all roles, so a budget is a run
budget and the ledger holds every call of the run (per role: calls, tokens, latency, dollars).

The stacks emit no events: the guided session and role calls already emit ``llm_call`` (one source of
truth); the ledger feeds ``run_end`` totals and the per-role tables.

Each stack is returned as a :class:`ModelStack`: a backend that also passes ``position``,
``serves`` and ``check_consumed`` through to the provider it wraps, so scripted backends keep working
with durable runs and the "script left unused" check.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from agentflow.backends.base import Backend, ChatRequest, ChatResponse, StreamChunk
from agentflow.backends.pricing import PriceTable
from agentflow.backends.registry import BackendPlan, build_backend, default_spec, parse_backend_args, split_spec
from agentflow.backends.wrappers import (
    Budget,
    CachedBackend,
    CostLedger,
    RecordingBackend,
    ReplayBackend,
    ReplayStore,
    RetryPolicy,
    SqliteCache,
    wrap,
)
from agentflow.backends.wrappers._common import aclose_all
from agentflow.errors import UserError
from agentflow.redact import Redactor

__all__ = ["ModelOptions", "ModelStack", "RunModels"]

_OFFLINE = ("test", "scripted")  # deterministic backends: retrying their errors cannot help


@dataclass(frozen=True)
class ModelOptions:
    """How a run's backends are wrapped (every field optional; the defaults change nothing but retries).

    Args:
        retries: retries after a transient failure (``None``: the default policy, 3 retries, for
            networked providers; ``0``: none).
        fallback: specs tried in order when the primary (after its retries) fails.
        cache: SQLite file answering repeated requests (shared by every role).
        record: JSONL file every answer of the run is appended to.
        replay: JSONL recording that answers every request; nothing else is called, an unseen request
            fails the run.
        max_tokens / max_cost_usd / max_calls / max_seconds: the run's hard budget (all roles together).
        prices: a JSON/YAML price table extending the defaults.
    """

    retries: int | None = None
    fallback: tuple[str, ...] = ()
    cache: str | Path | None = None
    record: str | Path | None = None
    replay: str | Path | None = None
    max_tokens: int | None = None
    max_cost_usd: float | None = None
    max_calls: int | None = None
    max_seconds: float | None = None
    prices: str | Path | None = None

    def __post_init__(self) -> None:
        if self.record is not None and self.replay is not None:
            raise UserError("--record and --replay cannot be used together",
                            hint="record a run first, then replay it in a second run")
        for flag, value in (("--retries", self.retries), ("--max-tokens", self.max_tokens),
                            ("--max-cost", self.max_cost_usd), ("--max-calls", self.max_calls),
                            ("--timeout", self.max_seconds)):
            if value is not None and value < 0:
                raise UserError(f"{flag} must not be negative (got {value})")

    def to_dict(self) -> dict[str, Any]:
        """The options as plain JSON data (paths as strings), e.g. to send them to a Ray worker."""
        return {k: list(v) if isinstance(v, tuple) else str(v) if isinstance(v, Path) else v
                for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelOptions:
        """Options from :meth:`to_dict`'s form (an unknown key is a :class:`UserError`)."""
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise UserError(f"unknown model option(s): {', '.join(unknown)}",
                            hint=f"use {', '.join(f.name for f in fields(cls))}")
        return cls(**{**data, "fallback": tuple(data.get("fallback") or ())})

    @classmethod
    def from_args(cls, args: Any) -> ModelOptions:
        """Options from an ``agentflow run`` namespace (missing attributes: defaults, e.g. older resumes)."""
        def get(name: str) -> Any:
            return getattr(args, name, None)

        return cls(retries=get("retries"), fallback=tuple(get("fallback") or ()), cache=get("cache"),
                   record=get("record"), replay=get("replay"), max_tokens=get("max_tokens"),
                   max_cost_usd=get("max_cost"), max_calls=get("max_calls"), max_seconds=get("timeout"),
                   prices=get("prices"))

    def budget(self) -> Budget | None:
        """The run budget, or ``None`` when no limit is set."""
        limits = (self.max_tokens, self.max_cost_usd, self.max_calls, self.max_seconds)
        if all(v is None for v in limits):
            return None
        return Budget(max_tokens=self.max_tokens, max_cost_usd=self.max_cost_usd, max_calls=self.max_calls,
                      max_seconds=self.max_seconds)

    def retry_for(self, spec: str) -> RetryPolicy | None:
        """The retry policy for ``spec`` (none for the deterministic test backends)."""
        if self.retries == 0 or split_spec(spec)[0] in _OFFLINE:
            return None
        return RetryPolicy() if self.retries is None else RetryPolicy(attempts=self.retries + 1)

    @property
    def wraps_objects(self) -> bool:
        """Whether backend objects given by an app are wrapped too (only when something is asked for)."""
        return bool(self.fallback or self.cache or self.record or self.replay or self.budget() or self.prices)


class ModelStack:
    """A built stack that is a backend, plus the provider it wraps (for scripts' cursors and checks)."""

    def __init__(self, stack: Backend, provider: Backend) -> None:
        self.stack = stack
        self.provider = provider
        self.name = provider.name

    async def complete(self, request: ChatRequest) -> ChatResponse:
        return await self.stack.complete(request)

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        return self.stack.stream(request)

    async def aclose(self) -> None:
        await aclose_all(self.stack)

    @property
    def position(self) -> int:
        value: int = getattr(self.provider, "position")  # noqa: B009 - AttributeError when it has none
        return value

    @position.setter
    def position(self, value: int) -> None:
        self.provider.position = value  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> Any:
        if name in ("stack", "provider"):
            raise AttributeError(name)
        return getattr(self.provider, name)  # check_consumed, serves, steps ... of a scripted backend


class RunModels:
    """Builds and owns the backends of one run; see the module docstring.

    Args:
        options: the wrappers to apply.
        environ: where provider keys are read (default ``os.environ``; read only here).
        base_dir: where relative ``scripted:`` paths are resolved.
        redactor: hides secrets in the request copies a ``record`` file keeps.
    """

    def __init__(self, options: ModelOptions | None = None, *, environ: Mapping[str, str] | None = None,
                 base_dir: Path | None = None, redactor: Redactor | None = None) -> None:
        self.options = options or ModelOptions()
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.base_dir = base_dir
        self.redactor = redactor
        self.ledger = CostLedger()
        self.budget = self.options.budget()
        self.prices = PriceTable.from_file(self.options.prices) if self.options.prices else None
        self.replay = ReplayStore(self.options.replay) if self.options.replay else None
        self.cache = SqliteCache(self.options.cache) if self.options.cache else None
        self._recorder: RecordingBackend | None = None
        self._stacks: dict[tuple[str, frozenset[str] | None], ModelStack] = {}
        self._adopted: dict[int, Backend] = {}
        self._pool: RunModels | None = None  # set for the models of one session of many (for_session)
        self._providers: dict[str, Backend] = {}  # a pool's providers, shared by its sessions
        self._own: list[Backend] = []  # a session's providers that are not the pool's (scripts)

    def for_session(self) -> RunModels:
        """Models for one session of many (an evaluation): its own ledger and budget; this pool's
        providers (a local model loads once), cache, recording and replay store shared. Its
        :meth:`aclose` leaves the shared parts open: close the pool at the end."""
        child = RunModels(replace(self.options, cache=None, replay=None, prices=None), environ=self.environ,
                          base_dir=self.base_dir, redactor=self.redactor)
        child.options, child.cache, child.replay, child.prices = self.options, self.cache, self.replay, self.prices
        child._pool = self
        return child

    def _provider(self, spec: str, roles: set[str] | None) -> Backend:
        """A provider for a stack: built here, or the pool's shared one (scripts hold a cursor: never shared)."""
        if self._pool is not None and not spec.strip().lower().startswith("scripted"):
            pool = self._pool
            if spec not in pool._providers:
                pool._providers[spec] = build_backend(spec, environ=self.environ, base_dir=self.base_dir,
                                                      roles=roles)
            return pool._providers[spec]
        provider = build_backend(spec, environ=self.environ, base_dir=self.base_dir, roles=roles)
        if self._pool is not None:
            self._own.append(provider)
        return provider

    def build(self, spec: str, *, roles: set[str] | None = None) -> ModelStack:
        """The stack for ``spec`` (built once per spec, then shared by every role that names it).

        ``roles`` only tells a ``scripted:`` backend whom it speaks for, so only scripts are told apart
        by it: two roles that name the same local model share one loaded copy and batch together.
        """
        scripted = spec.strip().lower().startswith("scripted")
        key = (spec, frozenset(roles) if roles is not None and scripted else None)
        if key not in self._stacks:
            self._stacks[key] = self._make(spec, roles)
        return self._stacks[key]

    def _make(self, spec: str, roles: set[str] | None) -> ModelStack:
        o = self.options
        if self.replay is not None:  # no provider at all: a replayed run needs no key and no model
            provider: Backend = ReplayBackend(self.replay, name=spec)
            stack = wrap(provider, replay=self.replay, ledger=self.ledger, budget=self.budget, prices=self.prices)
            return ModelStack(stack, provider)
        provider = self._provider(spec, roles)
        fallbacks = [self._provider(s, roles) for s in o.fallback]
        stack = wrap(provider, retry=o.retry_for(spec), fallback=fallbacks, cache=self.cache,
                     record=self._record_target(), ledger=self.ledger, budget=self.budget, prices=self.prices,
                     redactor=self.redactor)
        self._keep_recorder(stack)
        return ModelStack(stack, provider)

    def _record_target(self) -> str | Path | RecordingBackend | None:
        owner = self._pool or self  # the sessions of a pool append to one file through one recorder
        return owner._recorder if owner._recorder is not None else self.options.record

    def _keep_recorder(self, stack: Backend) -> None:
        owner = self._pool or self
        if owner._recorder is None and self.options.record is not None:
            owner._recorder = _find_recorder(stack)  # later stacks append to the same file through it

    def adopt(self, backend: Backend) -> Backend:
        """An app's own backend object: wrapped (once) only when the options ask for something."""
        if not self.options.wraps_objects or isinstance(backend, ModelStack):
            return backend
        if id(backend) not in self._adopted:
            o = self.options
            fallbacks = [self._provider(s, None) for s in o.fallback]
            stack = wrap(backend, fallback=fallbacks, cache=self.cache, record=self._record_target(),
                         replay=self.replay, ledger=self.ledger, budget=self.budget, prices=self.prices,
                         redactor=self.redactor)
            self._keep_recorder(stack)
            self._adopted[id(backend)] = ModelStack(stack, backend)
        return self._adopted[id(backend)]

    # -- choosing backends per role ---------------------------------------------------------------

    def for_guided(self, choice: Any, roles: Sequence[str]) -> dict[str, Backend]:
        """One backend per guided role from a spec, list of specs, plan, mapping or backend object.

        A ``scripted:FILE`` spec scripts the agent; with ``ROLE=scripted:FILE`` the roles the plan does
        not name use the test backend. A mapping's ``"default"`` key is the default.
        """
        if isinstance(choice, Mapping):
            objects = {k: v for k, v in choice.items() if not isinstance(v, str)}
            specs = {k: v for k, v in choice.items() if isinstance(v, str)}
            plan = BackendPlan(default=specs.pop("default", None), per_role=specs)
            built = self.for_guided(plan, roles) if (specs or plan.default) else {}
            default_obj = objects.get("default")
            return {r: self.adopt(objects[r]) if r in objects else built.get(r)
                    or (self.adopt(default_obj) if default_obj is not None else self.build("test", roles={"agent"}))
                    for r in roles}
        if not isinstance(choice, str | BackendPlan | Sequence):
            return dict.fromkeys(roles, self.adopt(choice))
        plan = _as_plan(choice)
        scripted = any(s.startswith("scripted") for s in plan.per_role.values())
        out: dict[str, Backend] = {}
        for role in roles:
            if plan.default or role in plan.per_role:
                spec = plan.spec_for(role, self.environ)
            else:
                spec = "test" if scripted else default_spec(self.environ)
            out[role] = self.build(spec, roles={"agent"})
        return out

    def for_roles(self, choice: Any) -> Callable[[str], Backend]:
        """Role name -> backend for executed runs; a mapping's ``"*"`` key is the default.

        A spec named for one role (``judge=scripted:j.yaml``) serves that role only; the default spec
        is shared by every other role.
        """
        objects: dict[str, Backend] = {}
        if isinstance(choice, Mapping):
            specs = {k: v for k, v in choice.items() if isinstance(v, str)}
            objects = {k: v for k, v in choice.items() if not isinstance(v, str)}
            plan = BackendPlan(default=specs.pop("*", None), per_role=specs)
        elif isinstance(choice, str | BackendPlan | Sequence):
            plan = _as_plan(choice)
        else:
            plan, objects = BackendPlan(), {"*": choice}

        def backend_for(role: str) -> Backend:
            if role in objects:
                return self.adopt(objects[role])
            if role not in plan.per_role and "*" in objects:
                return self.adopt(objects["*"])
            own = role in plan.per_role
            return self.build(plan.spec_for(role, self.environ), roles={role} if own else None)

        return backend_for

    # -- accounting and teardown ------------------------------------------------------------------

    def by_role(self) -> dict[str, dict[str, Any]]:
        """Per role: calls (that reached a model), tokens, latency and cost, from the run's ledger."""
        out: dict[str, dict[str, Any]] = {}
        for role, u in sorted(self.ledger.by_role().items()):
            out[role or "?"] = {"calls": u.calls, "input_tokens": u.input_tokens, "output_tokens": u.output_tokens,
                                "cached_tokens": u.cached_tokens, "latency_s": round(u.latency_s, 6),
                                "cost_usd": round(u.cost_usd, 6)}
        return out

    def totals(self) -> dict[str, Any]:
        """Run totals over every role, plus the per-role breakdown and cache hits."""
        t = self.ledger.totals()
        hits = sum(getattr(s, "hits", 0) for s in _layers(self.backends()))
        return {"model_calls": t.calls, "input_tokens": t.input_tokens, "output_tokens": t.output_tokens,
                "cost_usd": round(t.cost_usd, 6), "latency_s": round(t.latency_s, 6), "cache_hits": hits,
                "failed_calls": sum(1 for r in self.ledger.records if not r.ok), "by_role": self.by_role()}

    def backends(self) -> list[Backend]:
        """Every backend built or adopted for this run."""
        return [*self._stacks.values(), *self._adopted.values()]

    def cache_counts(self) -> tuple[int, int]:
        """Response-cache ``(hits, misses)`` over this run's stacks."""
        layers = {id(x): x for x in _layers(self.backends()) if isinstance(x, CachedBackend)}.values()
        return sum(x.hits for x in layers), sum(x.misses for x in layers)

    def check_consumed(self) -> None:
        """Fail when a script or a replayed recording was left partly unused (the run drifted).

        Scripts are not checked when the cache answered some requests (those never reached them).
        """
        cached = any(getattr(layer, "hits", 0) for layer in _layers(self.backends()))
        for stack in [] if cached else self._stacks.values():
            check = getattr(stack.provider, "check_consumed", None)
            if callable(check):
                check()
        if self.replay is not None and self._pool is None:  # a pool's sessions share it: the pool's owner checks
            self.replay.check_consumed()

    async def aclose(self) -> None:
        """Close the stacks built here (SDK clients; an app's own objects stay open) and the cache
        (a pool's session: only its own providers, i.e. scripts)."""
        if self._pool is not None:
            await aclose_all(*self._own)
            return
        await aclose_all(*self._stacks.values(), *self._providers.values())
        if self.cache is not None:
            self.cache.close()


def _as_plan(choice: str | BackendPlan | Sequence[str]) -> BackendPlan:
    if isinstance(choice, BackendPlan):
        return choice
    return parse_backend_args([choice] if isinstance(choice, str) else list(choice))


def _layers(backends: Iterable[Any]) -> list[Any]:
    """Every wrapper layer under these backends (to count cache hits)."""
    out: list[Any] = []
    todo = list(backends)
    while todo:
        b = todo.pop()
        out.append(b)
        for attr in ("stack", "inner"):
            nxt = b.__dict__.get(attr) if hasattr(b, "__dict__") else None
            if nxt is not None:
                todo.append(nxt)
    return out


def _find_recorder(stack: Backend) -> RecordingBackend | None:
    for layer in _layers([stack]):
        if isinstance(layer, RecordingBackend):
            return layer
    return None
