#!/usr/bin/env bash
# tmux plugin manager (tpm) entry point: `set -g @plugin '<owner>/quotaline'` in ~/.tmux.conf, then
# write #{quotaline} where the numbers should go in status-left or status-right:
#
#   set -g status-right '#{quotaline} %H:%M'
#
# Each #{quotaline} becomes #(quotaline segment --format tmux), which reads quotaline's snapshot
# (no network; tmux reruns it every status-interval). Options:
#   @quotaline-command   the launcher (default: quotaline on PATH, else ~/.local/bin/quotaline)
#   @quotaline-args      more segment arguments, e.g. '--windows five_hour,model'
set -u

option() {
  local value
  value=$(tmux show-option -gqv "$1")
  printf '%s' "${value:-$2}"
}

command_path() {
  local configured found
  configured=$(option @quotaline-command "")
  if [ -n "$configured" ]; then printf '%s' "$configured"; return; fi
  found=$(command -v quotaline 2>/dev/null || true)
  if [ -z "$found" ] && [ -x "$HOME/.local/bin/quotaline" ]; then found="$HOME/.local/bin/quotaline"; fi
  printf '%s' "${found:-quotaline}"
}

# The launcher's path as one word for the job's sh (POSIX single quotes), with tmux's ## for a
# literal # and %% for a literal %: a home holding quotes, $, backticks or #( stays a path.
quoted() {
  local q
  q="'$(printf '%s' "$1" | sed "s/'/'\\\\''/g")'"
  q="${q//#/##}"
  printf '%s' "${q//%/%%}"
}

main() {
  local args segment placeholder='#{quotaline}' name value
  args=$(option @quotaline-args "")
  segment="#($(quoted "$(command_path)") segment --format tmux${args:+ $args})"
  for name in status-left status-right; do
    value=$(tmux show-option -gqv "$name")
    case "$value" in
      *"$placeholder"*) tmux set-option -gq "$name" "${value//"$placeholder"/"$segment"}" ;;
    esac
  done
}

main
