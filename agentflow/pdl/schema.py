"""JSON Schema of the PDL file format (``agentflow schema pdl``), for editors and linters.

The models mirror what :mod:`agentflow.pdl.loader` accepts. They describe the file; the loader (with
source positions and tolerant FlowAgent handling) is what actually reads it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PdlFileModel", "pdl_json_schema"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SlotModel(_Strict):
    """A slot the agent fills from the conversation."""

    name: str
    desc: str = ""
    type: str | None = Field(default=None, description="e.g. string, int, float, bool")
    available_types: list[str] | str | None = Field(default=None, description="allowed values (an enum)")
    required: bool | None = None


class ApiModel(_Strict):
    """An API (tool). Fields may also come from the FlowAgent tool file ``../tools/NNN.yaml``."""

    name: str
    desc: str = ""
    description: str = ""
    request: list[str] | None = Field(default=None, description="argument names (FlowAgent style)")
    response: list[str] | dict[str, Any] | None = Field(default=None, description="result fields or JSON Schema")
    parameters: dict[str, Any] | None = Field(default=None, description="JSON Schema of the arguments")
    returns: dict[str, Any] | None = None
    precondition: list[str] | str | None = Field(
        default=None,
        description='API names that must run first, or value conditions like checkAvailability.is_air == "true"',
    )
    preconditions: list[str] | str | None = None
    url: str | None = None
    method: str | None = None
    idempotent: bool | None = None
    secret_fields: list[str] | None = None


class AnswerModel(_Strict):
    """A reply intent the agent may use."""

    name: str
    desc: str = ""
    description: str = ""
    precondition: list[str] | str | None = None
    preconditions: list[str] | str | None = None


class IoModel(_Strict):
    """A declared input or output of an executed workflow."""

    name: str
    type: str = Field(default="str", description="str, int, float, bool, list, dict, or a message type (Task, ...)")
    desc: str = ""
    description: str = ""
    default: Any = None
    required: bool | None = None


class RoleModel(_Strict):
    """A role the procedure calls as ROLE.name(...)."""

    name: str
    desc: str = ""
    description: str = ""
    file: str | None = Field(default=None, description="role YAML file (default roles/NAME.yaml)")
    output: str | None = Field(default=None, description="the message type the role returns")


class PdlFileModel(_Strict):
    """A PDL workflow file (a superset of FlowAgent's format)."""

    Name: str
    Desc: str = ""
    Detailed_desc: str | None = None
    SLOTs: list[SlotModel] | None = None
    APIs: list[ApiModel | str] | None = None
    ANSWERs: list[AnswerModel | str] | None = None
    Inputs: list[IoModel] | dict[str, str] | None = None
    Outputs: list[IoModel] | dict[str, str] | None = None
    ROLEs: list[RoleModel | str] | dict[str, str] | None = None
    Procedure: str | None = Field(default=None, description="the procedure (PDL code); or use the key PDL")
    PDL: str | None = Field(default=None, description="FlowAgent's name for Procedure")


def pdl_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a PDL file."""
    schema = PdlFileModel.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "PDL workflow"
    schema["anyOf"] = [{"required": ["Procedure"]}, {"required": ["PDL"]}]
    return schema
