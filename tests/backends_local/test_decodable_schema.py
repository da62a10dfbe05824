"""Local backends decode against a schema with no endless parts (optional free-form objects left out)."""

from __future__ import annotations

from pydantic import TypeAdapter

from agentflow.backends._chat_format import decodable, output_schema
from agentflow.backends.base import ChatMessage, ChatRequest
from agentflow.messages import Answer, Plan


def test_optional_open_objects_are_left_out_and_outputs_stay_valid() -> None:
    schema = decodable(Answer.model_json_schema())
    assert set(schema["properties"]) == {"kind", "text"} and schema["required"] == ["text"]
    # what the grammar allows still validates against the full type (the field takes its default)
    assert Answer.model_validate({"text": "42"}).data == {}


def test_required_open_fields_and_closed_shapes_are_kept() -> None:
    schema = {
        "type": "object",
        "properties": {
            "must": {"type": "object"},
            "extra": {},
            "fixed": {"type": "object", "properties": {"a": {"type": "string"}, "free": {"type": "object"}}},
            "rows": {"type": "array", "items": {"type": "object", "properties": {"x": {}, "y": {"type": "integer"}}}},
        },
        "required": ["must", "fixed"],
    }
    out = decodable(schema)
    assert set(out["properties"]) == {"must", "fixed", "rows"}
    assert set(out["properties"]["fixed"]["properties"]) == {"a"}
    assert set(out["properties"]["rows"]["items"]["properties"]) == {"y"}
    assert schema["properties"]["extra"] == {}  # the caller's schema is not mutated


def test_plans_are_bounded_for_the_grammar() -> None:
    schema = decodable(TypeAdapter(Plan).json_schema())
    assert schema["properties"]["steps"]["maxItems"] == 12
    ask = (ChatMessage(role="user", content="plan"),)
    request = ChatRequest(messages=ask, response_schema=Plan.model_json_schema())
    assert output_schema(request) == decodable(Plan.model_json_schema())
