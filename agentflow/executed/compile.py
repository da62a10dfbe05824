"""Executed-mode compiler: a lowered :class:`Program` → a graph on the graph runtime.

Each statement becomes one node (named ``what@line:col`` so traces point into the file); control
flow becomes edges:

* ``if/elif/else`` — a test node whose branch routes on the case that held;
* ``while`` / ``for`` — an entry node (resets the loop's counter), a header node that decides
  another iteration or the exit, the body looping back to the header; the per-loop budget is
  enforced by the header (the loop *exits* with a note when it runs out — it never spins) and the
  graph's own loop budget backs it up;
* ``parallel:`` — a fork node fanning out to one node per branch, all running concurrently, and an
  ``all`` join that merges the variables each branch bound;
* ``return`` — straight to ``END``; falling off the end goes through a ``finish`` node.
"""

from __future__ import annotations

from typing import Any

from agentflow.errors import Location, UserError
from agentflow.executed import nodes as n
from agentflow.executed.env import ExecEnv
from agentflow.executed.program import (
    ApiStep,
    AssignStep,
    BreakStep,
    BuiltinStep,
    ContinueStep,
    ForStep,
    IfStep,
    ParallelStep,
    Program,
    ReturnStep,
    RoleStep,
    Step,
    Where,
    WhileStep,
)
from agentflow.graph import END, START, Graph

__all__ = ["build_graph"]

_Loop = tuple[str, str]  # (header node, exit destination)


def _route(value: str) -> Any:
    def holds(message: Any) -> bool:
        return getattr(message, "route", None) == value

    holds.__name__ = f"route_is_{value}"
    return holds


class _Compiler:
    def __init__(self, program: Program, env: ExecEnv) -> None:
        self.program = program
        self.env = env
        self.g = Graph(program.name or "workflow", max_steps=env.max_steps)
        self.multiplier = 1

    def add(self, base: str, where: Where, work: n.Work) -> str:
        name = f"{base}@{where.line}:{where.col}"
        key, i = name, 2
        while key in self.g.nodes:
            key, i = f"{name}#{i}", i + 1
        self.g.add_node(n.StepNode(key, work), name=key)
        return key

    def block(self, steps: tuple[Step, ...], nxt: str, loop: _Loop | None) -> str:
        for i, step in enumerate(steps[:-1]):
            if isinstance(step, BreakStep | ContinueStep | ReturnStep):
                after = steps[i + 1].where
                raise UserError("unreachable statement", location=Location(after.path, after.line, after.col),
                                hint="remove it, or move it before the break/continue/return")
        entry = nxt
        for step in reversed(steps):
            entry = self.step(step, entry, loop)
        return entry

    def simple(self, step: Step) -> tuple[str, n.Work] | None:
        env = self.env
        if isinstance(step, RoleStep):
            return step.role, n.role_work(step, env)
        if isinstance(step, ApiStep):
            return f"api.{step.tool}", n.api_work(step, env)
        if isinstance(step, BuiltinStep):
            return step.name, n.builtin_work(step)
        if isinstance(step, AssignStep):
            return f"set.{step.target}", n.assign_work(step)
        return None

    def step(self, step: Step, nxt: str, loop: _Loop | None) -> str:
        simple = self.simple(step)
        if simple is not None:
            node = self.add(simple[0], step.where, simple[1])
            self.g.add_edge(node, nxt)
            return node
        if isinstance(step, IfStep):
            node = self.add("if", step.where, n.if_work(step))
            cases = [(_route(f"case{i}"), self.block(body, nxt, loop)) for i, (_, body) in enumerate(step.branches)]
            default = self.block(step.orelse, nxt, loop) if step.orelse else nxt
            self.g.add_branch(node, cases, default=default)
            return node
        if isinstance(step, WhileStep | ForStep):
            label = f"{step.label}:{step.where.col}"
            enter = self.add("loop_enter", step.where, n.loop_enter_work(label, step))
            head = self.add("loop", step.where, n.loop_head_work(label, step))
            outer = self.multiplier
            self.multiplier *= step.budget + 1
            body = self.block(step.body, head, (head, nxt))
            self.multiplier = outer
            self.g.add_edge(enter, head)
            self.g.add_branch(head, [(_route("body"), body)], default=nxt)
            # backstop only: the header enforces the per-entry budget itself and exits cleanly
            self.g.add_loop_budget(head, (step.budget + 1) * outer, exit_to=nxt)
            return enter
        if isinstance(step, BreakStep | ContinueStep):
            assert loop is not None  # lowering rejects break/continue outside loops
            kind = "break" if isinstance(step, BreakStep) else "continue"
            node = self.add(kind, step.where, n.passthrough)
            self.g.add_edge(node, loop[1] if kind == "break" else loop[0])
            return node
        if isinstance(step, ReturnStep):
            node = self.add("return", step.where, n.return_work(step))
            self.g.add_edge(node, END)
            return node
        if isinstance(step, ParallelStep):
            return self.parallel(step, nxt)
        raise AssertionError(f"unknown step {step!r}")  # pragma: no cover

    def parallel(self, step: ParallelStep, nxt: str) -> str:
        fork = self.add("parallel", step.where, n.passthrough)
        branch_nodes: dict[str, str | None] = {}
        for (inner,) in step.branches:
            simple = self.simple(inner)
            if simple is None:
                w = inner.where
                raise UserError("a parallel branch must be one call or assignment",
                                location=Location(w.path, w.line, w.col),
                                hint="move loops and ifs out of `parallel:` or into a role")
            node = self.add(simple[0], inner.where, simple[1])
            self.g.add_edge(fork, node)
            branch_nodes[node] = getattr(inner, "target", None)
        join = f"join@{step.where.line}:{step.where.col}"
        self.g.add_node(n.JoinNode(join, branch_nodes), name=join)
        self.g.add_join(join, list(branch_nodes))
        self.g.add_edge(join, nxt)
        return fork

    def build(self) -> Graph:
        finish = "finish"
        self.g.add_node(n.StepNode(finish, n.passthrough), name=finish)
        self.g.add_edge(finish, END)
        entry = self.block(self.program.steps, finish, None)
        self.g.add_edge(START, entry)
        if not any(e.dst == finish for e in self.g.edges):  # every path returns: no fall-off end
            del self.g.nodes[finish]
            self.g.edges = [e for e in self.g.edges if e.src != finish]
        return self.g


def build_graph(program: Program, env: ExecEnv) -> Graph:
    """The (unbuilt) graph of ``program`` whose nodes call roles and tools through ``env``.

    Call ``.build()`` on the result to validate it and get the runnable graph.

    Raises:
        UserError: unreachable statements or a parallel branch that is not a single call.
    """
    return _Compiler(program, env).build()
