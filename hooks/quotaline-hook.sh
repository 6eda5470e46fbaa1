#!/bin/sh
# quotaline's hooks as a Claude Code plugin (UserPromptSubmit, StopFailure rate_limit, Stop): the
# installed `quotaline` does the work, reading the event from stdin. Without one, say how to get
# it. Whatever happens, exit 0: a hook must never get in the user's way.
data=${XDG_DATA_HOME:-$HOME/.local/share}
for q in "$data/quotaline/bin/quotaline" "$HOME/.local/bin/quotaline" "$(command -v quotaline 2>/dev/null)"; do
  if [ -n "$q" ] && [ -x "$q" ]; then
    "$q" hook
    exit 0
  fi
done
cat >/dev/null  # the hook's input, unread
printf '%s\n' '{"systemMessage": "quotaline: the quotaline command is not installed. Install it with `uv tool install git+https://github.com/quotaline/quotaline` (or pipx install), then run /quotaline:setup for the status line."}'
exit 0
