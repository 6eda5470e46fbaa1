#!/bin/sh
# <xbar.title>quotaline</xbar.title>
# <xbar.version>v1</xbar.version>
# <xbar.desc>Claude usage limits (5-hour, weekly, per model, extra usage) from quotaline's snapshot.</xbar.desc>
# <xbar.dependencies>quotaline</xbar.dependencies>
# <swiftbar.hideRunInTerminal>true</swiftbar.hideRunInTerminal>
# <swiftbar.hideDisablePlugin>false</swiftbar.hideDisablePlugin>
#
# quotaline's menu bar plugin for SwiftBar and xbar (macOS) and Argos (GNOME). It only reads the
# snapshot quotaline keeps (no network of its own; at most it starts quotaline's one background
# refresher when a read is due). The ".1m." in the file name is how often the bar runs it.
# Written by `quotaline segment --print-swiftbar-plugin`; QUOTALINE_BIN picks another launcher.

bin="${QUOTALINE_BIN:-}"
[ -n "$bin" ] || bin=@QUOTALINE_BIN@
case "$bin" in @*) bin="" ;; esac
recorded=""  # where `quotaline install` put the launcher (its record in quotaline's data dir)
for rec in "${XDG_DATA_HOME:-$HOME/.local/share}/quotaline/launcher" "$HOME/Library/Application Support/quotaline/launcher"; do
  [ -r "$rec" ] && { IFS= read -r recorded <"$rec" || :; break; }
done
for candidate in "$bin" "$recorded" "$HOME/.local/bin/quotaline" "$(command -v quotaline 2>/dev/null)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    QUOTALINE_BIN="$candidate"
    export QUOTALINE_BIN
    exec "$candidate" segment --format swiftbar
  fi
done
echo "quotaline ?"
echo "---"
echo "quotaline not found: install it (./install.sh), or set QUOTALINE_BIN in this script"
