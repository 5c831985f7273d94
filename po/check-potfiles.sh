#!/usr/bin/env bash
# Fails when a file holding translatable strings is not listed in POTFILES.in,
# when POTFILES.in names a file that is gone, or when it is not sorted.
set -eu
top=$1
cd "$top"
listed=$(grep -v '^#' po/POTFILES.in | sed '/^$/d')
status=0

if [ "$listed" != "$(printf '%s\n' "$listed" | LC_ALL=C sort)" ]; then
  echo "not ok: po/POTFILES.in is not sorted"
  status=1
fi

marked=$( {
  grep -rlE '(^|[^A-Za-z0-9_])(N?_|C_|ngettext|g_dngettext)[[:space:]]*\(' --include='*.c' src || true
  grep -rl 'translatable="yes"' --include='*.ui' ui || true
  grep -rlE '^(Name|GenericName|Comment|Keywords)=' --include='*.desktop.in.in' data || true
  grep -rl '<summary>' --include='*.metainfo.xml.in.in' --include='*.gschema.xml' data || true
} | LC_ALL=C sort -u)

for f in $marked; do
  if ! printf '%s\n' "$listed" | grep -qxF "$f"; then
    echo "not ok: $f has translatable strings but is missing from po/POTFILES.in"
    status=1
  fi
done
for f in $listed; do
  [ -f "$f" ] || { echo "not ok: po/POTFILES.in lists $f, which does not exist"; status=1; }
done
[ $status -eq 0 ] && echo "ok: $(printf '%s\n' "$listed" | wc -l) files listed, all present and sorted"
exit $status
