"""Controllers for proposed API calls: unknown tools, argument schemas, preconditions, duplicates, budgets.

Each is a small configurable unit; :func:`default_controllers` puts them in the order that gives the
clearest reasons (an unknown tool is reported as unknown, not as "precondition unmet").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jsonschema

from agentflow._ids import canonical_json
from agentflow.controllers.decision import Allow, Controller, Decision, Deny, Rewrite
from agentflow.controllers.rules import WorkflowRules, norm_value
from agentflow.controllers.state import Proposal, SessionState

__all__ = [
    "ActionLimit",
    "ArgumentSchema",
    "Cancelled",
    "DuplicateCall",
    "Precondition",
    "UnknownTool",
    "missing_requirements",
]

_CALL = frozenset({"call"})


@dataclass
class ActionLimit:
    """At most ``max_actions`` proposals per user turn, rejected ones included (stops violation loops)."""

    max_actions: int = 6
    name: str = "action_limit"
    applies_to: frozenset[str] = frozenset({"call", "reply"})

    def check(self, proposal: Proposal, state: SessionState, rules: WorkflowRules) -> Decision:
        if state.actions_this_turn >= self.max_actions:
            return Deny(f"action limit reached: {state.actions_this_turn} actions this turn (max {self.max_actions})")
        return Allow()


@dataclass
class Cancelled:
    """No API runs in a turn where the user cancelled the request (until they start a new one)."""

    name: str = "cancelled"
    applies_to: frozenset[str] = _CALL

    def check(self, proposal: Proposal, state: SessionState, rules: WorkflowRules) -> Decision:
        if state.status == "cancelled":
            return Deny("the user cancelled the request; confirm the cancellation instead of calling APIs")
        return Allow()


@dataclass
class UnknownTool:
    """Only APIs the workflow declares can run; anything else is denied, never executed."""

    name: str = "unknown_tool"
    applies_to: frozenset[str] = _CALL

    def check(self, proposal: Proposal, state: SessionState, rules: WorkflowRules) -> Decision:
        if proposal.name in rules.apis:
            return Allow()
        declared = ", ".join(rules.apis) or "none"
        return Deny(f"{proposal.name!r} is not a declared API (declared: {declared})")


@dataclass
class ArgumentSchema:
    """Arguments must validate against the API's JSON Schema; unexpected arguments are refused.

    Args:
        allow_extra: accept arguments the schema does not name (off: injected arguments are denied).
        coerce: rewrite scalar strings to the schema's type (``"2"`` -> ``2``) when that makes them valid.
    """

    allow_extra: bool = False
    coerce: bool = True
    name: str = "argument_schema"
    applies_to: frozenset[str] = _CALL

    def check(self, proposal: Proposal, state: SessionState, rules: WorkflowRules) -> Decision:
        api = rules.apis.get(proposal.name)
        if api is None:
            return Allow()
        schema = api.parameters
        props: dict[str, Any] = schema.get("properties", {}) or {}
        if props and not self.allow_extra and schema.get("additionalProperties") is not True:
            extra = sorted(set(proposal.args) - set(props))
            if extra:
                return Deny(f"unexpected argument(s) {', '.join(extra)} for {api.name}; allowed: {', '.join(props)}")
        error = _first_error(schema, proposal.args)
        if error is None:
            return Allow()
        if self.coerce:
            fixed = {k: _coerce(v, props.get(k, {})) for k, v in proposal.args.items()}
            if fixed != proposal.args and _first_error(schema, fixed) is None:
                return Rewrite(proposal.model_copy(update={"args": fixed}), "coerced argument types to the schema")
        return Deny(f"invalid arguments for {api.name}: {error}")


def _first_error(schema: dict[str, Any], args: dict[str, Any]) -> str | None:
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(args), key=lambda e: list(e.path))
    if not errors:
        return None
    err = errors[0]
    where = ".".join(str(p) for p in err.path)
    return f"{where}: {err.message}" if where else err.message


def _coerce(value: Any, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if not isinstance(value, str):
        return str(value) if kind == "string" and isinstance(value, int | float) else value
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def missing_requirements(
    preconditions: tuple[str, ...], conditions: tuple[Any, ...], state: SessionState
) -> list[str]:
    """Reasons the given preconditions / value conditions do not hold yet (empty: they hold)."""
    missing: list[str] = []
    for api in preconditions:
        if state.last_ok(api) is None:
            stale = any(r.name == api and r.stale for r in state.calls)
            missing.append(f"{api} must succeed first" + (" (its earlier result was invalidated)" if stale else ""))
    for cond in conditions:
        record = state.last_ok(cond.api)
        if record is None:
            if cond.api not in preconditions:
                missing.append(f"{cond.api} must succeed first")
        elif not cond.holds(record.result):
            got = record.result.get(cond.field)
            missing.append(f"{cond.describe()} does not hold (got {got!r})")
    return missing


@dataclass
class Precondition:
    """Hard API preconditions and value conditions, plus consistency with what they were checked for.

    A precondition call counts only for the values it was made with: if ``checkAvailability`` ran for
    ``plan_code=CA1234``, ``reserveFlight(plan_code=MU9101)`` is denied until it runs again for MU9101.
    """

    check_consistency: bool = True
    name: str = "precondition"
    applies_to: frozenset[str] = _CALL

    def check(self, proposal: Proposal, state: SessionState, rules: WorkflowRules) -> Decision:
        api = rules.apis.get(proposal.name)
        if api is None:
            return Allow()
        missing = missing_requirements(api.preconditions, api.conditions, state)
        if not missing and self.check_consistency:
            missing = _inconsistent(proposal, api.preconditions, state)
        if missing:
            return Deny(f"{api.name} is not allowed yet: " + "; ".join(missing))
        return Allow()


def _inconsistent(proposal: Proposal, preconditions: tuple[str, ...], state: SessionState) -> list[str]:
    problems: list[str] = []
    for pre in preconditions:
        record = state.last_ok(pre)
        if record is None:
            continue
        for key, value in proposal.args.items():
            earlier = record.args.get(key)
            if value in (None, "") or earlier in (None, "") or norm_value(earlier) == norm_value(value):
                continue
            problems.append(
                f"{pre} was done for {key}={earlier!r} but this call uses {value!r}; call {pre} again for the new value"
            )
    return problems


@dataclass
class DuplicateCall:
    """An identical call (name + canonical arguments) that already succeeded is not run again.

    A retry after an error is allowed, and so is a call whose earlier result was invalidated.
    """

    name: str = "duplicate_call"
    applies_to: frozenset[str] = _CALL
    exempt: set[str] = field(default_factory=set)

    def check(self, proposal: Proposal, state: SessionState, rules: WorkflowRules) -> Decision:
        api = rules.apis.get(proposal.name)
        if api is None or api.repeatable or proposal.name in self.exempt:
            return Allow()
        previous = state.last_of(proposal.key())
        if previous is not None and previous.status == "executed":
            return Deny(
                f"{proposal.name} was already called with these arguments (turn {previous.turn});"
                f" reuse its result {canonical_json(previous.result)}"
            )
        return Allow()


def _assert_protocol() -> list[Controller]:
    return [ActionLimit(), Cancelled(), UnknownTool(), ArgumentSchema(), Precondition(), DuplicateCall()]
