"""Shared helpers for the guided-runtime tests: the flight fixture, script writers, and a trace audit.

The audit re-checks a trace *independently* of the controllers: every executed call must have had its
preconditions succeed earlier (with the value conditions holding and the same shared argument values),
every blocked call must carry a controller and a reason, and no agent message may claim a booking
before the committing API succeeded.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from agentflow.controllers import WorkflowRules
from agentflow.controllers.rules import norm_value

DATA = Path(__file__).resolve().parents[1] / "data" / "guided"
FLIGHT = DATA / "flight" / "pdl" / "000.yaml"
FLIGHT_TOOLS = DATA / "flight" / "flight_tools.py"
PROFILES = DATA / "flight" / "user_profile" / "000.json"


def write_yaml(path: Path, items: list[Any]) -> Path:
    """Write a YAML list (scripts for agents and users)."""
    path.write_text(yaml.safe_dump(items, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _check_call(rec: dict[str, Any], rules: WorkflowRules,
                ok_results: dict[str, tuple[dict[str, Any], dict[str, Any]]]) -> list[str]:
    name, seq = rec["name"], rec["seq"]
    api = rules.apis.get(name)
    if api is None:
        return [f"seq {seq}: undeclared API {name} executed"]
    problems: list[str] = []
    for pre in api.preconditions:
        if pre not in ok_results:
            problems.append(f"seq {seq}: {name} executed before {pre} succeeded")
            continue
        pre_args = ok_results[pre][0]
        for key, value in rec["args"].items():
            if key in pre_args and norm_value(pre_args[key]) != norm_value(value):
                problems.append(f"seq {seq}: {name}({key}={value}) but {pre} ran for {pre_args[key]}")
    for cond in api.conditions:
        got = ok_results.get(cond.api)
        if got is None or not cond.holds(got[1]):
            problems.append(f"seq {seq}: {name} executed while {cond.describe()} did not hold")
    return problems


def audit(records: list[dict[str, Any]], rules: WorkflowRules) -> list[str]:
    """Violations found in a trace (empty: compliant)."""
    problems: list[str] = []
    ok_results: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    pending: dict[str, tuple[str, dict[str, Any]]] = {}
    committed = False
    for rec in records:
        kind = rec["type"]
        if kind == "tool_call" and rec["status"] == "blocked":
            if not rec.get("controller") or not rec.get("reason"):
                problems.append(f"seq {rec['seq']}: blocked call without controller/reason")
        elif kind == "tool_call":
            problems += _check_call(rec, rules, ok_results)
            pending[rec["call_id"]] = (rec["name"], rec["args"])
        elif kind == "tool_result" and rec["ok"]:
            name, args = pending.pop(rec["call_id"])
            ok_results[name] = (args, rec["result"])
            committed = committed or any(name in claim.requires for claim in rules.claims)
        elif kind == "agent_message" and not committed:
            problems += [f"seq {rec['seq']}: unbacked claim {rec['text']!r}"
                         for claim in rules.claims if claim.claims(rec["text"])]
    return problems


def of_type(records: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """The records of one event type."""
    return [r for r in records if r["type"] == kind]


def mentions(text: str, *words: str) -> bool:
    """Whether every word occurs in ``text`` (case-insensitive)."""
    return all(re.search(re.escape(w), text, re.IGNORECASE) for w in words)
