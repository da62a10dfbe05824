"""Each call controller on its own, then the chain (order, first deny wins, rewrites, events)."""

from __future__ import annotations

from typing import Any

from agentflow.controllers import (
    ActionLimit,
    Allow,
    ApiRule,
    ArgumentSchema,
    CallRecord,
    Cancelled,
    ControllerChain,
    Deny,
    DuplicateCall,
    Precondition,
    Proposal,
    ResultCondition,
    Rewrite,
    SessionState,
    SlotRule,
    UnknownTool,
    WorkflowRules,
    default_controllers,
)
from agentflow.events import Event, EventBus

PARAMS = {
    "type": "object",
    "properties": {"plan_code": {"type": "string"}, "seats": {"type": "integer"},
                   "cabin": {"type": "string", "enum": ["Economy", "Business"]}},
    "required": ["plan_code"],
}
RULES = WorkflowRules(
    name="flights",
    apis={
        "check": ApiRule(name="check", parameters=PARAMS, returns=("is_air",)),
        "reserve": ApiRule(name="reserve", parameters=PARAMS, preconditions=("check",),
                           conditions=(ResultCondition(api="check", field="is_air", value="true"),)),
    },
    slots={"plan_code": SlotRule(name="plan_code")},
)


def call(name: str, **args: Any) -> Proposal:
    return Proposal(kind="call", name=name, args=args, call_id=f"c-{name}")


def done(state: SessionState, name: str, result: dict[str, Any], status: str = "executed", **args: Any) -> None:
    state.calls.append(CallRecord(call_id=f"r{len(state.calls)}", name=name, args=args, status=status,  # type: ignore[arg-type]
                                  result=result, turn=state.turn))


def test_unknown_tool_is_denied_with_the_declared_list() -> None:
    decision = UnknownTool().check(call("delete_all"), SessionState(run_id="r"), RULES)
    assert isinstance(decision, Deny)
    assert "'delete_all' is not a declared API" in decision.reason and "check, reserve" in decision.reason
    assert isinstance(UnknownTool().check(call("check", plan_code="CA1"), SessionState(run_id="r"), RULES), Allow)


def test_argument_schema_types_required_enums_and_injected_args() -> None:
    ctl, st = ArgumentSchema(), SessionState(run_id="r")
    assert isinstance(ctl.check(call("check", plan_code="CA1"), st, RULES), Allow)
    missing = ctl.check(call("check"), st, RULES)
    assert isinstance(missing, Deny) and "'plan_code' is a required property" in missing.reason
    bad_enum = ctl.check(call("check", plan_code="CA1", cabin="Galley"), st, RULES)
    assert isinstance(bad_enum, Deny) and "cabin" in bad_enum.reason
    injected = ctl.check(call("check", plan_code="CA1", price=0, admin=True), st, RULES)
    assert isinstance(injected, Deny) and "unexpected argument(s) admin, price" in injected.reason
    assert isinstance(ArgumentSchema(allow_extra=True).check(call("check", plan_code="CA1", x=1), st, RULES), Allow)


def test_argument_schema_rewrites_coercible_strings_and_denies_the_rest() -> None:
    ctl, st = ArgumentSchema(), SessionState(run_id="r")
    fixed = ctl.check(call("check", plan_code="CA1", seats="2"), st, RULES)
    assert isinstance(fixed, Rewrite) and fixed.proposal.args == {"plan_code": "CA1", "seats": 2}
    wrong = ctl.check(call("check", plan_code="CA1", seats="two"), st, RULES)
    assert isinstance(wrong, Deny) and "seats" in wrong.reason
    assert isinstance(ArgumentSchema(coerce=False).check(call("check", plan_code="CA1", seats="2"), st, RULES), Deny)


def test_precondition_requires_success_and_value_condition() -> None:
    ctl, st = Precondition(), SessionState(run_id="r")
    first = ctl.check(call("reserve", plan_code="CA1"), st, RULES)
    assert isinstance(first, Deny) and "check must succeed first" in first.reason
    done(st, "check", {"is_air": "false"}, plan_code="CA1")
    sold_out = ctl.check(call("reserve", plan_code="CA1"), st, RULES)
    assert isinstance(sold_out, Deny) and "check.is_air == 'true' does not hold (got 'false')" in sold_out.reason
    done(st, "check", {"is_air": "true"}, plan_code="CA1")
    assert isinstance(ctl.check(call("reserve", plan_code="CA1"), st, RULES), Allow)


def test_precondition_error_status_does_not_count() -> None:
    st = SessionState(run_id="r")
    done(st, "check", {}, status="error", plan_code="CA1")
    assert isinstance(Precondition().check(call("reserve", plan_code="CA1"), st, RULES), Deny)


def test_precondition_is_consistent_with_the_values_it_was_checked_for() -> None:
    st = SessionState(run_id="r")
    done(st, "check", {"is_air": "true"}, plan_code="CA1234")
    other = Precondition().check(call("reserve", plan_code="MU9101"), st, RULES)
    assert isinstance(other, Deny)
    assert "check was done for plan_code='CA1234' but this call uses 'MU9101'" in other.reason
    lenient = Precondition(check_consistency=False)
    assert isinstance(lenient.check(call("reserve", plan_code="MU9101"), st, RULES), Allow)


def test_slot_change_invalidates_dependent_results() -> None:
    st = SessionState(run_id="r")
    st.set_slot("plan_code", "CA1234")
    done(st, "check", {"is_air": "true"}, plan_code="CA1234")
    assert isinstance(Precondition().check(call("reserve", plan_code="CA1234"), st, RULES), Allow)
    stale = st.set_slot("plan_code", "MU9101")
    assert stale == ["r0"] and st.calls[0].stale and not st.calls[0].ok
    denied = Precondition().check(call("reserve", plan_code="CA1234"), st, RULES)
    assert isinstance(denied, Deny) and "invalidated" in denied.reason
    assert st.set_slot("plan_code", "mu9101") == []  # same value (normalised): nothing more to invalidate


def test_duplicate_call_denied_but_retry_after_error_and_after_invalidation_allowed() -> None:
    ctl, st = DuplicateCall(), SessionState(run_id="r")
    assert isinstance(ctl.check(call("check", plan_code="CA1"), st, RULES), Allow)
    done(st, "check", {}, status="error", plan_code="CA1")
    assert isinstance(ctl.check(call("check", plan_code="CA1"), st, RULES), Allow)
    done(st, "check", {"is_air": "true"}, plan_code="CA1")
    dup = ctl.check(call("check", plan_code="CA1"), st, RULES)
    assert isinstance(dup, Deny) and "already called with these arguments" in dup.reason
    assert '"is_air":"true"' in dup.reason
    assert isinstance(ctl.check(call("check", plan_code="CA2"), st, RULES), Allow)
    st.invalidate_all()
    assert isinstance(ctl.check(call("check", plan_code="CA1"), st, RULES), Allow)
    repeatable = WorkflowRules(apis={"check": RULES.apis["check"].model_copy(update={"repeatable": True})})
    st2 = SessionState(run_id="r")
    done(st2, "check", {"is_air": "true"}, plan_code="CA1")
    assert isinstance(ctl.check(call("check", plan_code="CA1"), st2, repeatable), Allow)


def test_cancelled_request_blocks_every_call() -> None:
    st = SessionState(run_id="r", status="cancelled")
    denied = Cancelled().check(call("check", plan_code="CA1"), st, RULES)
    assert isinstance(denied, Deny) and "cancelled the request" in denied.reason
    st.status = "active"
    assert isinstance(Cancelled().check(call("check", plan_code="CA1"), st, RULES), Allow)


def test_action_limit_counts_every_proposal_of_the_turn() -> None:
    st = SessionState(run_id="r", actions_this_turn=2)
    assert isinstance(ActionLimit(max_actions=3).check(call("check"), st, RULES), Allow)
    st.actions_this_turn = 3
    limited = ActionLimit(max_actions=3).check(Proposal(kind="reply", text="hi"), st, RULES)
    assert isinstance(limited, Deny) and "action limit reached: 3 actions" in limited.reason


def test_chain_stops_at_first_deny_applies_rewrites_and_records_every_decision() -> None:
    events: list[Event] = []
    chain = ControllerChain(default_controllers(), RULES, EventBus("r", [events.append]))
    st = SessionState(run_id="r")
    unknown = chain.evaluate(call("drop_tables"), st)
    assert not unknown.allowed and unknown.controller == "unknown_tool"
    assert [e.data["controller"] for e in events] == ["action_limit", "cancelled", "unknown_tool"]
    assert events[-1].data["decision"] == "deny" and events[-1].data["reason"] == unknown.reason
    events.clear()
    coerced = chain.evaluate(call("check", plan_code="CA1", seats="3"), st)
    assert coerced.allowed and coerced.rewritten and coerced.proposal.args["seats"] == 3
    assert [e.data["decision"] for e in events] == ["allow", "allow", "allow", "rewrite", "allow", "allow"]
    assert st.calls == []  # controllers never mutate the state
