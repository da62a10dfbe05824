#!/usr/bin/env bash
# Optional: install the PostgreSQL server binaries so tests/store runs its conformance suite against a
# real local server (started by the tests themselves in a temp dir on a loopback port). Without them
# those tests are skipped with the reason. Idempotent; ~30-60 s on a fresh Debian machine.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then
    echo "postgresql server binaries present"; exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
ls /usr/lib/postgresql/*/bin/initdb
