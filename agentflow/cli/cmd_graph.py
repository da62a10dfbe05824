"""``agentflow graph FILE [--format mermaid|dot] [--deps]``: the procedure as a flowchart.

The default is the control-flow chart (API, ANSWER and ROLE nodes, branches, loops); ``--deps``
prints the API/ANSWER precondition graph that guided-mode controllers enforce instead.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``graph`` subcommand."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "graph", help="draw a PDL procedure", description="Print a PDL procedure as a Mermaid or DOT flowchart."
    )
    p.add_argument("file", metavar="FILE.pdl")
    p.add_argument("--format", choices=("mermaid", "dot"), default="mermaid")
    p.add_argument("--tools-spec", metavar="TOOLS.yaml", help="tool file (default: FlowAgent's ../tools/NNN.yaml)")
    p.add_argument("--deps", action="store_true", help="the API/ANSWER dependency graph instead of the flowchart")
    p.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    from agentflow.pdl.depgraph import dependency_graph
    from agentflow.pdl.flowchart import deps_chart, flowchart, to_dot, to_mermaid
    from agentflow.pdl.loader import load_pdl

    doc = load_pdl(args.file, args.tools_spec)
    graph = deps_chart(dependency_graph(doc)) if args.deps else flowchart(doc)
    print(to_dot(graph, doc.name or "pdl") if args.format == "dot" else to_mermaid(graph), end="")
    return 0
