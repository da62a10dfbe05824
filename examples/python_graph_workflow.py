"""Build a multi-agent workflow in Python: role nodes on the graph runtime, with a budgeted retry loop.

solver (Task -> Answer) -> judge (Answer -> Verdict) -> END when ok, else -> feedback -> solver again,
at most 3 solver runs. Run: python examples/python_graph_workflow.py
"""

from __future__ import annotations

from agentflow.backends.base import ChatRequest
from agentflow.graph.builder import END, START, Graph
from agentflow.graph.conditions import field
from agentflow.graph.nodes import RunContext
from agentflow.messages import Answer, Task, Verdict
from agentflow.roles import RoleLibrary
from agentflow.roles.node import RoleNode
from agentflow.testing import FunctionBackend


def model(request: ChatRequest) -> dict[str, object]:
    """A stand-in model: the solver improves once it got feedback; the judge wants '42'."""
    text = "\n".join(m.content for m in request.messages)
    if request.role == "solver":
        return {"text": "42" if "Take this into account" in text else "41"}
    return {"ok": "Candidate answer:\n42" in text, "reason": "expected 42"}


async def feedback(verdict: Verdict, ctx: RunContext) -> Task:
    """Turn a rejection into a new task for the solver."""
    return Task(text=ctx.data["question"], inputs={"feedback": verdict.reason})


def build(backend: FunctionBackend) -> Graph:
    roles = RoleLibrary()
    g = Graph("solve_and_judge")
    g.add_node(RoleNode(roles.get("solver"), backend, Task,
                        lambda t, ctx: {"question": t.text, "feedback": t.inputs.get("feedback", "")}), name="solver")
    g.add_node(RoleNode(roles.get("judge"), backend, Answer,
                        lambda a, ctx: {"question": ctx.data["question"], "candidate": a.text}), name="judge")
    g.add_node(feedback)
    g.add_chain(START, "solver", "judge")
    g.add_branch("judge", [(field("ok").is_true(), END)], default="feedback")
    g.add_edge("feedback", "solver")
    g.add_loop_budget("solver", max_iterations=3)
    return g


def main() -> Verdict:
    from agentflow.graph.nodes import RunContext as Ctx

    backend = FunctionBackend(model)
    app = build(backend).build()
    question = "What is 6 x 7?"
    result = app.run_sync(Task(text=question), context=Ctx(run_id="example", data={"question": question}))
    verdict = result.output
    assert isinstance(verdict, Verdict)
    print(result.status, verdict, "after", [r.role for r in backend.requests])
    return verdict


if __name__ == "__main__":
    main()
