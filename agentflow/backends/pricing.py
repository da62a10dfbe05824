"""Dollar prices per model, which the user can extend, for the cost ledger.

Hosted models are priced per million input / output (and cached input) tokens; local models by compute
time (``per_compute_hour``: what an hour of the machine costs you — 0 by default, so local runs report
their compute seconds and cost nothing until you say what the machine costs).

Keys are ``fnmatch`` patterns over ``provider:model`` (``openai:gpt-4o-mini*``, ``hf:*``); the longest
matching pattern wins, so ``gpt-4o-mini`` is not priced as ``gpt-4o``. The bundled prices are the
providers' list prices when this was written — override them with your own table.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from agentflow.errors import Location, UserError
from agentflow.messages import Usage

__all__ = ["DEFAULT_PRICES", "LOCAL_PROVIDERS", "Price", "PriceTable", "is_local"]

LOCAL_PROVIDERS = frozenset({"hf", "local", "vllm"})
"""Backend name prefixes that run on your own machine (priced by compute time). ``vllm+http`` servers
are remote from agentflow's point of view, but you can price them per token or per hour too."""


def is_local(backend_name: str) -> bool:
    """Whether a backend (``hf:...``, ``local``, in-process ``vllm:...``) runs on this machine."""
    return backend_name.partition(":")[0] in LOCAL_PROVIDERS


@dataclass(frozen=True)
class Price:
    """USD per million tokens, and per hour of compute for local models."""

    input_per_mtok: float = 0.0
    output_per_mtok: float = 0.0
    cached_input_per_mtok: float | None = None
    per_compute_hour: float = 0.0

    def cost(self, usage: Usage, compute_s: float = 0.0) -> float:
        """What one call with this usage costs."""
        cached = min(usage.cached_tokens, usage.input_tokens)
        cached_rate = self.input_per_mtok if self.cached_input_per_mtok is None else self.cached_input_per_mtok
        tokens = ((usage.input_tokens - cached) * self.input_per_mtok + cached * cached_rate
                  + usage.output_tokens * self.output_per_mtok) / 1_000_000
        return tokens + self.per_compute_hour * compute_s / 3600.0


DEFAULT_PRICES: dict[str, Price] = {
    "openai:gpt-4o*": Price(2.50, 10.00, 1.25),
    "openai:gpt-4o-mini*": Price(0.15, 0.60, 0.075),
    "openai:gpt-4.1*": Price(2.00, 8.00, 0.50),
    "openai:gpt-4.1-mini*": Price(0.40, 1.60, 0.10),
    "openai:gpt-4.1-nano*": Price(0.10, 0.40, 0.025),
    "openai:o3-mini*": Price(1.10, 4.40, 0.55),
    "openai:o4-mini*": Price(1.10, 4.40, 0.275),
    "anthropic:claude-3-5-haiku*": Price(0.80, 4.00, 0.08),
    "anthropic:claude-3-haiku*": Price(0.25, 1.25, 0.03),
    "anthropic:claude-3-5-sonnet*": Price(3.00, 15.00, 0.30),
    "anthropic:claude-3-7-sonnet*": Price(3.00, 15.00, 0.30),
    "anthropic:claude-sonnet-4*": Price(3.00, 15.00, 0.30),
    "anthropic:claude-haiku-4*": Price(1.00, 5.00, 0.10),
    "anthropic:claude-opus-4*": Price(15.00, 75.00, 1.50),
    "anthropic:claude-opus-4-5*": Price(5.00, 25.00, 0.50),
    "hf:*": Price(),
    "local*": Price(),
    "vllm:*": Price(),
}


class PriceTable:
    """Looks up a :class:`Price` for a backend/model. Immutable: :meth:`extend` returns a new table.

    Args:
        prices: pattern -> price; merged over the defaults unless ``include_defaults`` is false.
        include_defaults: start from :data:`DEFAULT_PRICES`.
    """

    def __init__(self, prices: Mapping[str, Price] | None = None, *, include_defaults: bool = True) -> None:
        self._prices: dict[str, Price] = dict(DEFAULT_PRICES) if include_defaults else {}
        self._prices.update(prices or {})
        self._memo: dict[tuple[str, str], Price | None] = {}  # the table is immutable: lookups can be kept

    def extend(self, prices: Mapping[str, Price | Mapping[str, float]]) -> PriceTable:
        """A new table with these prices added (dicts use :class:`Price` field names or short keys)."""
        merged = {k: v if isinstance(v, Price) else _price(v, k) for k, v in prices.items()}
        return PriceTable({**self._prices, **merged}, include_defaults=False)

    @classmethod
    def from_file(cls, path: str | Path) -> PriceTable:
        """Defaults extended by a JSON or YAML file ``{"openai:my-model*": {"input": 1.0, "output": 2.0}}``."""
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot read price table: {exc.strerror}", location=Location(str(file))) from None
        data: Any
        if file.suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
        if not isinstance(data, dict):
            raise UserError("price table must map model patterns to prices", location=Location(str(file)),
                            hint='e.g. {"openai:my-model*": {"input": 1.0, "output": 2.0}}')
        return cls().extend(data)

    def lookup(self, backend_name: str, model: str = "") -> Price | None:
        """The price for a backend (``openai:gpt-4o``) or the model it reported; ``None`` if unknown."""
        memo_key = (backend_name, model)
        if memo_key in self._memo:
            return self._memo[memo_key]
        candidates = [backend_name]
        provider = backend_name.partition(":")[0]
        if model:
            candidates.append(f"{provider}:{model}")
        for name in list(candidates):  # litellm:openai/gpt-4o is priced like openai:gpt-4o
            _, _, rest = name.partition(":")
            if "/" in rest:
                head, _, tail = rest.partition("/")
                candidates.append(f"{head}:{tail}")
        best: tuple[int, Price] | None = None
        for pattern, price in self._prices.items():
            if any(fnmatchcase(c, pattern) for c in candidates) and (best is None or len(pattern) > best[0]):
                best = (len(pattern), price)
        found = best[1] if best else None
        self._memo[memo_key] = found
        return found

    def cost(self, backend_name: str, usage: Usage, *, model: str = "", compute_s: float = 0.0) -> float:
        """Dollars for one call (0.0 when the model is not in the table)."""
        price = self.lookup(backend_name, model)
        return price.cost(usage, compute_s) if price else 0.0


def _price(value: Mapping[str, float], key: str) -> Price:
    aliases = {"input": "input_per_mtok", "output": "output_per_mtok", "cached_input": "cached_input_per_mtok",
               "hour": "per_compute_hour"}
    fields: dict[str, float] = {}
    for name, amount in value.items():
        field = aliases.get(name, name)
        if field not in Price.__dataclass_fields__:
            raise UserError(f"unknown price field {name!r} for {key!r}",
                            hint="use input, output, cached_input (USD per million tokens) or hour (USD)")
        fields[field] = float(amount)
    return Price(**fields)
