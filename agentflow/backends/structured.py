"""Typed outputs: ask for JSON, parse and validate it, and repair a bounded number of times — the ONE
loop every typed call uses (:func:`complete_parsed`; role calls in :mod:`agentflow.roles.call` too).

The request carries the model's JSON Schema in ``response_schema``, and each provider uses its
strongest mechanism for it: JSON-schema response format on OpenAI, guided decoding
(``structured_outputs``) on a vLLM server, tool mode on Anthropic, constrained generation on the local
backends. The answer's JSON (:func:`extract_json`: the whole text, a fenced block, or the outermost
``{...}``) is validated; when it fails, the problem is fed back to the model (as an assistant turn with
its answer and a user turn saying what is wrong) for at most ``repairs`` more tries, and then
:class:`~agentflow.errors.OutputValidationError` carries the raw output.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from agentflow.backends.base import Backend, ChatMessage, ChatRequest, ChatResponse
from agentflow.errors import OutputValidationError
from agentflow.messages import Usage

__all__ = ["ParsedOutcome", "TypedOutcome", "complete_parsed", "complete_typed", "complete_typed_outcome",
           "extract_json", "schema_request"]

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

_FENCE = re.compile(r"^```[a-zA-Z0-9_-]*\s*|\s*```$")  # the one fence pattern (opening and/or closing)
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


def extract_json(text: str) -> str:
    """The JSON part of an answer: the whole text, a fenced block, or the outermost ``{...}``."""
    stripped = _FENCE.sub("", text.strip()).strip()
    try:
        json.loads(stripped)
    except json.JSONDecodeError:
        start, end = stripped.find("{"), stripped.rfind("}")
        if start >= 0 and end > start:
            return stripped[start : end + 1]
    return stripped


@dataclass
class ParsedOutcome(Generic[T]):
    """What :func:`complete_parsed` ended with: the value (``None`` when every try was invalid), the
    last raw answer and problem, every response (tool rounds included) and the tries counted."""

    value: T | None
    raw: str
    problem: str
    responses: list[ChatResponse]
    attempts: int


Observer = Callable[[ChatResponse, float, int], None]
"""Called after every response with its wall time and the try number (1-based)."""
ToolStep = Callable[[ChatResponse, ChatRequest], Awaitable[ChatRequest | None]]
"""Runs the tool calls of a response; returns the next request (a tool round, not a try) or ``None``."""


async def complete_parsed(
    backend: Backend,
    request: ChatRequest,
    parse: Callable[[str], T],
    *,
    repairs: int = 2,
    feedback: Callable[[str], str],
    observe: Observer | None = None,
    tool_step: ToolStep | None = None,
    on_invalid: Callable[[int, str, str], None] | None = None,
) -> ParsedOutcome[T]:
    """Ask, parse, and feed a problem back up to ``repairs`` times.

    Args:
        parse: the raw answer -> the value; raises ``ValueError`` saying what is wrong.
        feedback: the problem -> the user turn asking for a corrected answer.
        observe: sees every response (e.g. to emit ``llm_call``).
        tool_step: answers a response's tool calls (those rounds are not tries).
        on_invalid: ``(try, problem, raw)`` for each invalid answer (e.g. to emit ``role_repair``).
    """
    responses: list[ChatResponse] = []
    raw = problem = ""
    attempt = 0
    while attempt < repairs + 1:
        started = time.perf_counter()
        response = await backend.complete(request)
        responses.append(response)
        if observe is not None:
            observe(response, time.perf_counter() - started, attempt + 1)
        if tool_step is not None:
            following = await tool_step(response, request)
            if following is not None:
                request = following
                continue
        attempt += 1
        raw = response.text
        try:
            return ParsedOutcome(parse(raw), raw, "", responses, attempt)
        except ValueError as exc:
            problem = str(exc)
        if on_invalid is not None:
            on_invalid(attempt, problem, raw)
        request = request.model_copy(update={"messages": (
            *request.messages, ChatMessage(role="assistant", content=raw),
            ChatMessage(role="user", content=feedback(problem)),
        )})
    return ParsedOutcome(None, raw, problem, responses, attempt)


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

    def parse(raw: str) -> M:
        try:
            return output_model.model_validate_json(extract_json(raw))
        except ValidationError as exc:
            raise ValueError(_explain(exc)) from None

    def feedback(problem: str) -> str:
        return (f"Your answer is not valid {output_model.__name__} JSON:\n{problem}\n"
                f"Reply again with only one JSON object valid under this JSON Schema:\n{schema_text}")

    outcome = await complete_parsed(backend, asked, parse, repairs=repairs, feedback=feedback)
    if outcome.value is not None:
        return TypedOutcome(value=outcome.value, responses=outcome.responses)
    raise OutputValidationError(
        f"{backend.name}: output is not a valid {output_model.__name__} after {repairs} repair(s):\n{outcome.problem}",
        raw=outcome.raw,
        usage=sum((r.usage for r in outcome.responses), Usage()),
        attempts=len(outcome.responses),
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
