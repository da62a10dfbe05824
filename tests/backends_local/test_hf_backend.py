"""The HF backend on a tiny llama built in code: batching equals one-by-one, left padding, constrained JSON."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from agentflow.backends._hf_generate import GenJob, generate_batch
from agentflow.backends.base import ChatMessage, ChatRequest, ToolDef
from agentflow.errors import ContextWindowExceeded, UserError
from agentflow.models import build_backend

PROMPTS = ["Paris", "Review the plan and answer with a verdict.", "x", "The weather is sunny today. " * 3, "step"]

VERDICT = {
    "type": "object",
    "properties": {"verdict": {"enum": ["accept", "reject", "revise"]}, "ok": {"type": "boolean"}},
    "required": ["verdict", "ok"],
    "additionalProperties": False,
}


def _req(text: str, **kw: Any) -> ChatRequest:
    return ChatRequest(messages=(ChatMessage(role="user", content=text),), **kw)


async def test_concurrent_calls_share_one_batch_and_equal_one_by_one_greedy(hf_backend: Any) -> None:
    batched = await asyncio.gather(*(hf_backend.complete(_req(p)) for p in PROMPTS))
    assert hf_backend.batcher.stats.sizes == [len(PROMPTS)]
    alone = [await hf_backend.complete(_req(p)) for p in PROMPTS]
    assert hf_backend.batcher.stats.sizes[1:] == [1] * len(PROMPTS)
    assert [r.text for r in batched] == [r.text for r in alone]
    assert len({r.text for r in batched}) > 1  # the prompts really lead to different answers
    for response in batched:
        ended = response.finish_reason == "stop"  # a random model may pick the end token early
        assert response.usage.output_tokens == 12 or (ended and response.usage.output_tokens < 12)
        assert response.usage.input_tokens > 0 and response.model == "hf:tiny"


def test_left_padding_reproduces_unpadded_generation(tiny_model: Any, tiny_tok: Any) -> None:
    import torch

    prompts = [tiny_tok.encode(p) for p in ("a b c d e f g h", "Paris", "plan step reply")]
    jobs = [GenJob(prompt_ids=tuple(ids), max_new_tokens=6) for ids in prompts]
    results = generate_batch(tiny_model, tiny_tok, jobs)
    for ids, result in zip(prompts, results, strict=True):
        assert not isinstance(result, BaseException)
        with torch.inference_mode():
            out = tiny_model.generate(
                torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                max_new_tokens=6, do_sample=False, pad_token_id=tiny_tok.pad_token_id,
            )
        expected = [t for t in out[0, len(ids):].tolist()]
        assert list(result.token_ids) == expected[: len(result.token_ids)]
        assert result.prompt_tokens == len(ids) and result.batch_size == 3


async def test_structured_output_is_valid_json_of_the_schema_even_from_a_random_model(hf_backend: Any) -> None:
    assert hf_backend.constrained
    responses = await asyncio.gather(
        *(hf_backend.complete(_req(p, response_schema=VERDICT, max_tokens=40)) for p in PROMPTS)
    )
    for response in responses:
        jsonschema.validate(json.loads(response.text), VERDICT)
        assert response.finish_reason == "stop"


async def test_mixed_batch_constrains_only_the_rows_that_ask(hf_backend: Any) -> None:
    free_alone = await hf_backend.complete(_req("Paris"))
    free, typed = await asyncio.gather(
        hf_backend.complete(_req("Paris")), hf_backend.complete(_req("step", response_schema=VERDICT, max_tokens=40))
    )
    assert hf_backend.batcher.stats.sizes[-1] == 2
    assert free.text == free_alone.text
    jsonschema.validate(json.loads(typed.text), VERDICT)


async def test_tool_calls_are_decoded_under_the_tools_schema(hf_backend: Any) -> None:
    tools = (
        ToolDef(
            name="set_mode",
            description="Set the mode.",
            parameters={
                "type": "object",
                "properties": {"mode": {"enum": ["fast", "slow"]}},
                "required": ["mode"],
                "additionalProperties": False,
            },
        ),
        ToolDef(
            name="stop",
            description="Stop.",
            parameters={"type": "object", "properties": {}, "additionalProperties": False},
        ),
    )
    response = await hf_backend.complete(_req("go", tools=tools, tool_choice="required", max_tokens=40))
    assert response.finish_reason == "tool_calls" and len(response.tool_calls) == 1
    call = response.tool_calls[0]
    assert call.name in {"set_mode", "stop"}
    if call.name == "set_mode":
        assert call.arguments["mode"] in {"fast", "slow"}
    named = await hf_backend.complete(_req("go", tools=tools, tool_choice="set_mode", max_tokens=40))
    assert [c.name for c in named.tool_calls] == ["set_mode"]


async def test_stop_strings_and_max_tokens(hf_backend: Any, tiny_tok: Any) -> None:
    full = await hf_backend.complete(_req("Paris", max_tokens=12))
    assert len(full.text) > 2
    stop = full.text[2:4]
    cut = await hf_backend.complete(_req("Paris", max_tokens=12, stop=(stop,)))
    assert cut.text == full.text[: full.text.find(stop)] and cut.finish_reason == "stop"
    short = await hf_backend.complete(_req("Paris", max_tokens=3))
    assert short.usage.output_tokens == 3 and short.finish_reason == "length"


async def test_sampling_with_a_seed_is_reproducible(hf_backend: Any) -> None:
    a = await hf_backend.complete(_req("Paris", temperature=1.0, seed=7))
    b = await hf_backend.complete(_req("Paris", temperature=1.0, seed=7))
    greedy = await hf_backend.complete(_req("Paris"))
    assert a.text == b.text and a.usage.output_tokens == 12
    assert isinstance(greedy.text, str)


async def test_prompt_longer_than_the_context_window_is_a_clear_error(hf_backend: Any) -> None:
    with pytest.raises(ContextWindowExceeded, match="context window of 512"):
        await hf_backend.complete(_req("plan " * 600))


async def test_the_event_loop_stays_free_while_generating(hf_backend: Any) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    task = asyncio.ensure_future(ticker())
    started = time.perf_counter()
    await asyncio.gather(*(hf_backend.complete(_req(p, max_tokens=30)) for p in PROMPTS))
    elapsed = time.perf_counter() - started
    task.cancel()
    assert ticks >= max(1, int(elapsed / 0.005) // 10)  # a blocked loop would tick a handful of times


async def test_stream_yields_the_answer_as_one_chunk(hf_backend: Any) -> None:
    whole = await hf_backend.complete(_req("Paris"))
    chunks = [c async for c in hf_backend.stream(_req("Paris"))]
    assert len(chunks) == 1 and chunks[0].text == whole.text and chunks[0].usage is not None


async def test_hf_spec_loads_a_saved_directory(tiny_model: Any, tiny_tok: Any, tmp_path: Path, hf_backend: Any) -> None:
    tiny_model.save_pretrained(tmp_path / "tiny")
    tiny_tok.save_pretrained(tmp_path / "tiny")
    import torch

    threads = torch.get_num_threads()
    backend = build_backend(f"hf:{tmp_path / 'tiny'}?dtype=float32&max_new_tokens=12&max_batch=4&threads=1", environ={})
    try:
        assert torch.get_num_threads() == 1
        assert backend.name == f"hf:{tmp_path / 'tiny'}"
        assert (await backend.complete(_req("Paris"))).text == (await hf_backend.complete(_req("Paris"))).text
        assert backend.batcher.max_batch == 4  # type: ignore[attr-defined]
    finally:
        backend.close()  # type: ignore[attr-defined]
        torch.set_num_threads(threads)


async def test_hf_spec_loads_a_gguf_file(tiny_model: Any, tiny_tok: Any, tmp_path: Path, hf_backend: Any) -> None:
    from ._tiny import write_tiny_gguf

    gguf_path = tmp_path / "tiny.gguf"
    write_tiny_gguf(tiny_model, tiny_tok, gguf_path)
    backend = build_backend(f"hf:{gguf_path}?max_new_tokens=12", environ={})
    try:
        for prompt in PROMPTS[:3]:
            assert (await backend.complete(_req(prompt))).text == (await hf_backend.complete(_req(prompt))).text
    finally:
        backend.close()  # type: ignore[attr-defined]


def test_hf_spec_errors_are_one_line_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="unknown option 'colour'"):
        build_backend("hf:some/model?colour=red", environ={})
    with pytest.raises(UserError, match="GGUF file not found"):
        build_backend(f"hf:{tmp_path / 'missing.gguf'}", environ={})
    with pytest.raises(UserError, match="cannot load HF model") as info:
        build_backend(f"hf:{tmp_path / 'nothing-here'}", environ={})
    assert "\n" not in str(info.value.args[0])
    with pytest.raises(UserError, match="unknown dtype"):
        build_backend(f"hf:{tmp_path}?dtype=float7", environ={})


async def test_a_failing_generate_becomes_a_backend_error_for_every_caller(
    hf_backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentflow.errors import BackendError

    def broken(**_: Any) -> Any:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(hf_backend.model, "generate", broken)
    outcomes = await asyncio.gather(*(hf_backend.complete(_req(p)) for p in PROMPTS[:3]), return_exceptions=True)
    assert all(isinstance(o, BackendError) and "out of memory" in str(o) for o in outcomes)
