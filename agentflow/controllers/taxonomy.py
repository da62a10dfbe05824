"""The out-of-workflow (OOW) taxonomy: 3 categories, 17 subtypes.

Copied from FlowAgent's ``dataset/meta/oow.yaml`` (the user simulator's OOW types); a test pins this
table to that file (``tests/data/guided/oow.yaml``). Kept as Python data so it ships with the package.
"""

from __future__ import annotations

__all__ = ["IN_WORKFLOW", "OOW_TAXONOMY", "OUT_OF_SCOPE", "category_of"]

IN_WORKFLOW = "in_workflow"
OUT_OF_SCOPE = "out_of_scope"

OOW_TAXONOMY: dict[str, dict[str, str]] = {
    "Intent Switching": {
        "Detail Switching": "Changing specific details of the request, such as time, location, or options.",
        "Confirmation Switching": "Moving from a confirmation state to a modification state.",
        "Attitude Switching": "Changing satisfaction with the current service or option.",
        "Request Cancellation": "Moving from making a request to canceling it.",
        "Information Addition": "Adding new information or requirements to the original request.",
    },
    "Answering Irrelevantly": {
        "Incorrect Response": "Giving an obviously wrong answer to tease the other party.",
        "Vague Answer": "Providing a vague or ambiguous answer.",
        "Topic Shift": "Directly shifting to another topic.",
        "Counterquestion": "Responding with a question to prompt the other party to think.",
        "Irrelevant Information": "Replying with information unrelated to the question.",
        "Partial Answer": "Answering only part of the question, leaving other parts unanswered.",
    },
    "Process Jumping": {
        "Step Skipping": "Skipping certain steps and moving directly to subsequent ones.",
        "Process Restructuring": "Changing the order of steps.",
        "Step Repetition": "Repeating a previous step.",
        "Returning to Initial Steps": "Going back to the initial steps of the process.",
        "Rule Ignoring": "Disregarding certain rules within the process.",
        "Step Splitting": "Breaking a step into multiple smaller steps.",
    },
}


def category_of(subtype: str) -> str | None:
    """The category a subtype belongs to (case-insensitive), or ``None``."""
    key = subtype.strip().lower()
    for category, subtypes in OOW_TAXONOMY.items():
        if any(s.lower() == key for s in subtypes):
            return category
    return None
