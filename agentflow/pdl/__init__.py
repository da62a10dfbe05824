"""PDL, the Procedure Description Language: parse → AST with source spans → check → compile.

Public entry points:

* :func:`load_pdl` — read a file (and its FlowAgent tool file), parse it, check it; raise
  :class:`~agentflow.errors.UserError` on errors.
* :func:`parse_pdl_text` — parse text into a :class:`PdlDocument` without raising for problems in it
  (they are in ``doc.diagnostics``).
* :func:`check` — the static checker; returns every :class:`Diagnostic` (errors and warnings).
"""

from __future__ import annotations

from agentflow.pdl.ast import Block, Call, Span
from agentflow.pdl.checker import check
from agentflow.pdl.diagnostics import Diagnostic
from agentflow.pdl.document import AnswerDecl, ApiDecl, IoDecl, PdlDocument, RoleDecl, SlotDecl, ValueCondition
from agentflow.pdl.expr import ExprError, evaluate, parse_expr
from agentflow.pdl.loader import load_pdl, parse_pdl_text

__all__ = [
    "AnswerDecl",
    "ApiDecl",
    "Block",
    "Call",
    "Diagnostic",
    "ExprError",
    "IoDecl",
    "PdlDocument",
    "RoleDecl",
    "SlotDecl",
    "Span",
    "ValueCondition",
    "check",
    "evaluate",
    "load_pdl",
    "parse_expr",
    "parse_pdl_text",
]
