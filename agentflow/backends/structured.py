"""Typed outputs: ask for a pydantic model, validate, and repair a bounded number of times.

The request carries the model's JSON Schema in ``response_schema``, and each provider uses its
strongest mechanism for it: JSON-schema response format on OpenAI, guided decoding
(``structured_outputs``) on a vLLM server, tool mode on Anthropic, constrained generation on the local
backends. The answer is validated with pydantic; when it fails, the validation errors are fed back to
the model (as an assistant turn with its answer and a user turn listing what is wrong) for at most
``repairs`` more tries, and then :class:`~agentflow.errors.OutputValidationError` carries the raw output.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from agentflow.backends.base import Backend, ChatMessage, ChatRequest, ChatResponse
from agentflow.errors import OutputValidationError
from agentflow.messages import Usage

__all__ = ["TypedOutcome", "complete_typed", "complete_typed_outcome", "schema_request"]

M = TypeVar("M", bound=BaseModel)

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)
_NAME = re.compile(r"[^A-Za-z0-9_-]")


@dataclass
class TypedOutcome(Generic[M]):
    """The validated value plus every response it took (for usage and traces)."""

    value: M
    responses: list[ChatResponse] = field(default_factory=list)

    @property
    def repairs(self) -> int:
        return len(self.responses) - 1


def schema_request(request: ChatRequest, output_model: type[BaseModel]) -> ChatRequest:
    """``request`` asking for JSON valid under ``output_model``'s schema (tools are kept)."""
    name = _NAME.sub("_", output_model.__name__)[:64] or "output"
    return request.model_copy(update={"response_schema": output_model.model_json_schema(),
                                      "response_schema_name": name})


def _extract(text: str) -> str:
    """The JSON part of an answer (models sometimes wrap it in a code fence)."""
    match = _FENCE.match(text)
    return match.group(1) if match else text.strip()


def _explain(error: ValidationError) -> str:
    lines = []
    for item in error.errors(include_url=False)[:10]:
        where = ".".join(str(p) for p in item["loc"]) or "(root)"
        lines.append(f"- {where}: {item['msg']}")
    return "\n".join(lines)


async def complete_typed_outcome(
    backend: Backend, request: ChatRequest, output_model: type[M], repairs: int = 2
) -> TypedOutcome[M]:
    """Like :func:`complete_typed`, also returning every response (one per try)."""
    asked = schema_request(request, output_model)
    schema_text = json.dumps(asked.response_schema, ensure_ascii=False)
    responses: list[ChatResponse] = []
    raw = ""
    problem = ""
    for attempt in range(repairs + 1):
        response = await backend.complete(asked)
        responses.append(response)
        raw = response.text
        try:
            value = output_model.model_validate_json(_extract(raw))
        except ValidationError as exc:
            problem = _explain(exc)
        else:
            return TypedOutcome(value=value, responses=responses)
        if attempt == repairs:
            break
        feedback = (
            f"Your answer is not valid {output_model.__name__} JSON:\n{problem}\n"
            f"Reply again with only one JSON object valid under this JSON Schema:\n{schema_text}"
        )
        asked = asked.model_copy(update={"messages": (
            *asked.messages, ChatMessage(role="assistant", content=raw), ChatMessage(role="user", content=feedback),
        )})
    raise OutputValidationError(
        f"{backend.name}: output is not a valid {output_model.__name__} after {repairs} repair(s):\n{problem}",
        raw=raw,
        usage=sum((r.usage for r in responses), Usage()),
        attempts=len(responses),
    )


async def complete_typed(backend: Backend, request: ChatRequest, output_model: type[M], repairs: int = 2) -> M:
    """Ask ``backend`` for an ``output_model`` and return it validated.

    Args:
        backend: any backend (wrappers included).
        request: the conversation; its ``response_schema`` is set from ``output_model``.
        output_model: the pydantic model the answer must validate as.
        repairs: how many times a failed validation is fed back before giving up.

    Raises:
        OutputValidationError: still invalid after ``repairs`` repairs; ``raw`` holds the last answer.
    """
    outcome = await complete_typed_outcome(backend, request, output_model, repairs)
    return outcome.value
