"""The script format of :class:`~agentflow.testing.ScriptedBackend` and its loader.

A script is a YAML list; each item is one model response::

    - say: Hello! Which flight?          # a text reply
    - call: checkAvailability            # a tool (API) call
      args: {plan_code: CA1234}
    - json: {ok: true, score: 9}         # structured output (typed role results)
    - role: judge                        # optional: which role this step answers
      json: {ok: false}
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agentflow._ids import new_id
from agentflow.backends.base import ChatRequest, ChatResponse, ToolCall
from agentflow.errors import Location, UserError
from agentflow.messages import Usage
from agentflow.safeload import read_yaml

__all__ = ["ScriptError", "ScriptStep", "load_script"]


class ScriptError(UserError):
    """A script does not match what the run asked of it (missing, unused or mismatched steps)."""


class ScriptStep(BaseModel):
    """One scripted model response: exactly one of ``say``, ``call`` or ``json``."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    say: str | None = None
    call: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    json_: Any = Field(default=None, alias="json")
    role: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> ScriptStep:
        given = [k for k, v in (("say", self.say), ("call", self.call), ("json", self.json_)) if v is not None]
        if len(given) != 1:
            raise ValueError(f"each step needs exactly one of say/call/json, got {given or 'none'}")
        if self.args and self.call is None:
            raise ValueError("`args` belongs to a `call` step")
        return self

    def describe(self) -> str:
        """A short human description for error messages."""
        if self.say is not None:
            return f"say {self.say[:40]!r}"
        if self.call is not None:
            return f"call {self.call}({json.dumps(self.args, ensure_ascii=False)[:40]})"
        return f"json {json.dumps(self.json_, ensure_ascii=False)[:40]}"

    def to_response(self, request: ChatRequest, usage: Callable[[ChatRequest, str], Usage]) -> ChatResponse:
        """The model response this step stands for."""
        if self.call is not None:
            call = ToolCall(id=new_id("call"), name=self.call, arguments=dict(self.args))
            return ChatResponse(
                tool_calls=(call,), usage=usage(request, json.dumps(self.args)), model="scripted",
                finish_reason="tool_calls",
            )
        text = self.say if self.say is not None else json.dumps(self.json_, ensure_ascii=False)
        return ChatResponse(text=text, usage=usage(request, text), model="scripted")


def load_script(path: str | Path) -> list[ScriptStep]:
    """Load and validate a script file; errors name the file and the step."""
    p = Path(path)
    raw = read_yaml(p, "script", hint="check the path after `scripted:`")
    if not isinstance(raw, list):
        raise UserError("a script must be a YAML list of steps", location=Location(str(p), 1, 1),
                        hint="write `- say: ...` or `- call: NAME` items")
    steps: list[ScriptStep] = []
    for i, item in enumerate(raw, start=1):
        try:
            steps.append(ScriptStep.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            raise UserError(f"script step {i}: {first['msg']}", location=Location(str(p)),
                            hint="each step is {say: TEXT}, {call: NAME, args: {...}} or {json: VALUE}") from None
    return steps
