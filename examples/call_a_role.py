"""Call declarative roles directly: typed output, validation and bounded repairs.

Run: python examples/call_a_role.py
"""

from __future__ import annotations

from agentflow.backends.base import ChatRequest
from agentflow.messages import Verdict
from agentflow.roles import RoleLibrary, call_role_sync
from agentflow.testing import FunctionBackend


def grader(request: ChatRequest) -> dict[str, object]:
    """A stand-in model: compares the answer with the reference shown in the prompt."""
    prompt = request.messages[-1].content
    answer = prompt.split("Answer to grade: ")[1].splitlines()[0]
    reference = prompt.split("Reference answer: ")[1].splitlines()[0]
    return {"ok": answer.strip() == reference.strip(), "score": 1.0 if answer == reference else 0.0,
            "reason": f"{answer!r} vs {reference!r}"}


def main() -> Verdict:
    roles = RoleLibrary()  # built-ins from roles/*.yaml (pass your own folders to override them)
    verdict = call_role_sync("answer_grader", FunctionBackend(grader), library=roles,
                             question="What is 6 x 7?", answer="42", reference="42")
    assert isinstance(verdict, Verdict)
    print("answer_grader:", verdict)
    label = call_role_sync("oow_classifier", FunctionBackend(lambda r: {"category": "process_jumping",
                                                                        "subtype": "step_skipping"}),
                           library=roles, user_message="Just book it, skip the questions.")
    print("oow_classifier:", label)
    return verdict


if __name__ == "__main__":
    main()
