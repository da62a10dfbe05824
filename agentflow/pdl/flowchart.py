"""The procedure as a flowchart: a networkx graph, rendered as Mermaid or Graphviz DOT.

Nodes carry ``kind`` (``start``, ``end``, ``API``, ``ANSWER``, ``ROLE``, ``BARE``, ``assign``,
``decision``, ``loop``, ``fork``, ``join``, ``return``, ``text``, ``def``) and ``label``; edges may
carry ``label`` (``yes``/``no``/``loop``/``break``). Comments are left out; a comment-only branch
is an edge straight through.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from agentflow.pdl.ast import (
    Assign,
    Block,
    Break,
    Call,
    Comment,
    Continue,
    Def,
    For,
    If,
    Parallel,
    Return,
    Stmt,
    Text,
    While,
)
from agentflow.pdl.document import PdlDocument
from agentflow.pdl.expr import Const

__all__ = ["deps_chart", "flowchart", "mermaid_text", "to_dot", "to_mermaid"]

_Exit = tuple[str, str]  # (node id, edge label)
MAX_LABEL = 60


@dataclass
class _Loop:
    head: str
    breaks: list[_Exit] = field(default_factory=list)


class _Builder:
    def __init__(self) -> None:
        self.g: nx.DiGraph = nx.DiGraph()
        self.n = 0

    def node(self, kind: str, label: str) -> str:
        nid = f"n{self.n}"
        self.n += 1
        text = " ".join(label.split())
        self.g.add_node(nid, kind=kind, label=text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…")
        return nid

    def link(self, preds: list[_Exit], target: str) -> None:
        for src, label in preds:
            if self.g.has_edge(src, target):
                continue
            self.g.add_edge(src, target, label=label)

    def block(self, block: Block, preds: list[_Exit], loop: _Loop | None, end: str) -> list[_Exit]:
        for stmt in block.stmts:
            preds = self.stmt(stmt, preds, loop, end)
        return preds

    def stmt(self, stmt: Stmt, preds: list[_Exit], loop: _Loop | None, end: str) -> list[_Exit]:  # noqa: C901
        if isinstance(stmt, Comment):
            return preds
        if isinstance(stmt, Call):
            targets = ", ".join(t.name for t in stmt.targets)
            label = f"{stmt.kind}.{stmt.name}" if stmt.kind != "BARE" else f"{stmt.name}()"
            nid = self.node(stmt.kind, f"{targets} = {label}" if targets else label)
        elif isinstance(stmt, Assign):
            nid = self.node("assign", f"{', '.join(t.name for t in stmt.targets)} = {stmt.value.text}")
        elif isinstance(stmt, Text):
            nid = self.node("text", stmt.text)
        elif isinstance(stmt, Return):
            nid = self.node("return", f"return {stmt.value.text}" if stmt.value else "return")
            self.link(preds, nid)
            self.link([(nid, "")], end)
            return []
        elif isinstance(stmt, Break):
            if loop is not None:
                loop.breaks.extend((src, lbl or "break") for src, lbl in preds)
            return []
        elif isinstance(stmt, Continue):
            if loop is not None:
                self.link([(s, lbl or "continue") for s, lbl in preds], loop.head)
            return []
        elif isinstance(stmt, If):
            return self.if_(stmt, preds, loop, end)
        elif isinstance(stmt, While | For):
            if isinstance(stmt, While):
                label = f"while {stmt.cond.text}"
            else:
                label = f"for {', '.join(t.name for t in stmt.targets)} in {stmt.iter.text}"
            head = self.node("loop", label + (f" (max {stmt.budget})" if stmt.budget else ""))
            self.link(preds, head)
            inner = _Loop(head)
            exits = self.block(stmt.body, [(head, "yes")], inner, end)
            self.link([(s, lbl or "loop") for s, lbl in exits], head)
            forever = isinstance(stmt, While) and isinstance(stmt.cond.expr, Const) and stmt.cond.expr.value is True
            return [*([] if forever else [(head, "no")]), *inner.breaks]
        elif isinstance(stmt, Parallel):
            fork = self.node("fork", "parallel")
            self.link(preds, fork)
            join = self.node("join", "join")
            for s in stmt.body.stmts:
                self.link(self.stmt(s, [(fork, "")], loop, end), join)
            return [(join, "")]
        elif isinstance(stmt, Def):
            params = ", ".join(p.name for p in stmt.params)
            head = self.node("def", f"def {stmt.name}({params})")
            ret = self.node("end", f"end {stmt.name}")
            self.link(self.block(stmt.body, [(head, "")], None, ret), ret)
            return preds
        else:  # pragma: no cover - every statement kind is handled above
            return preds
        self.link(preds, nid)
        return [(nid, "")]

    def if_(self, stmt: If, preds: list[_Exit], loop: _Loop | None, end: str) -> list[_Exit]:
        exits: list[_Exit] = []
        for br in stmt.branches:
            decision = self.node("decision", br.cond.text)
            self.link(preds, decision)
            exits += self.block(br.body, [(decision, "yes")], loop, end)
            preds = [(decision, "no")]
        if stmt.orelse is not None:
            exits += self.block(stmt.orelse, preds, loop, end)
        else:
            exits += preds
        return exits


def flowchart(doc: PdlDocument) -> nx.DiGraph:
    """The procedure's control flow as a directed graph (``start`` node ``n0``)."""
    b = _Builder()
    start = b.node("start", doc.name or "start")
    end = b.node("end", "end")
    exits = b.block(doc.procedure, [(start, "")], None, end)
    b.link(exits, end)
    return b.g


_MERMAID_SHAPES = {
    "start": ("([", "])"), "end": ("([", "])"), "API": ("[[", "]]"), "ANSWER": ("(", ")"), "ROLE": ("{{", "}}"),
    "decision": ("{", "}"), "loop": ("{", "}"), "fork": ("[/", "/]"), "join": ("[\\", "\\]"),
    "text": (">", "]"), "def": ("[[", "]]"),
}  # fmt: skip


def deps_chart(deps: nx.DiGraph) -> nx.DiGraph:
    """The API/ANSWER dependency graph (:func:`~agentflow.pdl.depgraph.dependency_graph`) as a chart to render."""
    graph: nx.DiGraph = nx.DiGraph()
    ids = {n: f"d{i}" for i, n in enumerate(deps.nodes)}
    for n, data in deps.nodes(data=True):
        graph.add_node(ids[n], kind=data["kind"], label=f"{data['kind']}.{data['name']}")
    for u, v, data in deps.edges(data=True):
        graph.add_edge(ids[u], ids[v], label=" and ".join(vc.text for vc in data.get("conditions", ())))
    return graph


_MERMAID_ENTITIES = {"#": "#35;", '"': "#quot;", "|": "#124;", "<": "#lt;", ">": "#gt;", "`": "#96;"}


def mermaid_text(text: str) -> str:
    """Text safe inside a quoted Mermaid label: quotes, pipes, angle brackets and ``#`` as entity codes."""
    return "".join(_MERMAID_ENTITIES.get(ch, ch) for ch in " ".join(text.split()))


def to_mermaid(graph: nx.DiGraph) -> str:
    """Mermaid ``flowchart TD`` text."""
    lines = ["flowchart TD"]
    for nid, data in graph.nodes(data=True):
        left, right = _MERMAID_SHAPES.get(data["kind"], ("[", "]"))
        lines.append(f'    {nid}{left}"{mermaid_text(data["label"])}"{right}')
    for src, dst, data in graph.edges(data=True):
        label = data.get("label", "")
        lines.append(f'    {src} -->|"{mermaid_text(label)}"| {dst}' if label else f"    {src} --> {dst}")
    classes = {"API": "api", "ANSWER": "answer", "ROLE": "role"}
    for kind, cls in classes.items():
        members = [n for n, d in graph.nodes(data=True) if d["kind"] == kind]
        if members:
            lines.append(f"    class {','.join(members)} {cls}")
    lines += [
        "    classDef api fill:#dbeafe,stroke:#1e40af",
        "    classDef answer fill:#dcfce7,stroke:#166534",
        "    classDef role fill:#fef3c7,stroke:#92400e",
    ]
    return "\n".join(lines) + "\n"


_DOT_SHAPES = {
    "start": "oval", "end": "oval", "API": "box3d", "ANSWER": "box", "ROLE": "hexagon", "decision": "diamond",
    "loop": "diamond", "fork": "trapezium", "join": "invtrapezium", "text": "note", "def": "component",
}  # fmt: skip


def to_dot(graph: nx.DiGraph, name: str = "pdl") -> str:
    """Graphviz DOT text."""

    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f"digraph {q(name)} {{", "    node [fontname=Helvetica];"]
    for nid, data in graph.nodes(data=True):
        shape = _DOT_SHAPES.get(data["kind"], "box")
        lines.append(f"    {nid} [label={q(data['label'])}, shape={shape}];")
    for src, dst, data in graph.edges(data=True):
        label = data.get("label", "")
        lines.append(f"    {src} -> {dst} [label={q(label)}];" if label else f"    {src} -> {dst};")
    lines.append("}")
    return "\n".join(lines) + "\n"
