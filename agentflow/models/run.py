"""The one place that builds a run's model backends: every role's wrapper stack, sharing run-wide state.

A run (guided or executed) makes one :class:`RunModels` from :class:`ModelOptions` (the CLI flags
``--retries``, ``--fallback``, ``--cache``, ``--record`` / ``--replay``, ``--max-*``, ``--timeout``,
``--prices``). It builds each distinct backend spec once with the one stack
builder (:func:`agentflow.models.stack.build_stack_parts`) and shares ONE :class:`CostLedger`, ONE response cache,
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
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from agentflow.backends.base import Backend, ChatRequest, ChatResponse, StreamChunk
from agentflow.backends.pricing import PriceTable
from agentflow.backends.wrappers import CachedBackend, CostLedger, RecordingBackend, ReplayStore, SqliteCache, wrap
from agentflow.backends.wrappers._common import aclose_all
from agentflow.models.choice import BackendArg, BackendChoice
from agentflow.models.options import ModelOptions
from agentflow.models.providers import BuildContext, Providers, default_spec
from agentflow.models.resolve import RoleBackends
from agentflow.models.spec import BackendSpec, parse_spec
from agentflow.models.stack import build_stack_parts
from agentflow.redact import Redactor

__all__ = ["ModelOptions", "ModelStack", "RunModels"]

_TEST = parse_spec("test")


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
        providers: the provider table (default: the shipped providers plus ``test`` and ``scripted:``).
    """

    def __init__(self, options: ModelOptions | None = None, *, environ: Mapping[str, str] | None = None,
                 base_dir: Path | None = None, redactor: Redactor | None = None,
                 providers: Providers | None = None) -> None:
        self.options = options or ModelOptions()
        self.providers = providers or Providers()
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
        self._fallback = tuple(parse_spec(f, where="--fallback") for f in self.options.fallback)
        self._adopted: dict[int, Backend] = {}
        self._pool: RunModels | None = None  # set for the models of one session of many (for_session)
        self._providers: dict[str, Backend] = {}  # a pool's providers, shared by its sessions
        self._own: list[Backend] = []  # a session's providers that are not the pool's (scripts)

    def for_session(self) -> RunModels:
        """Models for one session of many (an evaluation): its own ledger and budget; this pool's
        providers (a local model loads once), cache, recording and replay store shared. Its
        :meth:`aclose` leaves the shared parts open: close the pool at the end."""
        child = RunModels(replace(self.options, cache=None, replay=None, prices=None), environ=self.environ,
                          base_dir=self.base_dir, redactor=self.redactor, providers=self.providers)
        child.options, child.cache, child.replay, child.prices = self.options, self.cache, self.replay, self.prices
        child._pool = self
        return child

    def _provider(self, spec: BackendSpec, roles: frozenset[str] | None) -> Backend:
        """A provider for a stack: built here, or the pool's shared one (scripts hold a cursor: never shared)."""
        ctx = BuildContext(self.environ, self.base_dir, roles)
        if self._pool is not None and not spec.scripted:
            pool = self._pool
            if spec.text not in pool._providers:
                pool._providers[spec.text] = self.providers.build(spec, ctx)
            return pool._providers[spec.text]
        provider = self.providers.build(spec, ctx)
        if self._pool is not None:
            self._own.append(provider)
        return provider

    def build(self, spec: str | BackendSpec, *, roles: set[str] | frozenset[str] | None = None) -> ModelStack:
        """The stack for ``spec`` (built once per spec, then shared by every role that names it).

        ``roles`` only tells a ``scripted:`` backend whom it speaks for, so only scripts are told apart
        by it: two roles that name the same local model share one loaded copy and batch together.
        """
        parsed = parse_spec(spec)
        speaks = frozenset(roles) if roles is not None and parsed.scripted else None
        key = (parsed.text, speaks)
        if key not in self._stacks:
            self._stacks[key] = self._make(parsed, speaks)
        return self._stacks[key]

    def _make(self, spec: BackendSpec, roles: frozenset[str] | None) -> ModelStack:
        stack, provider = build_stack_parts(
            spec, provider=lambda s: self._provider(s, roles), fallback=self._fallback,
            retry=self.options.retry_for(spec), cache=self.cache, record=self._record_target(),
            replay=self.replay, ledger=self.ledger, budget=self.budget, prices=self.prices, redactor=self.redactor)
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
            fallbacks = [self._provider(s, None) for s in self._fallback]
            stack = wrap(backend, fallback=fallbacks, cache=self.cache, record=self._record_target(),
                         replay=self.replay, ledger=self.ledger, budget=self.budget, prices=self.prices,
                         redactor=self.redactor)
            self._keep_recorder(stack)
            self._adopted[id(backend)] = ModelStack(stack, backend)
        return self._adopted[id(backend)]

    # -- choosing backends per role: ONE path for guided and executed runs -------------------------

    def resolve(self, choice: BackendArg | RoleBackends, roles: Sequence[str] | None = None, *,
                speaker: str | None = None, strict: bool = False) -> RoleBackends:
        """Role name -> backend, from a spec, ``--backend`` values, a backend object, a mapping
        (``"*"``: the default) or a :class:`~agentflow.models.choice.BackendChoice`.

        A role uses its own entry, else the ``"*"`` entry, else ``test`` when the choice scripts some
        role or names backend objects (such a run stays offline), else the default provider
        (:func:`~agentflow.models.providers.default_spec`). Objects are adopted (:meth:`adopt`), specs
        built once each (:meth:`build`). An already resolved :class:`RoleBackends` is returned as it is,
        so a run resolves its backends once.

        Args:
            roles: the roles there are, when known (the result maps them).
            strict: a ``ROLE=SPEC`` naming none of ``roles`` is a :class:`~agentflow.errors.UserError`
                (``agentflow run``: a typo must not be silently ignored; an evaluation's overrides may
                name roles only some of its workflows have, so it is not strict).
            speaker: the role every ``scripted:`` spec speaks for (the guided agent); by default a
                spec named for one role speaks for that role and the default for all.
        """
        if isinstance(choice, RoleBackends):
            return choice
        chosen = BackendChoice.of(choice)
        if strict and roles is not None:
            chosen.check_roles(roles)
        named = chosen.named()
        offline = any(not isinstance(e, BackendSpec) or e.scripted for e in named.values())

        def backend_for(role: str) -> Backend:
            entry = chosen.entry_for(role)
            if entry is not None and not isinstance(entry, BackendSpec):
                return self.adopt(entry)
            spec = entry if entry is not None else _TEST if offline else default_spec(self.environ)
            speaks = {speaker} if speaker else ({role} if role in named else None)
            return self.build(spec, roles=speaks)

        return RoleBackends(chosen, backend_for, roles)

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
