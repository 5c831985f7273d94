#!/usr/bin/env bash
# The core must stay free of GTK: a headless tool can reuse it.
set -eu
libs=$(ldd "$1")
if printf '%s\n' "$libs" | grep -E 'libgtk|libadwaita'; then
  echo "not ok: $1 links GTK"
  exit 1
fi
echo "ok: $(basename "$1") links no GTK ($(printf '%s\n' "$libs" | wc -l) libraries)"
