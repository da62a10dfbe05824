"""The PDL procedure AST: frozen nodes, each carrying the :class:`Span` it came from in the file.

The parser (:mod:`agentflow.pdl.parser`) builds these from a procedure's text; the checker walks them;
guided mode renders them for the model and derives the API dependency graph; executed mode compiles
them onto the graph runtime. Spans are relative to the *file* (1-based lines and columns), so every
diagnostic points at the right place however the procedure is embedded in the YAML.

What the parser cannot read as code is kept as :class:`Text` (natural language, shown to the model in
guided mode, an error in executed mode); a condition that is prose keeps ``expr=None``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, TypeAlias

from agentflow.errors import Location
from agentflow.pdl.expr import Expr

__all__ = [
    "Arg",
    "Assign",
    "Block",
    "Branch",
    "Break",
    "Call",
    "CallKind",
    "Comment",
    "ConditionText",
    "Continue",
    "Def",
    "For",
    "If",
    "Parallel",
    "Return",
    "Span",
    "Stmt",
    "Target",
    "Text",
    "While",
    "iter_calls",
    "walk",
]

CallKind: TypeAlias = Literal["API", "ANSWER", "ROLE", "BARE"]
"""``API.x()``/``API_x()``; ``ANSWER.x()``/``ANSWER_x()``; ``ROLE.x()``; ``x()`` with no prefix (BARE)."""


@dataclass(frozen=True, slots=True)
class Span:
    """Where a node is in the file: 1-based start line/column, end line/column (end exclusive)."""

    path: str
    line: int
    col: int
    end_line: int
    end_col: int

    @property
    def location(self) -> Location:
        """The start of the span as an :class:`~agentflow.errors.Location`."""
        return Location(self.path, self.line, self.col)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class ConditionText:
    """A condition or value expression as written; ``expr`` is None when it is prose, not code."""

    text: str
    span: Span
    expr: Expr | None = None
    calls: tuple[Call, ...] = ()
    """Calls written inside the condition, e.g. ``if API.check_location([x]) == True:``."""


@dataclass(frozen=True, slots=True)
class Arg:
    """One call argument: positional (``name`` None) or keyword (``name=value``)."""

    text: str
    span: Span
    name: str | None = None
    expr: Expr | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """A bound variable, optionally typed (``verdict: Verdict = ROLE.judge(...)``)."""

    name: str
    span: Span
    type: str | None = None


@dataclass(frozen=True, slots=True)
class Call:
    """A call statement or a call inside a condition.

    Attributes:
        kind: API, ANSWER, ROLE or BARE (no prefix).
        name: the callee's name as written, up to its opening parenthesis (may contain spaces,
            Unicode, full-width punctuation); for ``API_x`` style the prefix is stripped.
        args: the arguments; a single list argument ``([a, b])`` (FlowAgent style) is flattened.
        targets: the variables bound by ``[a, b] = CALL(...)`` or ``a = CALL(...)``.
        closed: False when the closing parenthesis never came (the checker reports it).
    """

    kind: CallKind
    name: str
    span: Span
    name_span: Span
    args: tuple[Arg, ...] = ()
    targets: tuple[Target, ...] = ()
    closed: bool = True
    style: Literal["dot", "underscore", "bare"] = "dot"


@dataclass(frozen=True, slots=True)
class Assign:
    """``targets = value`` where the value is not a call; ``value.expr`` None means prose."""

    targets: tuple[Target, ...]
    value: ConditionText
    span: Span


@dataclass(frozen=True, slots=True)
class Branch:
    """One ``if``/``elif`` arm."""

    cond: ConditionText
    body: Block
    span: Span


@dataclass(frozen=True, slots=True)
class If:
    """``if``/``elif``/``else``: ``branches[0]`` is the ``if`` arm; ``orelse`` the ``else`` block."""

    branches: tuple[Branch, ...]
    span: Span
    orelse: Block | None = None
    else_span: Span | None = None
    """Where the ``else`` line is (when there is one)."""


@dataclass(frozen=True, slots=True)
class While:
    """``while COND [max N]:``; ``budget`` is the per-loop iteration limit when written."""

    cond: ConditionText
    body: Block
    span: Span
    budget: int | None = None


@dataclass(frozen=True, slots=True)
class For:
    """``for x in ITER [max N]:``."""

    targets: tuple[Target, ...]
    iter: ConditionText
    body: Block
    span: Span
    budget: int | None = None


@dataclass(frozen=True, slots=True)
class Break:
    """``break``."""

    span: Span


@dataclass(frozen=True, slots=True)
class Continue:
    """``continue``."""

    span: Span


@dataclass(frozen=True, slots=True)
class Return:
    """``return [VALUE]``."""

    span: Span
    value: ConditionText | None = None


@dataclass(frozen=True, slots=True)
class Parallel:
    """``parallel:`` — the statements of ``body`` run concurrently; the block ends when all have."""

    body: Block
    span: Span


@dataclass(frozen=True, slots=True)
class Def:
    """``def name(params) [-> type]:`` — a sub-procedure, called as ``name(...)`` (a BARE call).

    FlowAgent's rule-converted files define helpers this way; a body of comments only describes what
    the model should do (guided mode).
    """

    name: str
    params: tuple[Target, ...]
    body: Block
    span: Span
    returns: str | None = None


@dataclass(frozen=True, slots=True)
class Comment:
    """``# text`` on its own line (its text without the ``#``)."""

    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class Text:
    """A line the parser could not read as code, kept verbatim with its location."""

    text: str
    span: Span


Stmt: TypeAlias = Call | Assign | If | While | For | Break | Continue | Return | Parallel | Def | Comment | Text


@dataclass(frozen=True, slots=True)
class Block:
    """A sequence of statements at one indentation level."""

    stmts: tuple[Stmt, ...]
    span: Span

    def __iter__(self) -> Iterator[Stmt]:
        return iter(self.stmts)

    def __len__(self) -> int:
        return len(self.stmts)

    @property
    def is_comment_only(self) -> bool:
        """True when every statement is a comment (FlowAgent's ``# inform the user`` branches)."""
        return all(isinstance(s, Comment) for s in self.stmts)


def walk(block: Block) -> Iterator[Stmt]:
    """Every statement in ``block`` and its nested blocks, in source order (depth first)."""
    for stmt in block.stmts:
        yield stmt
        if isinstance(stmt, If):
            for br in stmt.branches:
                yield from walk(br.body)
            if stmt.orelse is not None:
                yield from walk(stmt.orelse)
        elif isinstance(stmt, While | For | Parallel | Def):
            yield from walk(stmt.body)


def iter_calls(block: Block) -> Iterator[Call]:
    """Every call in ``block``: call statements and calls inside conditions, in source order."""
    for stmt in walk(block):
        if isinstance(stmt, Call):
            yield stmt
        elif isinstance(stmt, If):
            for br in stmt.branches:
                yield from br.cond.calls
        elif isinstance(stmt, While):
            yield from stmt.cond.calls
        elif isinstance(stmt, For):
            yield from stmt.iter.calls
        elif isinstance(stmt, Assign | Return):
            cond = stmt.value
            if cond is not None:
                yield from cond.calls
