"""The out-of-workflow (OOW) taxonomy and the fixed, balanced OOW schedule of an evaluation.

FlowAgent injected OOW user turns at random, so two runs of its protocol saw different mixes of
categories. Here every session gets its OOW slot from a *schedule*: a deterministic function of the
session's index and the seed that rotates through the 3 categories (so they are balanced) and,
within each, through its sub-types, and places the deviation at a seeded turn. The same dataset and
seed always give the same schedule, on any engine.

The taxonomy is FlowAgent's (3 categories, 17 sub-types), shared with the OOW controllers
(:mod:`agentflow.controllers.taxonomy`).
"""

from __future__ import annotations

import random

from pydantic import BaseModel, ConfigDict

from agentflow.controllers.taxonomy import OOW_TAXONOMY, category_of

__all__ = ["OOW_TAXONOMY", "OowSlot", "balanced_schedule", "category_of", "subtypes"]


class OowSlot(BaseModel):
    """One scheduled out-of-workflow user turn: the simulated user deviates at ``turn`` (1-based)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    turn: int
    category: str
    subtype: str


def subtypes() -> list[tuple[str, str]]:
    """Every (category, subtype) pair, in taxonomy order."""
    return [(cat, sub) for cat, subs in OOW_TAXONOMY.items() for sub in subs]


def balanced_schedule(index: int, seed: int, *, max_turn: int = 4, every: int = 1) -> list[OowSlot]:
    """The OOW slots of session ``index``.

    Args:
        index: the session's position among the sessions of the dataset that take part in OOW.
        seed: the evaluation seed; changes where (which turn) deviations happen, never the mix.
        max_turn: deviations happen at a turn in ``2..max_turn`` (turn 1 states the request).
        every: one session in ``every`` gets no deviation at all (1: every session deviates; 4: one
            session in four is an in-workflow control session).

    Returns:
        Zero or one slot. Categories rotate (any ``3k`` consecutive deviating sessions cover each of
        the three categories ``k`` times) and each category cycles through its own sub-types.
    """
    if every > 1 and index % every == every - 1:
        return []
    position = index - (index // every if every > 1 else 0)
    categories = list(OOW_TAXONOMY)
    category = categories[position % len(categories)]
    subs = list(OOW_TAXONOMY[category])
    subtype = subs[(position // len(categories)) % len(subs)]
    rng = random.Random(f"{seed}:{index}")
    turn = rng.randint(2, max(2, max_turn))
    return [OowSlot(turn=turn, category=category, subtype=subtype)]
