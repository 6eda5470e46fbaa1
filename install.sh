#!/usr/bin/env bash
# quotaline from a clone: ./install.sh [quotaline install's options] | ./install.sh --uninstall [--purge]
# Makes a fresh virtualenv per install (platformdirs user data dir, envs/<n>), installs this tree
# into it, then runs its `quotaline install "$@"`: the launcher in ~/.local/bin and Claude Code's
# settings.json. No sudo. Run it again to upgrade: the old version keeps running until the launcher
# is replaced (one os.replace), so a status line or hook started at any moment of an upgrade, or a
# kill, finds a whole install. --help, a mistyped flag and --dry-run answer before any pip work.
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
# This tree's own `quotaline`, before any virtualenv: install.py is standard library only.
# -I: neither the current directory nor PYTHONPATH can put another copy first.
tree=("$py" -I -c 'import sys; sys.path.insert(0, sys.argv.pop(1)); from statusline.cli import main; sys.exit(main(sys.argv[1:]))' "$here")

uninstall=0
args=()
for a in "$@"; do
  if [ "$a" = "--uninstall" ]; then uninstall=1; else args+=("$a"); fi
done
if [ $uninstall -eq 1 ]; then
  exec "${tree[@]}" uninstall ${args[@]+"${args[@]}"}
fi
# Help, a bad flag: answered now. A dry run needs no environment: it changes nothing.
"${tree[@]}" install --args-only "$@" || exit $?
for a in "$@"; do
  case $a in -h | --help) exit 0 ;; --dry-run) exec "${tree[@]}" install "$@" ;; esac
done

data_dir=$("$py" -I -c 'import sys; sys.path.insert(0, sys.argv[1]); from statusline.core.store.paths import user_data_dir; print(user_data_dir())' "$here")
envs="$data_dir/envs"

# One install (or uninstall) at a time: each prunes the environments the launcher does not use.
# flock(2) belongs to the open file, which this shell keeps and hands to `quotaline install` through
# exec (QUOTALINE_INSTALL_LOCK_FD): the lock lasts until the install ends (a killed one frees it).
made=""  # the directories made here: uninstall removes them again once empty
d=$data_dir
while [ ! -d "$d" ] && [ "$d" != / ]; do made="$d
$made"; d=$(dirname "$d"); done
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

# The next free number: never a directory an earlier (maybe killed: a venv without pip) install left.
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
# QUOTALINE_EXTRAS=otlp: optional extras (the OpenTelemetry SDK for [export] otlp), each install.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$here${QUOTALINE_EXTRAS:+[$QUOTALINE_EXTRAS]}" \
  || { rm -rf "$venv"; echo "quotaline: pip install failed (see above); nothing in Claude Code was changed" >&2; exit 1; }
# `quotaline install` switches the launcher to $venv, then removes every environment but this one
# and the one the launcher ran before (processes started from it, such as a refresher, may still run).
# -I: `-m` would put the current directory first on sys.path (another checkout's code would run).
QUOTALINE_INSTALL_LOCK_FD=9 QUOTALINE_INSTALL_MADE_DIRS=$made exec "$venv/bin/python" -I -m statusline install --envs-dir "$envs" "$@"
