"""The role file format: :class:`RoleSpec`, the schema every ``roles/*.yaml`` file validates against.

A role is a prompt-level agent: what it is for, a Jinja2 prompt (rendered in a sandbox), the inputs
it consumes, the typed message it produces, model settings, tools and a repair policy. Unknown keys
are an error everywhere (``extra="forbid"``) so a typo in a role file never passes silently;
``agentflow schema role`` prints :meth:`RoleSpec.model_json_schema` for editors.

``produces`` is either the ``kind`` of a built-in message (``verdict``, ``critique``, ...) or an
inline :class:`OutputSchema` whose fields become a typed pydantic message at load time::

    produces:
      name: classification
      fields:
        category: {type: str, enum: [in_workflow, intent_switching]}
        confidence: {type: float, default: 1.0}
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["FIELD_TYPES", "FieldSpec", "ModelSettings", "OutputSchema", "RepairPolicy", "RoleSpec"]

_CFG = ConfigDict(frozen=True, extra="forbid")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

FIELD_TYPES = ("str", "int", "float", "bool", "list[str]", "list[int]", "list[float]", "dict", "any")
"""The field types an inline output schema may use."""

FieldType = Literal["str", "int", "float", "bool", "list[str]", "list[int]", "list[float]", "dict", "any"]


class FieldSpec(BaseModel):
    """One field of an inline output schema."""

    model_config = _CFG

    type: FieldType = "str"
    description: str = ""
    enum: list[str | int] | None = Field(default=None, description="allowed values (str or int fields)")
    default: Any = Field(default=None, description="makes the field optional with this value")
    required: bool = Field(default=True, description="ignored when `default` is given")


class OutputSchema(BaseModel):
    """A user-defined typed output: ``name`` becomes the message ``kind``."""

    model_config = _CFG

    name: str = Field(description="the message kind, e.g. `classification`")
    description: str = ""
    fields: dict[str, FieldSpec] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"output name {value!r} must be an identifier (letters, digits, _)")
        return value

    @field_validator("fields")
    @classmethod
    def _field_names(cls, value: dict[str, FieldSpec]) -> dict[str, FieldSpec]:
        for name in value:
            if not _NAME.match(name) or name.startswith("_") or name == "kind":
                raise ValueError(f"field name {name!r} must be an identifier not starting with _ (and not `kind`)")
        return value


class ModelSettings(BaseModel):
    """Sampling settings sent with every call of the role (``None``: the backend's default)."""

    model_config = _CFG

    model: str | None = Field(default=None, description="model name override for the backend")
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    max_tokens: int | None = Field(default=None, gt=0)
    seed: int | None = None


class RepairPolicy(BaseModel):
    """What happens when the model's output does not validate: how many repairs (named apart from the
    backend wrappers' :class:`agentflow.backends.wrappers.RetryPolicy`, which retries failed calls)."""

    model_config = _CFG

    repairs: int = Field(default=2, ge=0, le=10, description="re-asks with the validation error before failing")


class RoleSpec(BaseModel):
    """A declarative role (one ``roles/NAME.yaml`` file).

    Attributes:
        name: how workflows call it (``judge`` in ``judge.check(...)``); must match the file name.
        purpose: one line saying what the role does (shown in docs and in the system prompt).
        system: Jinja2 template of the system prompt (defaults to the purpose).
        prompt: Jinja2 template of the user prompt; its variables are the role's inputs.
        consumes: the inputs the prompt uses; each is ``NAME`` or ``NAME: KIND`` (a message kind or
            a plain type: ``str``, ``int``, ``float``, ``bool``, ``list``, ``dict``, ``any``).
        produces: a built-in message kind, or an inline output schema.
        model: sampling settings.
        tools: names of tools offered to the role (it may call them before answering).
        tool_rounds: how many rounds of tool calls it may make before its final answer.
        retry: the repair policy for invalid output.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", title="agentflow role")

    name: str
    purpose: str
    system: str = ""
    prompt: str
    consumes: dict[str, str] = Field(default_factory=dict, description="input name -> kind or plain type")
    produces: str | OutputSchema
    model: ModelSettings = Field(default_factory=ModelSettings)
    tools: list[str] = Field(default_factory=list)
    tool_rounds: int = Field(default=4, ge=0, le=20, description="tool-call rounds before the final answer")
    retry: RepairPolicy = Field(default_factory=RepairPolicy)

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"role name {value!r} must be an identifier (letters, digits, _)")
        return value

    @field_validator("consumes", mode="before")
    @classmethod
    def _consumes_list(cls, value: Any) -> Any:
        """Accept a list of ``NAME`` / ``NAME: KIND`` entries as well as a mapping."""
        if isinstance(value, list):
            out: dict[str, str] = {}
            for item in value:
                if isinstance(item, dict):
                    out.update({str(k): str(v) for k, v in item.items()})
                else:
                    name, _, kind = str(item).partition(":")
                    out[name.strip()] = kind.strip() or "any"
            return out
        return value

    @property
    def output_kind(self) -> str:
        """The ``kind`` of the message this role produces."""
        return self.produces if isinstance(self.produces, str) else self.produces.name
