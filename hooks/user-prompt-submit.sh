#!/bin/sh
# quotaline's UserPromptSubmit hook, as a Claude Code plugin. Prefers the installed launcher;
# without one, runs the plugin's own copy (the hook's code is standard library only).
# Whatever happens, exit 0: a hook must never get in the user's way.
root=${CLAUDE_PLUGIN_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
if [ -x "$HOME/.local/bin/quotaline" ]; then
  "$HOME/.local/bin/quotaline" hook user-prompt-submit
elif command -v python3 >/dev/null 2>&1; then
  python3 -I -S -c 'import sys; sys.path.insert(0, sys.argv.pop(1)); from statusline.cli import launch; launch()' \
    "$root" hook user-prompt-submit
fi
exit 0
