#!/usr/bin/env bash
# Measure when the real Claude Code shows its own usage warning (docs/claude-code-warnings.md).
# Runs the pinned Claude Code offline against the shared tool's fake API, one turn per value,
# and watches the screen for 24 s after each turn: the warning is a transient notification that
# shows up several seconds after the reply (behind the effort hint) and is gone ~10 s later, so a
# single capture misses it.
# Usage: scripts/measure-cc-warnings.sh [--5h LIST] [--7d LIST] [other run_real_client.sh options]
#   e.g.  scripts/measure-cc-warnings.sh --5h 0.5,0.7,0.93 --7d 0.17
# Prints, per turn: the values sent and every distinct warning text seen on screen.
set -euo pipefail
tool=${REAL_CLIENT:-/work/shared/tools/real-claude-code/run_real_client.sh}
version=${QUOTALINE_CLAUDE_VERSION:-2.1.330}
root=${MEASURE_ROOT:-$HOME/.cache/quotaline-e2e}   # the e2e tests' pinned install (cc-<version>)
run=$(mktemp -d /tmp/cc-warnings.XXXXXX)
watch_s=${WATCH_S:-24}

five="" seven="" pass=()
while [ $# -gt 0 ]; do
  case $1 in
    --5h) five=$2; shift 2;;
    --7d) seven=$2; shift 2;;
    *) pass+=("$1"); shift;;
  esac
done
n=1
for list in "$five" "$seven"; do
  [ -n "$list" ] && { c=$(tr -cd , <<<"$list" | wc -c); [ $((c + 1)) -gt $n ] && n=$((c + 1)); }
done
args=(--root "$root" --version "$version" --run-dir "$run/rc" --wait 0 --keep --prompt "turn 1")
[ -n "$five" ] && args+=(--5h "$five")
[ -n "$seven" ] && args+=(--7d "$seven")
out=$("$tool" "${args[@]}" "${pass[@]}" 2>"$run/stderr")
kept=$(grep -o 'tmux -L [^ ]* -f [^ ]*' <<<"$out" | head -1)
fake_pid=$(cat "$run/rc/fakeapi.pid")
TM() { $kept "$@"; }
sock=$(awk '{print $3}' <<<"$kept")
cleanup() { tmux -L "$sock" kill-server 2>/dev/null || true; kill "$fake_pid" 2>/dev/null || true; }
trap cleanup EXIT
pick() { local list=$1 i=$2; [ -z "$list" ] && { echo "-"; return; }; IFS=, read -ra v <<<"$list"; local k=$((i < ${#v[@]} ? i : ${#v[@]})); echo "${v[$((k - 1))]}"; }
watch() {
  local seen="" t0=$SECONDS line
  while [ $((SECONDS - t0)) -lt "$watch_s" ]; do
    line=$(tmux -L "$sock" capture-pane -p -t cc | grep -o "You've used.*\|You've hit.*\|Approaching .*\|Over [0-9]*% of your.*" | sed 's/ *$//' || true)
    if [ -n "$line" ] && ! grep -qxF "$line" <<<"$seen"; then seen+="$line"$'\n'; fi
    sleep 0.5
  done
  printf '%s' "${seen:-(no warning)}" | sed 's/^/    /'
  echo
}
for i in $(seq 1 "$n"); do
  if [ "$i" -gt 1 ]; then
    tmux -L "$sock" send-keys -t cc -l "turn $i"; sleep 0.3; tmux -L "$sock" send-keys -t cc Enter
  fi
  echo "turn $i: 5h=$(pick "$five" "$i") 7d=$(pick "$seven" "$i")"
  watch
done
