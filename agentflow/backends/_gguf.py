"""Convert a GGUF checkpoint to a safetensors model directory, once.

Loading a GGUF in transformers de-quantizes every tensor (about 20 s for SmolLM2-135M on 2 cores);
loading the same weights from safetensors takes about 0.3 s. So a GGUF is converted once into a cache
directory and loaded from there afterwards. transformers marks a GGUF-loaded model as quantized;
``save_pretrained`` refuses such a model, so the quantizer and its config are cleared first (the
weights are already plain tensors by then).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["convert_gguf", "is_converted"]

_DONE = ".agentflow-converted"


def is_converted(target: Path) -> bool:
    """Whether ``target`` holds a finished conversion (written last, so a crash leaves none)."""
    return (target / _DONE).is_file()


def convert_gguf(gguf_path: Path, target: Path, *, dtype: str = "bfloat16", progress: Any | None = None) -> Path:
    """Write ``gguf_path`` as a safetensors model + tokenizer directory at ``target``.

    Args:
        gguf_path: the ``.gguf`` file.
        target: the directory to create (replaced atomically; parents are created).
        dtype: the dtype of the saved weights.
        progress: a ``rich.progress.Progress`` to report the steps on, or ``None``.

    Returns:
        ``target``.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    task = progress.add_task(f"converting {gguf_path.name}", total=3) if progress is not None else None

    def step(description: str) -> None:
        if progress is not None and task is not None:
            progress.update(task, advance=1, description=description)

    source, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=name)
    step("loading GGUF weights (de-quantizing)")
    # de-quantizing runs in float32 (transformers warns otherwise); cast afterwards
    model = AutoModelForCausalLM.from_pretrained(source, gguf_file=name, dtype=torch.float32)
    model.to(getattr(torch, dtype))
    setattr(model, "hf_quantizer", None)  # noqa: B010 - typed as a quantizer; clearing it is the point
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    step("writing safetensors")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        (staging / _DONE).write_text(f"converted from {gguf_path}\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    step("done")
    return target
