#!/usr/bin/env bash
# Install bubblewrap (`bwrap`), which the code sandbox (agentflow/tools/sandbox/, docs/sandbox.md) uses
# for its namespaces and read-only minimal root, and libseccomp (the system library pyseccomp loads).
# Without them the sandbox refuses to run generated code unless the weaker mode is explicitly allowed.
# Idempotent; ~10 s on a fresh Debian machine.
set -euo pipefail
have_seccomp() { ldconfig -p 2>/dev/null | grep -q 'libseccomp\.so\.2'; }
if command -v bwrap >/dev/null 2>&1 && have_seccomp; then
    echo "bubblewrap $(bwrap --version | cut -d' ' -f2) and libseccomp present"; exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq bubblewrap libseccomp2 >/dev/null
bwrap --version
