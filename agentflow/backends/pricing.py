"""Dollar prices per model for the cost ledger: litellm's bundled cost map, under the user's own table.

Hosted models are priced per million input / output (and cached input) tokens, from the cost map that
the installed litellm ships (:mod:`agentflow.backends._cost_map`, read as JSON, litellm is never
imported) — not from a hand-kept list. Local models are priced by compute time (``per_compute_hour``:
what an hour of the machine costs you — 0 by default, so local runs report their compute seconds and
cost nothing until you say what the machine costs).

A user table (``--prices FILE``, :meth:`PriceTable.from_file`) has ``fnmatch`` patterns over
``provider:model`` (``openai:my-ft-*``, ``hf:*``) as keys and wins over the cost map; among patterns the
longest match wins. Lookup order: the user's patterns, then local providers (free), then the cost map
by model name (``gpt-4o-mini``, ``openai/gpt-4o-mini``, the reported dated name, the name without a
date suffix).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from agentflow.backends._cost_map import load_cost_map
from agentflow.errors import Location, UserError
from agentflow.messages import Usage

__all__ = ["LOCAL_PROVIDERS", "Price", "PriceTable", "is_local"]

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


_LOCAL_PATTERNS: dict[str, Price] = {"hf:*": Price(), "local*": Price(), "vllm:*": Price()}
_DATE = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8})$")


class PriceTable:
    """Looks up a :class:`Price` for a backend/model. Immutable: :meth:`extend` returns a new table.

    Args:
        prices: the user's patterns -> prices (they win over the defaults).
        include_defaults: also price local providers (free) and everything in litellm's cost map.
        cost_map: the cost map to use (default: the installed litellm's), e.g. for tests.
    """

    def __init__(self, prices: Mapping[str, Price] | None = None, *, include_defaults: bool = True,
                 cost_map: Mapping[str, tuple[float, float, float | None]] | None = None) -> None:
        self._prices: dict[str, Price] = dict(prices or {})
        self._defaults = include_defaults
        self._cost_map = cost_map
        self._memo: dict[tuple[str, str], Price | None] = {}  # the table is immutable: lookups can be kept

    def extend(self, prices: Mapping[str, Price | Mapping[str, float]]) -> PriceTable:
        """A new table with these prices added (dicts use :class:`Price` field names or short keys)."""
        merged = {k: v if isinstance(v, Price) else _price(v, k) for k, v in prices.items()}
        return PriceTable({**self._prices, **merged}, include_defaults=self._defaults, cost_map=self._cost_map)

    @classmethod
    def from_file(cls, path: str | Path) -> PriceTable:
        """Defaults extended by a JSON or YAML file ``{"openai:my-model*": {"input": 1.0, "output": 2.0}}``."""
        from agentflow.safeload import load_json, load_yaml, read_text

        file = Path(path)
        text = read_text(file, "price table", hint="pass --prices FILE.json or FILE.yaml")
        data: Any = load_yaml(text, str(file)) if file.suffix in (".yaml", ".yml") else load_json(text, str(file))
        if not isinstance(data, dict):
            raise UserError("price table must map model patterns to prices", location=Location(str(file)),
                            hint='e.g. {"openai:my-model*": {"input": 1.0, "output": 2.0}}')
        try:
            return cls().extend(data)
        except UserError as exc:
            raise UserError(exc.message, location=Location(str(file)), hint=exc.hint) from None

    def lookup(self, backend_name: str, model: str = "") -> Price | None:
        """The price for a backend (``openai:gpt-4o``) or the model it reported; ``None`` if unknown."""
        memo_key = (backend_name, model)
        if memo_key not in self._memo:
            self._memo[memo_key] = self._find(backend_name, model)
        return self._memo[memo_key]

    def _find(self, backend_name: str, model: str) -> Price | None:
        provider, _, spec_model = backend_name.partition(":")
        spec_model = spec_model.partition("?")[0]
        candidates = [backend_name, *([f"{provider}:{model}"] if model else [])]
        for name in list(candidates):  # litellm:openai/gpt-4o is priced like openai:gpt-4o
            _, _, rest = name.partition(":")
            if "/" in rest:
                head, _, tail = rest.partition("/")
                candidates.append(f"{head}:{tail}")
        found = _best(self._prices, candidates)
        if found is not None or not self._defaults:
            return found
        local = _best(_LOCAL_PATTERNS, candidates)
        if local is not None:
            return local
        table = self._cost_map if self._cost_map is not None else load_cost_map()
        for name in (model, spec_model):
            for key in _map_keys(name, provider):
                if key in table:
                    inp, out, cached = table[key]
                    return Price(inp, out, cached)
        return None

    def cost(self, backend_name: str, usage: Usage, *, model: str = "", compute_s: float = 0.0) -> float:
        """Dollars for one call (0.0 when the model is not in the table)."""
        price = self.lookup(backend_name, model)
        return price.cost(usage, compute_s) if price else 0.0


def _best(patterns: Mapping[str, Price], candidates: list[str]) -> Price | None:
    best: tuple[int, Price] | None = None
    for pattern, price in patterns.items():
        if any(fnmatchcase(c, pattern) for c in candidates) and (best is None or len(pattern) > best[0]):
            best = (len(pattern), price)
    return best[1] if best else None


def _map_keys(name: str, provider: str) -> list[str]:
    """Cost-map keys to try for a model name: as is, with/without the provider, without a date."""
    if not name:
        return []
    tail = name.partition("/")[2] if "/" in name else ""
    keys = [name, f"{provider}/{name}", tail]
    keys += [_DATE.sub("", k) for k in keys if k and _DATE.search(k)]
    return [k for k in keys if k]


def _price(value: Mapping[str, float], key: str) -> Price:
    aliases = {"input": "input_per_mtok", "output": "output_per_mtok", "cached_input": "cached_input_per_mtok",
               "hour": "per_compute_hour"}
    fields: dict[str, float] = {}
    hint = "use input, output, cached_input (USD per million tokens) or hour (USD)"
    if not isinstance(value, Mapping):
        raise UserError(f"the price of {key!r} must be a mapping, not {type(value).__name__}", hint=hint)
    for name, amount in value.items():
        field = aliases.get(name, name)
        if field not in Price.__dataclass_fields__:
            raise UserError(f"unknown price field {name!r} for {key!r}", hint=hint)
        if isinstance(amount, bool) or not isinstance(amount, int | float) or not 0 <= amount <= 1e300:
            raise UserError(f"price field {name!r} for {key!r} must be a number >= 0, not {amount!r}", hint=hint)
        fields[field] = float(amount)
    return Price(**fields)
