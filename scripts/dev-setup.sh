#!/usr/bin/env bash
# Everything a contributor (and CI) needs: a .venv with the package and its dev extra, the pinned
# Claude Code and tmux for the end-to-end test, ccusage for the ledger comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$py" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
for extra in scripts/e2e-install-deps.sh scripts/ledger-install-deps.sh; do
  [ -x "$extra" ] && "$extra"
done
echo "dev environment ready: .venv/bin/python -m pytest"
