"""Guided mode's dependency graph (what controllers enforce) and the flowchart renderers."""

from __future__ import annotations

import textwrap

from agentflow.pdl import parse_pdl_text
from agentflow.pdl.depgraph import dependency_graph, missing_requirements
from agentflow.pdl.flowchart import flowchart, to_dot, to_mermaid

FLIGHTS = textwrap.dedent(
    """\
    Name: flights
    Desc: d
    APIs:
      - name: checkAvailability
        response: [is_air]
      - name: reserveFlight
        precondition: [checkAvailability, 'checkAvailability.is_air == "true"']
    ANSWERs:
      - name: booked
        precondition: [reserveFlight]
    Procedure: |
      [is_air] = API.checkAvailability()
      if is_air == "true":
          API.reserveFlight()
          ANSWER.booked()
      else:
          # say sorry
    """
)


def test_dependency_graph_edges_and_requirements() -> None:
    doc = parse_pdl_text(FLIGHTS, "f.pdl")
    g = dependency_graph(doc)
    assert set(g.edges) == {("API:checkAvailability", "API:reserveFlight"), ("API:reserveFlight", "ANSWER:booked")}
    assert g.edges["API:checkAvailability", "API:reserveFlight"]["kind"] == "value"
    assert missing_requirements(g, "API", "reserveFlight", {}) == ["checkAvailability must be called first"]
    assert missing_requirements(g, "API", "reserveFlight", {"checkAvailability": {"is_air": "false"}}) == [
        'precondition checkAvailability.is_air == "true" does not hold'
    ]
    assert missing_requirements(g, "API", "reserveFlight", {"checkAvailability": {"is_air": "true"}}) == []
    assert missing_requirements(g, "ANSWER", "booked", {"checkAvailability": {}}) == [
        "reserveFlight must be called first"
    ]
    assert missing_requirements(g, "API", "unknown", {}) == []


def test_flowchart_shapes_and_edges() -> None:
    doc = parse_pdl_text(FLIGHTS, "f.pdl")
    g = flowchart(doc)
    kinds = sorted(d["kind"] for _, d in g.nodes(data=True))
    assert kinds == ["ANSWER", "API", "API", "decision", "end", "start"]
    decision = next(n for n, d in g.nodes(data=True) if d["kind"] == "decision")
    assert sorted(d["label"] for _, _, d in g.out_edges(decision, data=True)) == ["no", "yes"]
    mermaid = to_mermaid(g)
    assert '{"is_air == #quot;true#quot;"}' in mermaid and "-->|\"no\"|" in mermaid
    dot = to_dot(g, "flights")
    assert dot.startswith('digraph "flights" {') and "shape=diamond" in dot


def test_loops_and_parallel_in_flowchart() -> None:
    text = textwrap.dedent(
        """\
        Name: loop
        Desc: d
        Inputs: {task: str}
        ROLEs: [critic, judge]
        Procedure: |
          while True max 3:
              parallel:
                  a = ROLE.critic(task=task)
                  b = ROLE.critic(task=task)
              v = ROLE.judge(a=a, b=b)
              if v.ok:
                  break
          return v
        """
    )
    g = flowchart(parse_pdl_text(text, "l.pdl"))
    loop = next(n for n, d in g.nodes(data=True) if d["kind"] == "loop")
    assert g.nodes[loop]["label"] == "while True (max 3)"
    assert "no" not in [d["label"] for _, _, d in g.out_edges(loop, data=True)]  # while True exits only by break
    fork = next(n for n, d in g.nodes(data=True) if d["kind"] == "fork")
    assert g.out_degree(fork) == 2
    ret = next(n for n, d in g.nodes(data=True) if d["kind"] == "return")
    assert [d["label"] for _, _, d in g.in_edges(ret, data=True)] == ["yes"]  # reached by the break
