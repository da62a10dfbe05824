"""Load any PDL workflow for an app: a conversation (guided) or an orchestration (executed).

``load_workflow("flight.pdl")`` returns a :class:`~agentflow.runner.conversation.Conversation` for a
FlowAgent-style procedure and ``load_workflow("table_critic.pdl")`` an
:class:`~agentflow.runner.orchestration.Orchestration` for a file that declares inputs or calls roles:
the document's mode decides, as it does for ``agentflow run``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from agentflow.guided.workflow import guided_from_document
from agentflow.pdl.loader import load_pdl
from agentflow.runner.conversation import Conversation
from agentflow.runner.orchestration import Orchestration, load_orchestration

__all__ = ["load_workflow"]


def load_workflow(
    path: str | Path,
    *,
    roles: Iterable[str | Path] = (),
    tools: str | Path | Mapping[str, Any] | None = None,
    tools_spec: str | Path | None = None,
    inputs: Mapping[str, Any] | None = None,
) -> Conversation | Orchestration:
    """Load and check ``path``; the file's mode picks the kind.

    Args:
        roles: executed workflows: extra role folders.
        tools: executed workflows: the ``--tools`` file or name -> function mapping (guided
            conversations take their tools per run: ``Conversation.run(..., tools=...)``).
        tools_spec: guided workflows: a FlowAgent tool schema file.
        inputs: guided workflows: pre-filled slots.

    Raises:
        UserError: bad file, unknown role/tool, type mismatch -- at ``path:line:col``.
    """
    doc = load_pdl(path, tools_spec=tools_spec)
    if doc.mode == "executed":
        return load_orchestration(path, roles=roles, tools=tools, doc=doc)
    return Conversation(guided_from_document(doc, dict(inputs or {})))
