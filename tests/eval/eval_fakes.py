"""A deterministic fake session runner for engine and metric tests (the real runner has its own tests).

It walks the case's expected APIs in order, emitting the trace events the guided runtime emits. Its
misbehaviour is a pure function of (case id, seed): sometimes a precondition is skipped and the call
is blocked, sometimes it is skipped and the call leaks, sometimes the run ends early — so metrics
have something to count and two engines can be compared.
"""

from __future__ import annotations

import random
from typing import Any

from agentflow.errors import UserError
from agentflow.eval.dataset import EvalCase
from agentflow.eval.outcome import SessionOutcome


class FakeRunner:
    def __init__(self, fail_ids: tuple[str, ...] = (), bad_input_ids: tuple[str, ...] = ()) -> None:
        self.fail_ids = set(fail_ids)
        self.bad_input_ids = set(bad_input_ids)
        self.calls = 0

    async def __call__(self, case: EvalCase) -> SessionOutcome:
        self.calls += 1
        if case.id in self.fail_ids:
            raise RuntimeError(f"boom in {case.id}")
        if case.id in self.bad_input_ids:
            raise UserError(f"{case.workflow}:3:1: bad procedure", hint="fix the workflow")
        rng = random.Random(f"{case.seed}:{case.id}")
        events: list[dict[str, Any]] = []

        def emit(type_: str, **fields: Any) -> None:
            events.append({"type": type_, "run_id": case.id, "seq": len(events) + 1, "ts": 0.0, **fields})

        oow_turns = {s.turn: s for s in case.oow}
        apis = list(case.expected_apis)
        if len(apis) > 1 and rng.random() < 0.3:
            apis = apis[1:] + apis[:1]  # out of order: the first call lacks its precondition
        leak = rng.random() < 0.3
        turn = 0
        for name in apis:
            turn += 1
            emit("user_message", text=f"turn {turn} of {case.id}")
            if turn in oow_turns:
                slot = oow_turns[turn]
                emit("oow", category=slot.category, subtype=slot.subtype)
            emit("llm_call", role="agent", model="fake", usage={"input_tokens": 100 + turn, "output_tokens": 20,
                                                                 "cost_usd": 0.001})
            pre = (case.preconditions or {}).get(name, [])
            done = {e["name"] for e in events if e["type"] == "tool_call" and e["status"] == "executed"}
            if any(p not in done for p in pre) and not leak:
                emit("tool_call", name=name, args={}, status="blocked", controller="preconditions",
                     reason=f"{pre} first")
                continue
            emit("tool_call", name=name, args={"turn": turn}, status="executed")
            emit("tool_result", name=name, result={"ok": True})
            emit("agent_message", text=f"done {name}")
        status = "completed" if rng.random() < 0.8 else "max_turns"
        emit("run_end", status=status)
        answer = case.expected_answer if rng.random() < 0.7 else "wrong"
        drafts = ["wrong", answer] if case.expected_answer is not None else []
        return SessionOutcome(events=events, answer=answer, drafts=drafts)


def make_runner(fail_ids: tuple[str, ...] = (), bad_input_ids: tuple[str, ...] = ()) -> FakeRunner:
    return FakeRunner(tuple(fail_ids), tuple(bad_input_ids))
