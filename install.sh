#!/usr/bin/env bash
# quotaline installer: ./install.sh [--force] [--no-hook] | ./install.sh --uninstall [--purge]
# Makes a fresh virtualenv per install (platformdirs user data dir, envs/<n>), installs the package
# there, puts `quotaline` in ~/.local/bin and wires Claude Code's settings.json. No sudo. Run it
# again to upgrade: the old version keeps running until the launcher is replaced (one os.replace),
# so a status line or hook started at any moment of an upgrade, or a kill, finds a whole install.
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
data_dir=$(PYTHONPATH="$here" "$py" -c 'from statusline.core.paths import user_data_dir; print(user_data_dir())')
envs="$data_dir/envs"
legacy_venv="$data_dir/venv"  # before envs/: one virtualenv upgraded in place

# One install (or uninstall) at a time: each prunes the environments the launcher does not use.
# flock(2) belongs to the open file, which this shell keeps: the lock lasts until the script and
# every process it started have exited (a killed install frees it), on Linux and macOS alike.
mkdir -p "$data_dir"
exec 9>>"$data_dir/install.lock"
"$py" -c '
import fcntl, sys
try:
    fcntl.flock(9, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    print("quotaline: waiting for another install to finish", file=sys.stderr)
    fcntl.flock(9, fcntl.LOCK_EX)
'

purge=0
for a in "$@"; do [ "$a" = "--purge" ] && purge=1; done
if printf '%s\n' "$@" | grep -qx -- '--uninstall'; then
  args=(); for a in "$@"; do [ "$a" = "--purge" ] || args+=("$a"); done
  PYTHONPATH="$here" "$py" -m statusline.commands.install "${args[@]}"
  for d in "$envs" "$legacy_venv"; do
    [ -e "$d" ] && rm -rf "$d" && echo "quotaline: removed $d"
  done
  rm -f "$data_dir/install.lock"
  rmdir "$data_dir" 2>/dev/null || true
  if [ $purge -eq 1 ]; then
    for d in "$(PYTHONPATH="$here" "$py" -c 'from statusline.core.paths import user_state_dir; print(user_state_dir())')" \
             "$(PYTHONPATH="$here" "$py" -c 'from statusline.core.paths import user_config_dir; print(user_config_dir())')"; do
      rm -rf "$d" && echo "quotaline: removed $d"
    done
  else
    echo "quotaline: kept your config and snapshot (./install.sh --uninstall --purge removes them)"
  fi
  exit 0
fi

# The next free number: never a directory an earlier (maybe killed) install left half-made.
mkdir -p "$envs"
n=1
for d in "$envs"/*; do
  b=${d##*/}
  case $b in '' | *[!0-9]*) continue ;; esac
  [ $((10#$b)) -ge $n ] && n=$((10#$b + 1))
done
venv="$envs/$n"
echo "quotaline: creating virtualenv $venv"
"$py" -m venv "$venv" || { rm -rf "$venv"; echo "quotaline: could not create $venv; nothing was changed" >&2; exit 1; }
echo "quotaline: installing the package into $venv"
# setuptools builds in the source tree and never deletes build/lib: a module removed from the
# source would still be installed from there.
rm -rf "$here/build"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$here" \
  || { rm -rf "$venv"; echo "quotaline: pip install failed (see above); nothing in Claude Code was changed" >&2; exit 1; }
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# install.py switches the launcher to $venv, then removes every environment but this one and the
# one the launcher ran before (processes started from it, such as a refresher, may still run).
# -I: `-m` would put the current directory first on sys.path, and from inside another checkout
# that checkout's installer would run instead of the one just installed.
exec "$venv/bin/python" -I -m statusline.commands.install --python "$venv/bin/python" --site-packages "$site" \
  --envs-dir "$envs" "$@"
