"""Controllers: small checks that keep a guided session compliant with its procedure (layer 4).

Every proposed action passes a :class:`ControllerChain` before anything executes; each controller
returns :class:`Allow`, :class:`Deny` (with a reason) or :class:`Rewrite`, and each decision is a
``controller_decision`` trace event. User turns are classified (in-workflow / OOW / out of scope) and
an OOW policy applies.
"""

from agentflow.controllers.answers import AnswerController, split_answer_tag
from agentflow.controllers.calls import ActionLimit, ArgumentSchema, Cancelled, DuplicateCall, Precondition, UnknownTool
from agentflow.controllers.chain import ChainResult, ControllerChain, default_controllers
from agentflow.controllers.classify import Classification, RuleClassifier, TurnClassifier
from agentflow.controllers.decision import Allow, Controller, Decision, Deny, Rewrite
from agentflow.controllers.policies import PolicyOutcome, choose_policy, plan_policy
from agentflow.controllers.rules import AnswerRule, ApiRule, ClaimRule, ResultCondition, SlotRule, WorkflowRules
from agentflow.controllers.state import CallRecord, Counters, HistoryItem, Proposal, SessionState
from agentflow.controllers.taxonomy import IN_WORKFLOW, OOW_TAXONOMY, OUT_OF_SCOPE

__all__ = [
    "IN_WORKFLOW",
    "OOW_TAXONOMY",
    "OUT_OF_SCOPE",
    "ActionLimit",
    "Allow",
    "AnswerController",
    "AnswerRule",
    "ApiRule",
    "ArgumentSchema",
    "CallRecord",
    "Cancelled",
    "ChainResult",
    "ClaimRule",
    "Classification",
    "Controller",
    "ControllerChain",
    "Counters",
    "Decision",
    "Deny",
    "DuplicateCall",
    "HistoryItem",
    "PolicyOutcome",
    "Precondition",
    "Proposal",
    "ResultCondition",
    "Rewrite",
    "RuleClassifier",
    "SessionState",
    "SlotRule",
    "TurnClassifier",
    "UnknownTool",
    "WorkflowRules",
    "choose_policy",
    "default_controllers",
    "plan_policy",
    "split_answer_tag",
]
