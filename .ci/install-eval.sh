#!/usr/bin/env bash
# What the evaluation tests (tests/eval) need beyond the `test` extra, installed into the active venv:
#   * Ray, exactly as the `ray` extra of pyproject.toml pins it (the Ray engine test starts a local cluster);
#   * a headless Chromium from Debian (the HTML report is opened in a real browser in a test).
# Idempotent. Measured on the 2-core dev machine: Ray ~47 s, Chromium ~31 s when missing; ~1 s when present.
set -euo pipefail
cd "$(dirname "$0")/.."
EVAL_PY=${EVAL_PY:-python}
if ! "$EVAL_PY" -c "import ray" >/dev/null 2>&1; then
  mapfile -t RAY_REQS < <("$EVAL_PY" -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['ray']))")
  "$EVAL_PY" -m pip install -q "${RAY_REQS[@]}"
fi
if ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
  else
    echo "install-eval: chromium missing and apt-get unavailable; the browser test will be skipped" >&2
  fi
fi
