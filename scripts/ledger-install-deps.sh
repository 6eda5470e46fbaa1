#!/usr/bin/env bash
# ccusage, pinned, for the ledger parity test (tests/ledger). Idempotent.
# 20.0.24 exactly: 20.0.26's native platform package is missing from the registry here.
set -euo pipefail
prefix="$HOME/.cache/quotaline-e2e/ccusage"
if [ -x "$prefix/node_modules/.bin/ccusage" ] && "$prefix/node_modules/.bin/ccusage" --version >/dev/null 2>&1; then
  exit 0
fi
mkdir -p "$prefix"
npm install --prefix "$prefix" --no-audit --no-fund ccusage@20.0.24 >/dev/null
"$prefix/node_modules/.bin/ccusage" --version >/dev/null
echo "ccusage installed in $prefix"
