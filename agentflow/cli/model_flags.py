"""The run-level model flags (retries, fallback, cache, record/replay, budgets, prices), shared by
``agentflow run``, ``agentflow eval`` and the other commands that run models."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentflow.models import ModelOptions

__all__ = ["add_model_flags", "model_options"]


def model_options(args: Any) -> ModelOptions:
    """The options from an ``agentflow run`` / ``eval`` namespace (a missing attribute: its default, e.g.
    a namespace rebuilt by ``agentflow resume`` from an older run)."""
    from agentflow.models import ModelOptions

    def get(name: str) -> Any:
        return getattr(args, name, None)

    return ModelOptions(retries=get("retries"), fallback=tuple(get("fallback") or ()), cache=get("cache"),
                        record=get("record"), replay=get("replay"), max_tokens=get("max_tokens"),
                        max_cost_usd=get("max_cost"), max_calls=get("max_calls"), max_seconds=get("timeout"),
                        prices=get("prices"))


def add_model_flags(p: argparse.ArgumentParser, scope: str = "run") -> None:
    """The run-level model flags (agentflow.models.ModelOptions), shared by both modes.

    ``scope`` names what a budget limits in the help texts (``agentflow eval``: each ``session``).
    """
    g = p.add_argument_group("models", f"retries, fallback, cache, record/replay and the {scope} budget (all roles)")
    g.add_argument("--retries", type=int, metavar="N",
                   help="retries after a transient model failure (default 3 for networked backends; 0 disables)")
    g.add_argument("--fallback", action="append", default=[], metavar="SPEC",
                   help="backend tried when the primary fails after its retries (repeatable, in order)")
    g.add_argument("--cache", metavar="DB", help="SQLite response cache: repeated requests cost nothing")
    g.add_argument("--record", metavar="FILE.jsonl",
                   help="record every model answer of the " + ("run" if scope == "run" else f"{scope}s, in one file"))
    g.add_argument("--replay", metavar="FILE.jsonl",
                   help=f"answer from a recording only (no model, no key); an unseen request fails the {scope}")
    g.add_argument("--max-cost", type=float, metavar="USD",
                   help=f"stop the {scope} before the next call past this cost")
    g.add_argument("--max-tokens", type=int, metavar="N", help=f"stop the {scope} once this many tokens are used")
    g.add_argument("--max-calls", type=int, metavar="N", help=f"stop the {scope} after this many model calls")
    g.add_argument("--timeout", type=float, metavar="SECONDS", help=f"stop the {scope} after this many seconds")
    g.add_argument("--prices", metavar="FILE", help="price table (JSON/YAML) extending the built-in prices")
