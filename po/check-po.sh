#!/usr/bin/env bash
# Every translation compiles cleanly, and those listed in LINGUAS are complete:
# a missing or fuzzy string would show English in the middle of a translated UI.
set -eu
podir=$1
msgfmt=$2
status=0
for po in "$podir"/*.po; do
  lang=$(basename "$po" .po)
  if ! "$msgfmt" --check --check-format --check-header -o /dev/null "$po"; then
    echo "not ok: $lang.po does not pass msgfmt --check"
    status=1
    continue
  fi
  stats=$(LC_ALL=C "$msgfmt" --statistics -o /dev/null "$po" 2>&1)
  case "$stats" in
    *untranslated*|*fuzzy*)
      echo "not ok: $lang.po is incomplete: $stats"
      status=1 ;;
    *) echo "ok: $lang.po: $stats" ;;
  esac
done
for lang in $(grep -v '^#' "$podir/LINGUAS"); do
  [ -f "$podir/$lang.po" ] || { echo "not ok: $lang is in LINGUAS but $lang.po is missing"; status=1; }
done
exit $status
