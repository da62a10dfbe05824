"""The run-level model options (``--retries``, ``--fallback``, ``--cache``, ``--record`` / ``--replay``,
``--max-*``, ``--timeout``, ``--prices``) as one value, shared by guided and executed runs and sent to
Ray workers as plain data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from agentflow.backends.wrappers.ledger import Budget
from agentflow.backends.wrappers.retry import RetryPolicy
from agentflow.errors import UserError
from agentflow.models.spec import BackendSpec
from agentflow.models.stack import retry_policy

__all__ = ["ModelOptions"]


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

    def budget(self) -> Budget | None:
        """The run budget, or ``None`` when no limit is set."""
        limits = (self.max_tokens, self.max_cost_usd, self.max_calls, self.max_seconds)
        if all(v is None for v in limits):
            return None
        return Budget(max_tokens=self.max_tokens, max_cost_usd=self.max_cost_usd, max_calls=self.max_calls,
                      max_seconds=self.max_seconds)

    def retry_for(self, spec: str | BackendSpec) -> RetryPolicy | None:
        """The retry policy for ``spec`` (none for the deterministic test backends)."""
        return retry_policy(spec, self.retries)

    @property
    def wraps_objects(self) -> bool:
        """Whether backend objects given by an app are wrapped too (only when something is asked for)."""
        return bool(self.fallback or self.cache or self.record or self.replay or self.budget() or self.prices)
