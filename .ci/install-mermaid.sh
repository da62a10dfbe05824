#!/usr/bin/env bash
# What tests/pdl/test_mermaid_browser.py needs: mermaid@11 from the npm registry in a cache folder
# (not the repo), and a headless Chromium (.ci/install-eval.sh installs it). Idempotent; ~30 s when missing.
set -euo pipefail
DIR=${AGENTFLOW_MERMAID_DIR:-$HOME/.cache/agentflow/mermaid}
if [ ! -f "$DIR/node_modules/mermaid/dist/mermaid.min.js" ]; then
  mkdir -p "$DIR"
  (cd "$DIR" && npm install --no-audit --no-fund --silent mermaid@11)
fi
echo "$DIR/node_modules/mermaid/dist/mermaid.min.js"
