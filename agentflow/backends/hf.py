"""``hf:MODEL_OR_PATH`` — HuggingFace transformers in this process, with batching and constrained JSON.

The model is a local directory (safetensors + tokenizer), a hub id already in the local HF cache, or a
``.gguf`` file (de-quantized on load; needs ``gguf`` and ``accelerate``). Requests are rendered with
the tokenizer's chat template; concurrent requests are served as one left-padded batch by a
:class:`~agentflow.backends.batching.MicroBatcher` whose worker thread runs ``generate``, so the event
loop stays free. Typed outputs and tool calls are decoded under a JSON-Schema grammar (xgrammar)
when it is installed; otherwise the schema is only described in the prompt and the caller's
validation and repair loop has to catch mistakes (``constrained`` says which applies).

Spec options: ``hf:PATH?dtype=float32&device=cpu&threads=2&max_batch=16&window_ms=10&max_new_tokens=512``
(and ``repetition_penalty=1.1``).
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from agentflow.backends import _chat_format as fmt
from agentflow.backends._closing import closing_reserve
from agentflow.backends._hf_generate import GenJob, GenResult, generate_batch, stop_token_ids
from agentflow.backends._spec_options import check_options, spec_text, to_float
from agentflow.backends.base import ChatRequest, ChatResponse, StreamChunk, stream_via_complete
from agentflow.backends.batching import MicroBatcher
from agentflow.errors import BackendError, BadRequest, ContextWindowExceeded, UserError
from agentflow.messages import Usage

__all__ = ["HF_OPTIONS", "HFBackend", "build_hf_backend", "from_spec", "load_hf_model", "require_local_extra"]

HF_OPTIONS = ("dtype", "device", "threads", "max_batch", "window_ms", "max_new_tokens", "repetition_penalty")


class HFBackend:
    """A transformers causal LM behind the :class:`~agentflow.backends.base.Backend` protocol.

    Args:
        model: a loaded ``PreTrainedModel`` (causal LM).
        tokenizer: its tokenizer; must have a chat template.
        name: the name traces show (``hf:...``).
        max_batch: the most requests served in one ``generate`` call.
        window_s: how long a request waits for others to share its batch.
        max_new_tokens: the default answer length when a request sets no ``max_tokens``.
        constrain: use grammar-constrained decoding for schemas and tools when xgrammar is installed.
        repetition_penalty: HF's penalty on tokens already generated (1.0 = off).
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        name: str = "hf",
        max_batch: int = 16,
        window_s: float = 0.01,
        max_new_tokens: int = 512,
        constrain: bool = True,
        repetition_penalty: float = 1.0,
    ) -> None:
        from agentflow.backends import _constrain

        self.name = name
        self.model = model
        self.tokenizer = tokenizer
        self.max_new_tokens = max_new_tokens
        self.repetition_penalty = repetition_penalty
        self.context_window = int(getattr(model.config, "max_position_embeddings", 0) or 0)
        self._constrainer: Any | None = None
        if constrain and _constrain.available():
            stop = sorted(stop_token_ids(model, tokenizer))
            vocab = int(getattr(model.config, "vocab_size", 0) or len(tokenizer))
            self._constrainer = _constrain.Constrainer(tokenizer, vocab, stop)
        self.batcher: MicroBatcher[GenJob, GenResult] = MicroBatcher(
            self._run_batch, max_batch=max_batch, window_s=window_s, name="agentflow-hf"
        )

    @property
    def constrained(self) -> bool:
        """Whether typed outputs and tool calls are decoded under a grammar (else prompt-only)."""
        return self._constrainer is not None

    def _run_batch(self, jobs: Sequence[GenJob]) -> list[GenResult | BaseException]:
        return generate_batch(self.model, self.tokenizer, jobs, constrainer=self._constrainer)

    def render(self, request: ChatRequest) -> tuple[int, ...]:
        """The prompt token ids for a request (chat template, generation prompt appended)."""
        ids = self.tokenizer.apply_chat_template(
            fmt.template_messages(request), add_generation_prompt=True, tokenize=True, return_dict=False
        )
        if isinstance(ids, Mapping):  # some tokenizers return a BatchEncoding regardless
            ids = ids["input_ids"]
        return tuple(int(i) for i in ids)

    def job(self, request: ChatRequest) -> GenJob:
        """The generation job for a request (prompt ids, limits, grammar)."""
        prompt = self.render(request)
        max_new = request.max_tokens or self.max_new_tokens
        if self.context_window and len(prompt) + max_new > self.context_window:
            if len(prompt) >= self.context_window:
                raise ContextWindowExceeded(
                    f"{self.name}: prompt of {len(prompt)} tokens exceeds the context window of {self.context_window}"
                )
            max_new = self.context_window - len(prompt)
        schema = fmt.output_schema(request)
        grammar = None
        if schema is not None and self._constrainer is not None:
            try:
                grammar = self._constrainer.compile(schema)
            except Exception as exc:  # xgrammar rejects some schemas (e.g. unsupported keywords)
                raise BadRequest(f"{self.name}: cannot constrain output to this JSON Schema: {exc}") from exc
        return GenJob(
            prompt_ids=prompt,
            max_new_tokens=max(1, max_new),
            temperature=request.temperature or 0.0,
            seed=request.seed,
            grammar=grammar,
            stop=request.stop,
            repetition_penalty=self.repetition_penalty,
            close_reserve=closing_reserve(schema, max_new) if grammar is not None and schema is not None else 0,
        )

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """Answer one request; concurrent calls share batches."""
        started = time.perf_counter()
        job = await asyncio.to_thread(self.job, request) if _heavy(request) else self.job(request)
        try:
            result = await self.batcher.submit(job)
        except Exception as exc:  # torch/transformers failures become agentflow's own error
            raise BackendError(f"{self.name}: generation failed: {exc}", provider="hf") from exc
        text, calls = fmt.parse_output(request, result.text)
        return ChatResponse(
            text=text,
            tool_calls=calls,
            usage=Usage(
                input_tokens=result.prompt_tokens,
                output_tokens=len(result.token_ids),
                latency_s=time.perf_counter() - started,
                calls=1,
            ),
            model=self.name,
            finish_reason="tool_calls" if calls else result.finish_reason,
        )

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """The whole answer as one chunk (batched generation does not stream token by token)."""
        return stream_via_complete(self, request)

    def close(self) -> None:
        """Stop the batcher's worker thread."""
        self.batcher.close()


def _heavy(request: ChatRequest) -> bool:
    # Compiling a new grammar can take tens of milliseconds; keep it off the event loop.
    return request.response_schema is not None or fmt.uses_tools(request)


def load_hf_model(path_or_id: str, *, dtype: str = "auto", device: str = "cpu") -> tuple[Any, Any]:
    """Load a causal LM and its tokenizer from a directory, a cached hub id or a ``.gguf`` file.

    Raises:
        UserError: the model cannot be found or read (with how to fix it).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(path_or_id).expanduser()
    kwargs: dict[str, Any] = {}
    source = path_or_id
    if path.suffix.lower() == ".gguf":
        if not path.is_file():
            raise UserError(f"GGUF file not found: {path}", hint="check the path after hf:")
        source, kwargs["gguf_file"] = str(path.parent), path.name
        dtype = "float32" if dtype == "auto" else dtype  # GGUF weights de-quantize to float32
    elif not path.exists():
        kwargs["local_files_only"] = True  # never reach a hub at run time
    torch_dtype: Any = dtype if dtype == "auto" else getattr(torch, dtype, None)
    if torch_dtype is None:
        raise UserError(f"unknown dtype {dtype!r}", hint="use dtype=auto, float32, bfloat16 or float16")
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # a 0.3 s load needs no progress bar on the user's terminal
    try:
        tokenizer: Any = AutoTokenizer.from_pretrained(source, **kwargs)
        model: Any = AutoModelForCausalLM.from_pretrained(source, dtype=torch_dtype, **kwargs)
    except (OSError, ValueError) as exc:
        raise UserError(
            f"cannot load HF model {path_or_id!r}: {str(exc).splitlines()[0]}",
            hint="give a local model directory, a .gguf file, or a hub id already in the HF cache",
        ) from None
    finally:
        if bars:
            hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
    model.to(device)
    model.eval()
    if tokenizer.chat_template is None:
        raise UserError(f"model {path_or_id!r} has no chat template", hint="use an instruct/chat model")
    return model, tokenizer


def backend_options(options: Mapping[str, str], spec: str) -> dict[str, Any]:
    """Batching options shared by the ``hf``, ``local`` and ``vllm`` specs."""
    return {
        "max_batch": int(to_float(dict(options), "max_batch", 16, spec=spec)),
        "window_s": to_float(dict(options), "window_ms", 10, spec=spec) / 1000.0,
        "max_new_tokens": int(to_float(dict(options), "max_new_tokens", 512, spec=spec)),
    }


def require_local_extra(spec: str) -> None:
    """Fail with one line (not a traceback) when torch/transformers are not installed.

    Raises:
        UserError: a package of the ``local`` extra is missing.
    """
    for module in ("torch", "transformers"):
        if importlib.util.find_spec(module) is None:
            raise UserError(
                f"backend {spec!r} needs the Python package {module!r}", hint="pip install 'agentflow[local]'"
            )


def build_hf_backend(
    path: str, options: Mapping[str, str], *, name: str, spec: str, repetition_penalty: float = 1.0
) -> HFBackend:
    """Load ``path`` and wrap it with the spec's options (shared by ``hf:`` and ``local``).

    ``threads`` sets torch's intra-op threads for the whole process: on a busy machine one thread per
    free core beats torch's default, whose spinning threads slow down badly when cores are taken.
    """
    require_local_extra(spec)
    threads = int(to_float(dict(options), "threads", 0, spec=spec))
    if threads > 0:
        import torch

        torch.set_num_threads(threads)
    model, tokenizer = load_hf_model(
        path, dtype=options.get("dtype", "auto") or "auto", device=options.get("device", "cpu") or "cpu"
    )
    penalty = to_float(dict(options), "repetition_penalty", repetition_penalty, spec=spec)
    return HFBackend(model, tokenizer, name=name, repetition_penalty=penalty, **backend_options(options, spec))


def from_spec(model_ref: str, given: Mapping[str, str], environ: Mapping[str, str]) -> HFBackend:
    """``hf:MODEL_OR_PATH[?options]`` -> :class:`HFBackend`."""
    options = check_options(model_ref, given, HF_OPTIONS, prefix="hf")
    return build_hf_backend(model_ref, options, name=f"hf:{model_ref}", spec=spec_text("hf", model_ref, given))
