"""The PDL document model: what a ``.pdl``/``.yaml`` workflow file declares, with source spans.

A :class:`PdlDocument` is what :func:`agentflow.pdl.load_pdl` returns: the header (``Name``,
``Desc``, ``Detailed_desc``), declarations (``SLOTs``, ``APIs``, ``ANSWERs``, and for executed mode
``Inputs``/``Outputs``/``ROLEs``), and the parsed procedure (:class:`~agentflow.pdl.ast.Block`).
Every declaration keeps the :class:`~agentflow.pdl.ast.Span` of its ``name`` so diagnostics and
controllers can point at it.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from agentflow.pdl.ast import Block, Call, Span, iter_calls
from agentflow.pdl.diagnostics import Diagnostic
from agentflow.pdl.expr import Attr, Expr, Name, iter_nodes
from agentflow.tools.spec import ToolSpec

__all__ = [
    "AnswerDecl",
    "ApiDecl",
    "IoDecl",
    "PdlDocument",
    "RoleDecl",
    "SlotDecl",
    "ValueCondition",
    "condition_api",
    "name_key",
]


@dataclass(frozen=True, slots=True)
class SlotDecl:
    """A slot the agent fills from the conversation (``SLOTs``)."""

    name: str
    span: Span
    desc: str = ""
    type: str | None = None
    available_types: tuple[str, ...] = ()
    """The allowed values (FlowAgent's ``available_types`` enum), empty when free."""


@dataclass(frozen=True, slots=True)
class ValueCondition:
    """A precondition on a value, e.g. ``checkAvailability.is_air == "true"``.

    ``api`` is the API whose result it reads (the root of the first ``API.field`` in it), when any.
    """

    text: str
    span: Span
    expr: Expr
    api: str | None = None


@dataclass(frozen=True, slots=True)
class ApiDecl:
    """An API (tool) the procedure may call, merged from the PDL and its tool file.

    Attributes:
        preconditions: names of APIs that must have run successfully before this one.
        value_conditions: conditions on earlier results that must hold before this one runs.
        tool: the tool spec (JSON Schemas for arguments and results) used for argument checks,
            mocks, and the model-facing tool definition.
        request/response: FlowAgent's field lists, as written (also reflected in ``tool``).
        tool_span: where the tool definition is (the tool file) when it came from one.
    """

    name: str
    span: Span
    desc: str = ""
    tool: ToolSpec | None = None
    preconditions: tuple[str, ...] = ()
    value_conditions: tuple[ValueCondition, ...] = ()
    request: tuple[str, ...] = ()
    response: tuple[str, ...] = ()
    tool_span: Span | None = None
    precondition_spans: tuple[Span, ...] = ()
    """Where each entry of ``preconditions`` is written (same order)."""

    @property
    def spec(self) -> ToolSpec:
        """The tool spec; a permissive one named after the API when no schema was declared."""
        return self.tool if self.tool is not None else ToolSpec(name=self.name, description=self.desc)

    @property
    def requires(self) -> tuple[str, ...]:
        """Every API this one depends on: named preconditions plus the APIs its value conditions read."""
        out = list(self.preconditions)
        out += [vc.api for vc in self.value_conditions if vc.api and vc.api not in out]
        return tuple(out)


@dataclass(frozen=True, slots=True)
class AnswerDecl:
    """A reply intent (``ANSWERs``); ``preconditions`` name APIs that must have run first."""

    name: str
    span: Span
    desc: str = ""
    preconditions: tuple[str, ...] = ()
    value_conditions: tuple[ValueCondition, ...] = ()
    precondition_spans: tuple[Span, ...] = ()


@dataclass(frozen=True, slots=True)
class IoDecl:
    """A declared input or output of an executed-mode workflow (``Inputs``/``Outputs``).

    ``type`` is a type name: ``str``, ``int``, ``float``, ``bool``, ``list``, ``dict``, or a message
    kind/class name (``Task``, ``Answer``, ``Verdict`` ...).
    """

    name: str
    span: Span
    type: str = "str"
    desc: str = ""
    required: bool = True
    default: object = None


@dataclass(frozen=True, slots=True)
class RoleDecl:
    """A role the procedure calls (``ROLEs``), optionally naming the role file or its output type."""

    name: str
    span: Span
    desc: str = ""
    file: str | None = None
    output: str | None = None


@dataclass(frozen=True, slots=True)
class PdlDocument:
    """A parsed PDL file.

    Attributes:
        path: the file it came from (``<string>`` for text).
        source: the full file text (for caret excerpts).
        procedure_key: ``PDL`` or ``Procedure`` (whichever the file used).
        tools_path: the FlowAgent tool file merged in, when one was found or given.
        diagnostics: what parsing found (the checker adds the rest; see :func:`agentflow.pdl.check`).
    """

    name: str
    path: str
    source: str
    procedure: Block
    desc: str = ""
    detailed_desc: str = ""
    slots: tuple[SlotDecl, ...] = ()
    apis: tuple[ApiDecl, ...] = ()
    answers: tuple[AnswerDecl, ...] = ()
    inputs: tuple[IoDecl, ...] = ()
    outputs: tuple[IoDecl, ...] = ()
    roles: tuple[RoleDecl, ...] = ()
    procedure_key: str = "Procedure"
    procedure_span: Span | None = None
    tools_path: str | None = None
    diagnostics: tuple[Diagnostic, ...] = field(default=(), repr=False)

    @property
    def mode(self) -> Literal["executed", "guided"]:
        """``executed`` when the file declares inputs or calls roles; otherwise ``guided`` (FlowAgent)."""
        if self.inputs or self.outputs or self.roles:
            return "executed"
        return "executed" if any(c.kind == "ROLE" for c in self.calls()) else "guided"

    def calls(self) -> Iterator[Call]:
        """Every call in the procedure (including calls inside conditions), in source order."""
        return iter_calls(self.procedure)

    def api(self, name: str) -> ApiDecl | None:
        """The first API declared under ``name`` (spaces and underscores match each other)."""
        key = name_key(name)
        return next((a for a in self.apis if name_key(a.name) == key), None)

    def answer(self, name: str) -> AnswerDecl | None:
        """The first ANSWER declared under ``name`` (``ANSWER_Please_help`` finds "Please help")."""
        key = name_key(name)
        return next((a for a in self.answers if name_key(a.name) == key), None)

    def slot(self, name: str) -> SlotDecl | None:
        """The first slot declared under ``name``."""
        return next((s for s in self.slots if s.name == name), None)

    def role(self, name: str) -> RoleDecl | None:
        """The role declared under ``name`` in ``ROLEs``, when any."""
        return next((r for r in self.roles if r.name == name), None)

    def with_diagnostics(self, diags: Iterable[Diagnostic]) -> PdlDocument:
        """A copy carrying ``diags`` (e.g. the checker's full list)."""
        return dataclasses.replace(self, diagnostics=tuple(diags))

    def tool_specs(self) -> list[ToolSpec]:
        """One spec per declared API (first declaration wins), for backends and tool runners."""
        seen: set[str] = set()
        out: list[ToolSpec] = []
        for api in self.apis:
            if api.name not in seen:
                seen.add(api.name)
                out.append(api.spec)
        return out


@functools.lru_cache(maxsize=4096)
def name_key(name: str) -> str:
    """How names are matched: runs of spaces/underscores are equal, surrounding space ignored.

    FlowAgent writes ``ANSWER_Please_provide_necessary_information()`` for the ANSWER declared as
    "Please provide necessary information".
    """
    return re.sub(r"[\s_]+", "_", name.strip())


def condition_api(expr: Expr, api_names: set[str]) -> str | None:
    """The API a value condition reads: the root name of its first ``NAME.field`` (or bare NAME) that is an API."""
    for node in iter_nodes(expr):
        if isinstance(node, Attr):
            root: Expr = node
            while isinstance(root, Attr):
                root = root.obj
            if isinstance(root, Name) and root.id in api_names:
                return root.id
        if isinstance(node, Name) and node.id in api_names:
            return node.id
    return None
