#!/usr/bin/env bash
# quotaline installer: ./install.sh [--force] [--no-hook] | ./install.sh --uninstall [--purge]
# Makes its own virtualenv (platformdirs user data dir), installs the package, puts `quotaline`
# in ~/.local/bin and wires Claude Code's settings.json. No sudo. Run it again to upgrade.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

find_python() {
  local c
  for c in ${QUOTALINE_PYTHON:-} python3.13 python3.12 python3.11 python3.10 python3; do
    command -v "$c" >/dev/null 2>&1 || continue
    "$c" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null && { command -v "$c"; return 0; }
  done
  return 1
}
py=$(find_python) || { echo "quotaline: needs Python 3.10 or newer (python3 not found or too old)" >&2; exit 1; }
# paths.py and install.py are standard library only: usable before the virtualenv exists.
data_dir=$(PYTHONPATH="$here" "$py" -c 'from statusline.paths import user_data_dir; print(user_data_dir())')
venv="$data_dir/venv"

purge=0
for a in "$@"; do [ "$a" = "--purge" ] && purge=1; done
if printf '%s\n' "$@" | grep -qx -- '--uninstall'; then
  args=(); for a in "$@"; do [ "$a" = "--purge" ] || args+=("$a"); done
  PYTHONPATH="$here" "$py" -m statusline.install "${args[@]}"
  rm -rf "$venv"
  echo "quotaline: removed $venv"
  if [ $purge -eq 1 ]; then
    for d in "$(PYTHONPATH="$here" "$py" -c 'from statusline.paths import user_state_dir; print(user_state_dir())')" \
             "$(PYTHONPATH="$here" "$py" -c 'from statusline.paths import user_config_dir; print(user_config_dir())')"; do
      rm -rf "$d" && echo "quotaline: removed $d"
    done
  else
    echo "quotaline: kept your config and snapshot (./install.sh --uninstall --purge removes them)"
  fi
  exit 0
fi

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
  echo "quotaline: creating virtualenv $venv"
  rm -rf "$venv"
  "$py" -m venv "$venv"
fi
echo "quotaline: installing the package into $venv"
# setuptools builds in the source tree and never deletes build/lib: a module removed from the
# source would still be installed from there.
rm -rf "$here/build"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "$here" \
  || { echo "quotaline: pip install failed (see above); nothing in Claude Code was changed" >&2; exit 1; }
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
exec "$venv/bin/python" -m statusline.install --python "$venv/bin/python" --site-packages "$site" "$@"
