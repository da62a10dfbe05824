"""A guided workflow: what the session needs from a PDL document, converted once.

:func:`guided_from_document` turns a :class:`~agentflow.pdl.PdlDocument` into a
:class:`GuidedWorkflow`: the controllers' :class:`~agentflow.controllers.WorkflowRules` (API
preconditions, value conditions, argument schemas, answers, claim rules), the tool specs, and the
static text the agent's prompt is built from (description, procedure, slots).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agentflow.controllers import AnswerRule, ApiRule, ClaimRule, ResultCondition, SlotRule, WorkflowRules
from agentflow.errors import UserError
from agentflow.pdl import PdlDocument
from agentflow.pdl.infer import condition_from_expr, infer_conditions
from agentflow.safeload import load_yaml
from agentflow.tools.spec import ToolSpec

__all__ = ["GuidedWorkflow", "default_claims", "guided_from_document"]

_SUCCESS_CLAIM = (
    r"\b(booked|reserved|(booking|reservation|order|appointment|registration)\s+(is\s+|has\s+been\s+)?"
    r"(confirmed|completed?|successful|placed|done)|successfully\s+(booked|reserved|registered|placed|scheduled|"
    r"completed|ordered|paid|cancell?ed))\b|(预订|预约|挂号|下单|办理)成功|已为您(预订|预约|挂号|办理)"
)
_COMMIT_API = re.compile(
    r"reserve|book|order|pay|purchase|submit|appoint|register|confirm|cancel|create|transfer|apply|预订|挂号|下单", re.I
)


@dataclass(frozen=True)
class GuidedWorkflow:
    """Everything a guided session needs: rules, tools and the prompt's static text."""

    name: str
    rules: WorkflowRules
    tools: tuple[ToolSpec, ...]
    description: str = ""
    procedure: str = ""
    path: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)

    def tool(self, name: str) -> ToolSpec | None:
        """The spec of a declared tool."""
        return next((t for t in self.tools if t.name == name), None)


def default_claims(apis: dict[str, ApiRule]) -> tuple[ClaimRule, ...]:
    """A success-claim rule backed by the workflow's committing APIs (booking, ordering, ...).

    Committing APIs are those whose name says they commit something, else the APIs no other API
    depends on (the procedure's last steps).
    """
    commit = [name for name in apis if _COMMIT_API.search(name)]
    if not commit:
        needed = {p for a in apis.values() for p in a.preconditions}
        commit = [name for name in apis if name not in needed and apis[name].preconditions]
    return (ClaimRule(pattern=_SUCCESS_CLAIM, requires=tuple(commit)),) if commit else ()


def _procedure_text(doc: PdlDocument) -> str:
    try:
        data = load_yaml(doc.source, doc.path)
    except UserError:
        return ""
    if isinstance(data, dict):
        text = data.get(doc.procedure_key) or data.get("PDL") or data.get("Procedure") or ""
        return str(text).strip()
    return ""


def guided_from_document(doc: PdlDocument, inputs: dict[str, Any] | None = None) -> GuidedWorkflow:
    """Convert a loaded PDL document for a guided session."""
    api_names = {a.name for a in doc.apis}
    implied = infer_conditions(doc)
    apis: dict[str, ApiRule] = {}
    for decl in doc.apis:
        if decl.name in apis:
            continue
        spec = decl.spec
        conditions: list[ResultCondition] = []
        extra_pre: list[str] = []
        for vc in decl.value_conditions:
            cond = condition_from_expr(vc.expr, api_names)
            if cond is not None:
                conditions.append(cond)
            elif vc.api:
                extra_pre.append(vc.api)
        conditions += [c for c in implied.get(f"API:{decl.name}", ()) if c not in conditions]
        returns = tuple(spec.returns.get("properties", {}) or ()) or decl.response
        apis[decl.name] = ApiRule(
            name=decl.name,
            description=spec.description or decl.desc,
            preconditions=tuple(dict.fromkeys([*decl.preconditions, *extra_pre])),
            conditions=tuple(conditions),
            parameters=spec.parameters,
            returns=tuple(returns),
            repeatable=spec.idempotent,
        )
    answers: dict[str, AnswerRule] = {}
    for ans in doc.answers:
        conds = [c for vc in ans.value_conditions if (c := condition_from_expr(vc.expr, api_names)) is not None]
        conds += [c for c in implied.get(f"ANSWER:{ans.name}", ()) if c not in conds]
        answers.setdefault(ans.name, AnswerRule(name=ans.name, description=ans.desc,
                                                preconditions=ans.preconditions, conditions=tuple(conds)))
    slots = {s.name: SlotRule(name=s.name, description=s.desc) for s in doc.slots}
    rules = WorkflowRules(name=doc.name, apis=apis, answers=answers, slots=slots, claims=default_claims(apis))
    return GuidedWorkflow(
        name=doc.name,
        rules=rules,
        tools=tuple(doc.tool_specs()),
        description=(doc.desc + (" " + doc.detailed_desc if doc.detailed_desc else "")).strip(),
        procedure=_procedure_text(doc),
        path=doc.path,
        inputs=dict(inputs or {}),
    )
