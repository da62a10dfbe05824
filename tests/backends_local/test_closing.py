"""Constrained answers close their JSON before ``max_tokens`` cuts them, even from a model that loops.

The looping model is the tiny llama with its output layer replaced by a constant bias towards one
letter: inside a JSON string it writes ``aaaa...`` forever, which is what SmolLM2-135M does with
`` | 2 | 2`` on some CPUs. Without closing mode its answer is cut mid-string (not JSON); with it the
answer is valid JSON of the schema and says ``finish_reason="length"``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from agentflow.backends._closing import JsonLexer, closing_reserve, minimal_json_length
from agentflow.backends._hf_generate import GenJob, generate_batch
from agentflow.backends.base import ChatMessage, ChatRequest

TEXT = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"],
        "additionalProperties": False}
REPORT = {
    "type": "object",
    "properties": {
        "reasons": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "detail": {"type": "object", "properties": {"note": {"type": "string"}, "n": {"type": "integer"}},
                   "required": ["note", "n"], "additionalProperties": False},
        "verdict": {"enum": ["accept", "reject"]},
    },
    "required": ["reasons", "detail", "verdict"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(("schema", "expected"), [
    (TEXT, len('{"text": ""}')),
    (REPORT, len('{"reasons": [""], "detail": {"note": "", "n": 0}, "verdict": "accept"}')),
    ({"type": "array", "items": {"type": "integer"}}, 2),
    ({"anyOf": [{"type": "string", "minLength": 5}, {"type": "null"}]}, 4),
    ({"$defs": {"x": {"const": "yes"}}, "type": "object", "properties": {"a": {"$ref": "#/$defs/x"}},
      "required": ["a"]}, len('{"a": "yes"}')),
    ({"type": ["integer", "string"]}, 1),
])
def test_minimal_json_length_is_the_shortest_valid_value(schema: dict[str, Any], expected: int) -> None:
    assert minimal_json_length(schema) == expected


def test_the_reserve_is_capped_at_half_the_budget() -> None:
    assert closing_reserve(TEXT, 400) == len('{"text": ""}') + 4
    assert closing_reserve(REPORT, 40) == 20
    assert closing_reserve(TEXT, 3) == 0


def test_the_lexer_knows_when_it_is_inside_a_string() -> None:
    lexer = JsonLexer()
    for piece, inside in [('{"te', True), ('xt":', False), ('"a\\', True), ('"', True), ('b"', False)]:
        lexer.feed(piece)
        assert lexer.in_string is inside, piece
    assert not lexer.escaped


@pytest.fixture(scope="module")
def looping(tiny_tok: Any) -> Any:
    """The tiny llama whose every answer is the letter ``a`` whenever the grammar allows it."""
    import torch

    from ._tiny import tiny_llama

    model = tiny_llama(tiny_tok, seed=1)
    head = torch.nn.Linear(model.config.hidden_size, len(tiny_tok), bias=True)
    with torch.no_grad():
        head.weight.zero_()
        head.bias.zero_()
        head.bias[tiny_tok.convert_tokens_to_ids("a")] = 10.0
    model.lm_head = head
    return model


@pytest.fixture
def looping_backend(looping: Any, tiny_tok: Any) -> Iterator[Any]:
    from agentflow.backends.hf import HFBackend

    backend = HFBackend(looping, tiny_tok, name="hf:looping", max_new_tokens=64, window_s=0.0)
    assert backend.constrained
    yield backend
    backend.close()


def _ask(schema: dict[str, Any], max_tokens: int) -> ChatRequest:
    return ChatRequest(messages=(ChatMessage(role="user", content="Say it."),), response_schema=schema,
                       max_tokens=max_tokens)


@pytest.mark.parametrize(("schema", "budget"), [(TEXT, 30), (TEXT, 90), (REPORT, 120), (REPORT, 200)],
                         ids=["text-30", "text-90", "report-120", "report-200"])
async def test_a_looping_model_still_ends_with_valid_json(looping_backend: Any, schema: dict[str, Any],
                                                          budget: int) -> None:
    response = await looping_backend.complete(_ask(schema, budget))
    value = json.loads(response.text)
    jsonschema.validate(value, schema)
    assert response.finish_reason == "length"  # says the answer was shortened to fit
    assert response.usage.output_tokens <= budget
    assert "aaaa" in json.dumps(value)  # the model's own words are kept up to the closing point


def test_without_a_reserve_the_same_answer_is_cut_mid_string(looping: Any, looping_backend: Any) -> None:
    job = looping_backend.job(_ask(TEXT, 30))
    assert job.close_reserve > 0
    cut = generate_batch(looping, looping_backend.tokenizer, [GenJob(**{**vars(job), "close_reserve": 0})],
                         constrainer=looping_backend._constrainer)[0]
    closed = generate_batch(looping, looping_backend.tokenizer, [job], constrainer=looping_backend._constrainer)[0]
    assert not isinstance(cut, BaseException) and not isinstance(closed, BaseException)
    assert cut.finish_reason == "length" and len(cut.token_ids) == 30
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.text)
    jsonschema.validate(json.loads(closed.text), TEXT)
    assert closed.text.startswith(cut.text[: len(closed.text) - 2])  # same tokens until closing began


async def test_an_answer_that_ends_on_its_own_is_untouched(hf_backend: Any) -> None:
    """The random tiny model closes its verdict early; closing mode never engages or changes it."""
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"],
              "additionalProperties": False}
    response = await hf_backend.complete(_ask(schema, 40))
    assert response.finish_reason == "stop"
    jsonschema.validate(json.loads(response.text), schema)
