"""The model-backed turn classifier: the ``oow_classifier`` role behind the deterministic rules.

:class:`LayeredClassifier` asks the cheap :class:`~agentflow.controllers.RuleClassifier` first and only
consults the model when the rules see an ordinary in-workflow turn, so unambiguous OOW turns
(cancellation, "ignore the procedure", explicit corrections) cost no model call and cannot be talked
out of their label.
"""

from __future__ import annotations

from typing import Any

from agentflow.backends.base import Backend
from agentflow.controllers import Classification, RuleClassifier, SessionState, WorkflowRules
from agentflow.controllers.taxonomy import IN_WORKFLOW
from agentflow.errors import OutputValidationError
from agentflow.events import EventBus

__all__ = ["LayeredClassifier", "RoleClassifier"]


class RoleClassifier:
    """Classifies with the ``oow_classifier`` role on ``backend``."""

    def __init__(self, backend: Backend, bus: EventBus | None = None, history_items: int = 6) -> None:
        self.backend = backend
        self.bus = bus
        self.history_items = history_items
        self._role: Any = None

    async def classify(self, text: str, state: SessionState, rules: WorkflowRules) -> Classification:
        from agentflow.roles import RoleLibrary, invoke_role

        turns = [h for h in state.history if h.role in ("user", "agent")]
        history = [{"role": h.role, "text": h.text} for h in turns[-self.history_items - 1 : -1]]
        agent_message = next((h.text for h in reversed(turns) if h.role == "agent"), "")
        if self._role is None:  # loaded once per classifier: role files are parsed and compiled
            self._role = RoleLibrary().get("oow_classifier")
        try:
            result = await invoke_role(
                self._role, self.backend,
                {"user_message": text, "agent_message": agent_message, "workflow": rules.name, "history": history},
                bus=self.bus,
            )
        except OutputValidationError as exc:
            # a label is advice: an unusable one must not end the conversation (controllers still guard it)
            if self.bus is not None:
                self.bus.emit("classifier_error", error=str(exc)[:300], turn=state.turn)
            return Classification(category=IN_WORKFLOW, source="fallback")
        category = str(getattr(result.output, "category", IN_WORKFLOW)).replace("_", " ").strip()
        subtype = str(getattr(result.output, "subtype", "")).replace("_", " ").strip()
        if category.lower().replace(" ", "_") == IN_WORKFLOW:
            return Classification(category=IN_WORKFLOW, source="model")
        return Classification(category=category, subtype=subtype, source="model").normalised()


class LayeredClassifier:
    """Rules first; the model only for turns the rules call in-workflow."""

    def __init__(self, model: RoleClassifier | None, rules: RuleClassifier | None = None) -> None:
        self.rules = rules or RuleClassifier()
        self.model = model

    async def classify(self, text: str, state: SessionState, rules: WorkflowRules) -> Classification:
        label = self.rules.classify_sync(text, state, rules)
        if label.is_oow or label.slots or self.model is None:
            return label
        return await self.model.classify(text, state, rules)
