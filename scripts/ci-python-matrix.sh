#!/usr/bin/env bash
# The Python matrix (CI runs it; so can anyone): for every CPython 3.10-3.13 this machine has
# (pyenv's builds, or python3.X on PATH), the fast suite in a virtualenv of that version
# (.venv-3.X, kept between runs), then install.sh with QUOTALINE_PYTHON in a throwaway HOME and
# a status line through what it installed, with a config file read (tomllib, or tomli on 3.10).
# The full suite runs once, in .venv, on the machine's python3 (.ci/run).
#   scripts/ci-python-matrix.sh [--skip MAJOR.MINOR] [--no-tests] [--no-install]
set -euo pipefail
cd "$(dirname "$0")/.."

skip="" tests=1 install=1
while [ $# -gt 0 ]; do
  case $1 in
    --skip) skip=$2; shift 2 ;;
    --no-tests) tests=0; shift ;;
    --no-install) install=0; shift ;;
    *) echo "usage: $0 [--skip MAJOR.MINOR] [--no-tests] [--no-install]" >&2; exit 2 ;;
  esac
done
# What is quick and not end to end (measured on the 2-CPU machines: about a minute a version).
FAST=(tests/core tests/ledger)

interpreters() {
  local minor found root
  root=${PYENV_ROOT:-$HOME/.pyenv}
  for minor in 10 11 12 13; do
    found=""
    for c in "$root"/versions/3."$minor".*/bin/python /root/.pyenv/versions/3."$minor".*/bin/python; do
      [ -x "$c" ] && { found=$c; break; }
    done
    [ -n "$found" ] || found=$(command -v "python3.$minor" 2>/dev/null || true)
    [ -n "$found" ] && echo "3.$minor $found"
  done
  return 0
}

# One status line through an install.sh install made with $2, in a throwaway HOME.
check_install() {
  local version=$1 py=$2 home out command now
  home=$(mktemp -d)
  trap 'rm -rf "$home"' RETURN
  env -u XDG_DATA_HOME -u XDG_CONFIG_HOME -u XDG_STATE_HOME -u CLAUDE_CONFIG_DIR -u VIRTUAL_ENV \
    HOME="$home" QUOTALINE_PYTHON="$py" ./install.sh --yes >"$home/install.log" 2>&1 \
    || { cat "$home/install.log"; echo "FAIL install.sh on Python $version" >&2; return 1; }
  mkdir -p "$home/.config/quotaline"
  printf '[statusline]\ntemplate = "$label=$pct"\nwindows = ["five_hour"]\n' >"$home/.config/quotaline/config.toml"
  command=$("$py" -c 'import json, sys; print(json.load(open(sys.argv[1]))["statusLine"]["command"])' \
    "$home/.claude/settings.json")
  now=$(date +%s)
  out=$(printf '{"session_id":"ci","model":{"id":"claude-opus-5-5","display_name":"Opus"},"rate_limits":{"five_hour":{"used_percentage":42,"resets_at":%d}}}' \
    $((now + 3600)) | env -i HOME="$home" PATH=/usr/bin:/bin QUOTALINE_NO_SPAWN=1 NO_COLOR=1 sh -c "$command")
  # The interpreter the launcher runs must be the one asked for.
  got=$("$home/.local/share/quotaline/envs/1/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  if [ "$got" != "$version" ] || [ "$out" != "5h=42%" ]; then
    echo "FAIL Python $version: the status line printed '$out' through an install on Python $got" >&2
    return 1
  fi
  echo "ok   Python $version: install.sh + status line ($out)"
}

status=0
while read -r version py; do
  if [ "$version" = "$skip" ]; then
    echo "== Python $version ($py): the full suite runs on it"
  elif [ $tests -eq 1 ]; then
    echo "== Python $version ($py): ${FAST[*]}"
    venv=".venv-$version"
    [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev,keychain]'
    "$venv/bin/python" -m pytest -q -p no:cacheprovider "${FAST[@]}" || status=1
  fi
  if [ $install -eq 1 ]; then
    check_install "$version" "$py" || status=1
  fi
done < <(interpreters)
exit $status
