"""Nodes: the units a graph runs, each with a declared input and output message type.

A node is anything that satisfies :class:`Node`: a ``name``, the message type(s) it accepts and
produces, and ``async call(message, ctx)``. Returning ``None`` ends that branch of the run without
an output. Most nodes are plain async functions wrapped by :class:`FunctionNode`, which reads the
types from the function's annotations::

    async def plan(task: Task) -> Plan: ...
    async def act(plan: Plan, ctx: RunContext) -> Action | None: ...

Types may be a :class:`~agentflow.messages.Message` subclass or a union of them (``A | B``); the
builder checks at build time that what one node produces fits what the next accepts.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, runtime_checkable

from agentflow.errors import GraphBuildError
from agentflow.events import EventBus
from agentflow.messages import Message

__all__ = ["FunctionNode", "Node", "RunContext", "TypeSpec", "message_types", "node", "type_name"]

TypeSpec = Any
"""A message type annotation: a Message subclass, or a union of them (``A | B``, ``Union[A, B]``)."""


class RunContext:
    """What a node may know about the run it is part of (passed as the second argument).

    Attributes:
        run_id: the run's id (shared by its sub-graphs).
        bus: the run's event bus, or ``None`` when nobody listens.
        graph: the name of the graph executing the node (a sub-graph has its own name).
        depth: 0 for the top graph, 1 for a sub-graph inside it, and so on.
        data: free per-run storage for nodes that must share something beyond messages
            (made on first use, so a run that does not need it does not pay for it).
    """

    __slots__ = ("_data", "bus", "depth", "graph", "run_id")

    def __init__(
        self,
        run_id: str,
        bus: EventBus | None = None,
        graph: str = "",
        depth: int = 0,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.run_id = run_id
        self.bus = bus
        self.graph = graph
        self.depth = depth
        self._data = data

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = {}
        return self._data

    def __repr__(self) -> str:
        return f"RunContext(run_id={self.run_id!r}, graph={self.graph!r}, depth={self.depth})"

    def emit(self, type: str, **fields: Any) -> None:
        """Emit a custom event on the run's bus (no-op when nobody listens)."""
        bus = self.bus
        if bus is not None and bus.active:
            bus.emit(type, graph=self.graph, **fields)


@runtime_checkable
class Node(Protocol):
    """Anything the graph runtime can run."""

    name: str
    input_type: TypeSpec
    output_type: TypeSpec

    def call(self, message: Any, ctx: RunContext) -> Awaitable[Message | None]:
        """Handle one message (an ``async def``); return the message to route on, or ``None`` to end the branch."""
        ...


def message_types(spec: TypeSpec, *, where: str) -> tuple[type[Message], ...]:
    """Normalise a type annotation to the tuple of Message classes it admits (``None`` dropped).

    Raises:
        GraphBuildError: when the annotation is not a Message subclass or a union of them.
    """
    origin: Any = typing.get_origin(spec)
    if origin is typing.Annotated:
        spec = typing.get_args(spec)[0]
        origin = typing.get_origin(spec)
    if isinstance(spec, type) and issubclass(spec, Message):
        return (spec,)
    if origin is typing.Union or origin is types.UnionType:
        out: list[type[Message]] = []
        for arg in typing.get_args(spec):
            if arg is type(None):
                continue
            out.extend(message_types(arg, where=where))
        if out:
            return tuple(dict.fromkeys(out))
    raise GraphBuildError(
        f"{where}: {spec!r} is not a message type",
        hint="use a Message subclass or a union of them, e.g. Plan | Critique",
    )


def type_name(classes: tuple[type[Message], ...]) -> str:
    """``Plan | Critique`` for error messages."""
    return " | ".join(c.__name__ for c in classes)


NodeFn = Callable[..., Awaitable[Message | None]]


class FunctionNode:
    """A node made from an async function; types come from its annotations unless given.

    The function takes the message and, optionally, a :class:`RunContext` as second positional
    parameter. ``call`` is bound to the function itself when it takes the context, so the runtime
    adds no extra coroutine frame per step.

    Args:
        fn: ``async def f(message[, ctx]) -> Message | None``.
        name: the node's name (default: the function's ``__name__``).
        input_type: overrides the first parameter's annotation.
        output_type: overrides the return annotation.
    """

    __slots__ = ("call", "fn", "input_type", "name", "output_type", "takes_ctx")

    def __init__(
        self,
        fn: NodeFn,
        *,
        name: str | None = None,
        input_type: TypeSpec | None = None,
        output_type: TypeSpec | None = None,
    ) -> None:
        self.name: str = name or getattr(fn, "__name__", "") or "node"
        if not inspect.iscoroutinefunction(fn):
            raise GraphBuildError(
                f"node {self.name!r}: {fn!r} is not an async function", hint="define it with `async def`"
            )
        self.fn = fn
        params = [
            p
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
        ]
        if not 1 <= len(params) <= 2:
            raise GraphBuildError(
                f"node {self.name!r}: takes {len(params)} required positional parameters",
                hint="a node function takes (message) or (message, ctx)",
            )
        self.takes_ctx = len(params) == 2
        hints = _hints(fn, self.name) if input_type is None or output_type is None else {}
        if input_type is None:
            input_type = hints.get(params[0].name)
            if input_type is None:
                raise GraphBuildError(
                    f"node {self.name!r}: parameter {params[0].name!r} has no message type annotation",
                    hint=f"annotate it (e.g. `{params[0].name}: Task`) or pass input_type=",
                )
        if output_type is None:
            output_type = hints.get("return")
            if output_type is None:
                raise GraphBuildError(
                    f"node {self.name!r}: no return annotation",
                    hint="annotate the returned message type (e.g. `-> Plan`) or pass output_type=",
                )
        self.input_type: TypeSpec = input_type
        self.output_type: TypeSpec = output_type
        message_types(input_type, where=f"node {self.name!r} input")
        message_types(output_type, where=f"node {self.name!r} output")
        self.call: Callable[[Any, RunContext], Awaitable[Message | None]] = fn if self.takes_ctx else self._call1

    async def _call1(self, message: Any, ctx: RunContext) -> Message | None:
        return await self.fn(message)

    def __repr__(self) -> str:
        return f"FunctionNode({self.name!r})"


def _hints(fn: NodeFn, name: str) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except NameError as exc:
        raise GraphBuildError(
            f"node {name!r}: cannot resolve the annotations of {getattr(fn, '__qualname__', fn)!r} ({exc})",
            hint="define the message classes at module level, or pass input_type= and output_type=",
        ) from None


def node(
    fn: NodeFn | None = None,
    *,
    name: str | None = None,
    input_type: TypeSpec | None = None,
    output_type: TypeSpec | None = None,
) -> Any:
    """Wrap an async function as a :class:`FunctionNode`; usable as ``node(fn)`` or ``@node(name=...)``."""
    if fn is not None:
        return FunctionNode(fn, name=name, input_type=input_type, output_type=output_type)

    def wrap(f: NodeFn) -> FunctionNode:
        return FunctionNode(f, name=name, input_type=input_type, output_type=output_type)

    return wrap
