"""Facts about one session read off its trace: tool calls, compliance audit, turns, tokens, cost.

Compliance is *audited* here, independently of the controllers that enforced it during the run: an
executed call whose preconditions (the APIs that must have run before it, from the workflow's
``APIs`` section) had not all executed earlier is a **leaked** violation; a call the controllers
refused (``tool_call`` with ``status: blocked``) is a **blocked** one. Compliance rate = executed
calls whose preconditions held / executed calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agentflow.eval.dataset import EvalCase

__all__ = ["DONE_STATUSES", "SessionFacts", "answers_match", "read_facts"]

DONE_STATUSES = frozenset({"ok", "completed", "complete", "success", "succeeded", "done", "finished"})
"""``run_end`` statuses that mean the session ran to its end (not crashed, not out of budget)."""


@dataclass(slots=True)
class SessionFacts:
    """What happened in one session, as counted from its events."""

    status: str = "missing"
    executed: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    leaked: list[str] = field(default_factory=list)
    user_turns: int = 0
    agent_turns: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    llm_calls: int = 0
    oow_seen: list[tuple[str, str]] = field(default_factory=list)
    transcript: list[dict[str, Any]] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        """Whether the run ended normally."""
        return self.status in DONE_STATUSES

    def tool_scores(self, expected: Iterable[str]) -> tuple[float | None, float | None, float | None]:
        """Precision, recall and F1 of the set of executed APIs against the expected set.

        ``None`` where undefined: precision without executed calls, all three without expectations.
        """
        want = set(expected)
        if not want:
            return None, None, None
        got = set(self.executed)
        hit = len(want & got)
        precision = hit / len(got) if got else None
        recall = hit / len(want)
        if precision is None:
            return None, recall, 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1


def _usage(event: Mapping[str, Any]) -> tuple[int, int, float]:
    usage = event.get("usage")
    src: Mapping[str, Any] = usage if isinstance(usage, Mapping) else event
    cost = src.get("cost_usd", src.get("cost", event.get("cost_usd", event.get("cost", 0.0))))
    return int(src.get("input_tokens") or 0), int(src.get("output_tokens") or 0), float(cost or 0.0)


def read_facts(case: EvalCase, events: Iterable[Mapping[str, Any]]) -> SessionFacts:
    """Count and audit the events of one session of ``case``."""
    facts = SessionFacts()
    rules = case.preconditions or {}
    done: set[str] = set()
    for ev in events:
        kind = ev.get("type")
        if kind == "tool_call":
            name = str(ev.get("name", ""))
            if ev.get("status") == "blocked":
                facts.blocked.append(name)
                facts.transcript.append({"who": "blocked", "name": name, "args": ev.get("args", {}),
                                         "reason": ev.get("reason", ""), "controller": ev.get("controller", "")})
                continue
            facts.executed.append(name)
            if any(pre not in done for pre in rules.get(name, [])):
                facts.leaked.append(name)
            done.add(name)
            facts.transcript.append({"who": "call", "name": name, "args": ev.get("args", {})})
        elif kind == "tool_result":
            facts.transcript.append({"who": "result", "name": ev.get("name", ""),
                                     "result": ev.get("result", ev.get("output", ev.get("data", "")))})
        elif kind == "user_message":
            facts.user_turns += 1
            facts.transcript.append({"who": "user", "text": str(ev.get("text", ev.get("content", "")))})
        elif kind == "agent_message":
            facts.agent_turns += 1
            facts.transcript.append({"who": "agent", "text": str(ev.get("text", ev.get("content", "")))})
        elif kind == "llm_call":
            tin, tout, cost = _usage(ev)
            facts.input_tokens += tin
            facts.output_tokens += tout
            facts.cost_usd += cost
            facts.llm_calls += 1
        elif kind == "oow":
            facts.oow_seen.append((str(ev.get("category", "")), str(ev.get("subtype", ""))))
            facts.transcript.append({"who": "oow", "category": ev.get("category", ""),
                                     "subtype": ev.get("subtype", "")})
        elif kind == "run_end":
            facts.status = str(ev.get("status", "ended"))
    return facts


def _norm(value: Any) -> str:
    return " ".join(str(value).strip().casefold().split()).rstrip(".")


def answers_match(expected: Any, got: Any) -> bool:
    """Whether an answer matches the expected one: numbers numerically, text case/space-insensitively.

    A list of expected values accepts any of them.
    """
    if isinstance(expected, list):
        return any(answers_match(e, got) for e in expected)
    if got is None:
        return False
    if isinstance(got, Mapping) and not isinstance(expected, Mapping):
        got = next((got[k] for k in ("answer", "text", "value") if k in got), got)
    try:
        return abs(float(str(expected).strip()) - float(str(got).strip())) < 1e-9
    except ValueError:
        return _norm(expected) == _norm(got)
