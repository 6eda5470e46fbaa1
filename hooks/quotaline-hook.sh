#!/bin/sh
# quotaline's hooks as a Claude Code plugin (UserPromptSubmit, StopFailure rate_limit, Stop): the
# installed `quotaline` does the work, reading the event from stdin. Without one, say how to get
# it. Whatever happens, exit 0: a hook must never get in the user's way.
data=${XDG_DATA_HOME:-$HOME/.local/share}
# Runs the program whose words are "$@" with `hook`, if it is there: the program, and on Windows
# the launcher it runs (the last word) too, or a cleaned-up data dir would silence the hooks.
run() {
  [ -n "${1:-}" ] && [ -x "$1" ] || return 0
  for last; do :; done
  [ -r "$last" ] || return 0
  "$@" hook
  exit 0
}
# How `quotaline install` starts the launcher: its record in quotaline's data dir (macOS: Application
# Support; Windows, under Git Bash: %LOCALAPPDATA%), the program's words one a line.
for rec in "$data/quotaline/launcher" "$HOME/Library/Application Support/quotaline/launcher" \
  "${LOCALAPPDATA:-/nonexistent}/quotaline/quotaline/launcher"; do
  if [ -r "$rec" ]; then
    set --
    while IFS= read -r word || [ -n "$word" ]; do set -- "$@" "$word"; done <"$rec"
    run "$@"
    break
  fi
done
for q in "$data/quotaline/bin/quotaline" "$HOME/.local/bin/quotaline" "$(command -v quotaline 2>/dev/null)"; do
  run "$q"
done
cat >/dev/null  # the hook's input, unread
printf '%s\n' '{"systemMessage": "quotaline: the quotaline command is not installed. Install it with `uv tool install git+https://github.com/quotaline/quotaline` (or pipx install), then run /quotaline:setup for the status line."}'
exit 0
