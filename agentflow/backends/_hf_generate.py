"""Batched generation with HF transformers: left padding, per-row limits, per-row grammars.

:func:`generate_batch` is the synchronous ``run_batch`` the HF backend gives its
:class:`~agentflow.backends.batching.MicroBatcher`. Jobs that sample differently (temperature, seed)
cannot share one ``generate`` call, so they are grouped; within a group the prompts are left-padded
(decoder-only models continue from the last position, so padding goes on the left and the attention
mask hides it) and decoded together up to the longest ``max_new_tokens``. Each row is then cut at its
own limit, its first stop token and its stop strings. With greedy decoding a row's tokens equal what
the same prompt gives alone (the tests check this). A constrained row whose JSON had to be closed
early to fit its limit ends with ``finish_reason="length"`` (still valid JSON).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agentflow.backends._closing import token_texts

__all__ = ["GenJob", "GenResult", "generate_batch", "stop_token_ids"]


@dataclass(frozen=True)
class GenJob:
    """One prompt to continue."""

    prompt_ids: tuple[int, ...]
    max_new_tokens: int
    temperature: float = 0.0
    seed: int | None = None
    grammar: Any | None = None  # a compiled xgrammar grammar, or None for free text
    stop: tuple[str, ...] = ()
    repetition_penalty: float = 1.0  # > 1 discourages loops (small models repeat a phrase until the limit)
    close_reserve: int = 0  # constrained rows: close the JSON from max_new_tokens - close_reserve on


@dataclass(frozen=True)
class GenResult:
    """What one prompt produced."""

    text: str
    token_ids: tuple[int, ...]
    prompt_tokens: int
    finish_reason: str  # "stop" or "length"
    seconds: float  # wall time of the batch that served it
    batch_size: int


def _group_key(job: GenJob) -> tuple[float, int | None, float]:
    return (round(job.temperature, 6), job.seed if job.temperature > 0 else None, job.repetition_penalty)


def generate_batch(
    model: Any, tokenizer: Any, jobs: Sequence[GenJob], *, constrainer: Any | None = None
) -> list[GenResult | BaseException]:
    """Serve ``jobs`` (any mix of settings) and return one result per job, in order."""
    groups: dict[tuple[float, int | None, float], list[int]] = {}
    for index, job in enumerate(jobs):
        groups.setdefault(_group_key(job), []).append(index)
    results: list[GenResult | BaseException] = [RuntimeError("not generated")] * len(jobs)
    for indices in groups.values():
        group = [jobs[i] for i in indices]
        outs: Sequence[GenResult | BaseException]
        try:
            outs = _generate_group(model, tokenizer, group, constrainer)
        except Exception as exc:  # one group's failure (e.g. out of memory) must not sink the others
            outs = [exc] * len(group)
        for i, out in zip(indices, outs, strict=True):
            results[i] = out
    return results


def stop_token_ids(model: Any, tokenizer: Any) -> set[int]:
    """The token ids that end an answer (the generation config's and the tokenizer's end tokens)."""
    ids: set[int] = set()
    for source in (getattr(model, "generation_config", None), tokenizer):
        value = getattr(source, "eos_token_id", None)
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, (list, tuple)):
            ids.update(int(v) for v in value)
    return ids


def _generate_group(model: Any, tokenizer: Any, jobs: list[GenJob], constrainer: Any | None) -> list[GenResult]:
    import torch

    started = time.perf_counter()
    stop_ids = stop_token_ids(model, tokenizer)
    pad_id = tokenizer.pad_token_id
    if pad_id is None:
        pad_id = min(stop_ids) if stop_ids else 0
    width = max(len(j.prompt_ids) for j in jobs)
    input_ids = torch.full((len(jobs), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(jobs), width), dtype=torch.long)
    for row, job in enumerate(jobs):
        n = len(job.prompt_ids)
        input_ids[row, width - n :] = torch.tensor(job.prompt_ids, dtype=torch.long)
        attention[row, width - n :] = 1
    device = getattr(model, "device", torch.device("cpu"))
    first = jobs[0]
    kwargs: dict[str, Any] = {
        "input_ids": input_ids.to(device),
        "attention_mask": attention.to(device),
        "max_new_tokens": max(j.max_new_tokens for j in jobs),
        "pad_token_id": pad_id,
        "eos_token_id": sorted(stop_ids) or None,
    }
    if first.temperature > 0:
        kwargs.update(do_sample=True, temperature=first.temperature, top_k=0, top_p=1.0)
        if first.seed is not None:
            torch.manual_seed(first.seed)
    else:
        kwargs.update(do_sample=False, temperature=None, top_k=None, top_p=None)
    processors: list[Any] = []
    if first.repetition_penalty != 1.0:
        processors.append(content_repetition_penalty(tokenizer, first.repetition_penalty, width))
    grammar_processor = None
    if constrainer is not None and any(j.grammar is not None for j in jobs):
        grammar_processor = constrainer.processor(
            [j.grammar for j in jobs], [(j.max_new_tokens, j.close_reserve) for j in jobs]
        )
        processors.append(grammar_processor)
    if processors:
        kwargs["logits_processor"] = processors
    with torch.inference_mode():
        output = model.generate(**kwargs)
    seconds = time.perf_counter() - started
    new_tokens = output[:, width:].tolist()
    forced = grammar_processor.forced if grammar_processor is not None else [False] * len(jobs)
    return [
        _finish(tokenizer, job, row_ids, stop_ids, seconds, len(jobs), shortened=cut)
        for job, row_ids, cut in zip(jobs, new_tokens, forced, strict=True)
    ]


def _finish(
    tokenizer: Any, job: GenJob, row_ids: list[int], stop_ids: set[int], seconds: float, batch_size: int,
    *, shortened: bool = False,
) -> GenResult:
    ids = row_ids[: job.max_new_tokens]
    finish = "length"
    for pos, token in enumerate(ids):
        if token in stop_ids:
            ids, finish = ids[:pos], "length" if shortened else "stop"
            break
    text = str(tokenizer.decode(ids, skip_special_tokens=True))
    for stop in job.stop:
        cut = text.find(stop) if stop else -1
        if cut >= 0:
            text, finish = text[:cut], "stop"
    return GenResult(
        text=text,
        token_ids=tuple(ids),
        prompt_tokens=len(job.prompt_ids),
        finish_reason=finish,
        seconds=seconds,
        batch_size=batch_size,
    )


_STRUCTURE = {'"'}  # a string can always close (penalising `,` or `1` is what breaks "1, 1, 1" loops)


@functools.lru_cache(maxsize=4)  # one entry per loaded tokenizer
def _structural_ids(tokenizer: Any) -> Any:
    """Ids of tokens that contain a quote or only whitespace (never penalised)."""
    import torch

    ids = [i for i, text in enumerate(token_texts(tokenizer)) if text and (not text.strip() or _STRUCTURE & set(text))]
    return torch.tensor(ids, dtype=torch.long)


def content_repetition_penalty(tokenizer: Any, penalty: float, prompt_width: int) -> Any:
    """A repetition penalty over the *generated* tokens that never penalises a quote.

    HF's own ``repetition_penalty`` counts the prompt too and punishes ``"`` like any word, so under a
    JSON grammar a small model learns to avoid closing its strings. This one discourages repeating
    what the answer already said (the loops SmolLM2 falls into) and leaves quotes and whitespace free.
    """
    import torch

    exempt = _structural_ids(tokenizer)

    def process(input_ids: Any, scores: Any) -> Any:
        generated = input_ids[:, prompt_width:]
        if generated.shape[1] == 0:
            return scores
        picked = torch.gather(scores, 1, generated)
        penalised = torch.where(picked < 0, picked * penalty, picked / penalty)
        keep = torch.isin(generated, exempt.to(generated.device))
        scores = scores.scatter(1, generated, torch.where(keep, picked, penalised))
        return scores

    return process
