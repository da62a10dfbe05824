"""The evaluation dataset: one JSON object per line, one *case* per object.

A case names a workflow and how its user behaves, and says what a good session looks like::

    {"id": "flight-p0", "workflow": "pdl/000.yaml", "tools_spec": "tools/000.yaml",
     "user": {"profile": {"persona": "...", "user_needs": "..."}},
     "oow": [{"turn": 2, "category": "Intent Switching", "subtype": "Detail Switching"}],
     "expected_apis": ["checkAvailability", "reserveFlight"], "seed": 7}

    {"id": "invoice-1", "workflow": "pdl/001.yaml", "user": {"turns": ["I need an invoice", "10086"]}}

    {"id": "math-3", "kind": "role", "workflow": "workflows/critic_loop.pdl",
     "input": {"question": "2+2?"}, "expected_answer": "4"}

Relative paths are relative to the dataset file. ``"oow": "balanced"`` asks for a slot from the fixed
balanced schedule (:func:`agentflow.eval.oow.balanced_schedule`). When a case gives no
``preconditions`` they are read from the workflow's ``APIs`` section, so compliance can be audited
independently of the controllers that enforced it. docs/eval.md documents every field.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agentflow.errors import Location, UserError
from agentflow.eval.oow import OowSlot, balanced_schedule
from agentflow.safeload import load_json, read_text, read_yaml

__all__ = ["EvalCase", "RefTurn", "UserSpec", "dump_dataset", "load_dataset", "read_api_rules"]


class UserSpec(BaseModel):
    """How the user behaves: a simulated user from a profile, or scripted messages (exactly one)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    profile: dict[str, Any] | None = None
    turns: list[str] | None = None

    @model_validator(mode="after")
    def _one(self) -> UserSpec:
        if (self.profile is None) == (self.turns is None):
            raise ValueError("`user` needs exactly one of `profile` or `turns`")
        return self


class RefTurn(BaseModel):
    """One turn of a reference (gold) conversation, for turn-level evaluation with teacher forcing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Literal["user", "agent"]
    text: str = ""
    call: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)


class EvalCase(BaseModel):
    """One evaluation case (one line of the dataset)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    kind: Literal["session", "role"] = "session"
    workflow: str
    tools: str | None = None
    tools_spec: str | None = None
    user: UserSpec | None = None
    input: dict[str, Any] = Field(default_factory=dict)
    expected_apis: list[str] = Field(default_factory=list)
    preconditions: dict[str, list[str]] | None = None
    oow: list[OowSlot] = Field(default_factory=list)
    expected_answer: Any = None
    reference: list[RefTurn] = Field(default_factory=list)
    seed: int = 0
    max_turns: int = 20
    tags: dict[str, str] = Field(default_factory=dict)

    @property
    def oow_category(self) -> str:
        """The category of the case's first OOW slot, ``"none"`` for an in-workflow session."""
        return self.oow[0].category if self.oow else "none"

    @property
    def oow_subtype(self) -> str:
        """The sub-type of the case's first OOW slot, ``"none"`` for an in-workflow session."""
        return self.oow[0].subtype if self.oow else "none"


def read_api_rules(workflow: str | Path) -> dict[str, list[str]]:
    """API -> the APIs that must have run before it, from a FlowAgent-style ``APIs`` section.

    Returns an empty mapping when the file has no such section or is not YAML (the case then has
    nothing to audit).
    """
    try:
        raw = read_yaml(workflow, "workflow")
    except UserError:
        return {}
    apis = raw.get("APIs") if isinstance(raw, dict) else None
    rules: dict[str, list[str]] = {}
    for api in apis if isinstance(apis, list) else []:
        if isinstance(api, dict) and isinstance(api.get("name"), str):
            pre = api.get("precondition") or []
            rules[api["name"]] = [str(p) for p in pre] if isinstance(pre, list) else [str(pre)]
    return rules


def load_dataset(path: str | Path, *, seed: int | None = None) -> list[EvalCase]:
    """Read and validate a JSONL dataset; errors name ``path:line:col`` and the fix.

    Args:
        path: the dataset file.
        seed: when given, replaces every case's ``seed`` (and places balanced OOW turns with it).
    """
    p = Path(path)
    lines = read_text(p, "dataset", hint="pass a .jsonl file or a corpus folder").splitlines()
    cases: list[EvalCase] = []
    seen: dict[str, int] = {}
    rules_cache: dict[str, dict[str, list[str]]] = {}
    balanced = 0
    for lineno, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        raw = load_json(line, str(p), lineno)
        if not isinstance(raw, dict):
            raise UserError("a dataset line must be a JSON object", location=Location(str(p), lineno, 1))
        if seed is not None:
            raw["seed"] = seed
        if raw.get("oow") == "balanced":
            raw["oow"] = [s.model_dump() for s in balanced_schedule(balanced, int(raw.get("seed", 0)))]
            balanced += 1
        case = _validate(raw, p, lineno)
        if case.id in seen:
            raise UserError(f"duplicate case id {case.id!r} (first on line {seen[case.id]})",
                            location=Location(str(p), lineno, 1), hint="give every case a unique `id`")
        seen[case.id] = lineno
        cases.append(_resolve(case, p.parent, Location(str(p), lineno, 1), rules_cache))
    if not cases:
        raise UserError("the dataset has no cases", location=Location(str(p)), hint="add one JSON object per line")
    return cases


def _validate(raw: Mapping[str, Any], path: Path, lineno: int) -> EvalCase:
    try:
        return EvalCase.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "case"
        raise UserError(f"{where}: {first['msg']}", location=Location(str(path), lineno, 1),
                        hint="see docs/eval.md for the case fields") from None


def _resolve(case: EvalCase, base: Path, loc: Location, rules_cache: dict[str, dict[str, list[str]]]) -> EvalCase:
    updates: dict[str, Any] = {}
    for field in ("workflow", "tools", "tools_spec"):
        value = getattr(case, field)
        if value is None:
            continue
        full = (base / value).resolve() if not Path(value).is_absolute() else Path(value)
        if not full.exists():
            raise UserError(f"{field} file not found: {value}", location=loc,
                            hint="paths are relative to the dataset file")
        updates[field] = str(full)
    if case.preconditions is None:
        wf = updates["workflow"]
        if wf not in rules_cache:
            rules_cache[wf] = read_api_rules(wf)
        updates["preconditions"] = rules_cache[wf]
    return case.model_copy(update=updates)


def dump_dataset(cases: Iterable[EvalCase], path: str | Path, *, relative_to: str | Path | None = None) -> Path:
    """Write cases as JSONL (paths made relative to ``relative_to`` — default the file's folder)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    base = Path(relative_to).resolve() if relative_to else out.parent.resolve()
    with out.open("w", encoding="utf-8") as fh:
        for case in cases:
            data = case.model_dump(mode="json", exclude_defaults=True)
            data["workflow"] = case.workflow
            for field in ("workflow", "tools", "tools_spec"):
                if data.get(field):
                    data[field] = _relpath(Path(data[field]), base)
            fh.write(json.dumps(data, ensure_ascii=False) + "\n")
    return out


def _relpath(p: Path, base: Path) -> str:
    try:
        return os.path.relpath(p.resolve(), base)
    except ValueError:
        return str(p)
