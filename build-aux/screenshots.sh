#!/usr/bin/env bash
# Takes a PNG of every page and dialog over a generated store, so that a
# change can be looked at and compared before and after:
#
#   build-aux/screenshots.sh [--build DIR] [--lang LL] [--size WxH] [--out DIR]
#
# Defaults: _build, English, 1280x800, and a folder under /tmp named after
# the language and size. Run it from the source tree; it starts its own
# headless session when it is not in one already. Each picture is printed.
set -eu

srcdir=$(cd "$(dirname "$0")/.." && pwd)
build="$srcdir/_build"
lang=en
size=1280x800
out=

while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --lang) lang=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "screenshots: unknown argument $1" >&2; exit 2 ;;
  esac
done

case "$size" in
  [0-9]*x[0-9]*) ;;
  *) echo "screenshots: --size takes WIDTHxHEIGHT, e.g. 360x720" >&2; exit 2 ;;
esac
build=$(cd "$build" && pwd)
[ -n "$out" ] || out="${TMPDIR:-/tmp}/picky-screenshots/$lang-$size"
case "$(cd "$(dirname "$out")" 2>/dev/null && pwd)/" in
  "$srcdir"/*) echo "screenshots: keep the pictures out of the source tree" >&2; exit 2 ;;
esac

# The helper, the schemas and the catalogues, as the build tree has them.
if [ -z "${PICKY_SESSION:-}" ]; then
  log=$(mktemp)
  meson compile -C "$build" >"$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; exit 1; }
  rm -f "$log"
fi

if [ -z "${PICKY_SESSION:-}" ]; then
  exec "$srcdir/build-aux/headless-session.sh" "$0" --build "$build" --lang "$lang" --size "$size" --out "$out"
fi

# The build tree's schemas and catalogues, settings in memory; the window
# at the size asked for. GSK_RENDERER=cairo as in the tests, so pictures
# of two runs compare.
export GSETTINGS_BACKEND=memory GSETTINGS_SCHEMA_DIR="$build/data" PICKY_LOCALEDIR="$build/po"
export GSK_RENDERER=cairo NO_AT_BRIDGE=0
if [ "$lang" = en ]; then
  export LANGUAGE=en LC_ALL=C.UTF-8
else
  export LANGUAGE=$lang LC_ALL=C.UTF-8
fi

rm -rf "$out"
mkdir -p "$out"
# GLib's test set-up says a few things on lines of its own; only the
# pictures' names are printed.
"$build/tests/picky-screenshots" "$out" "$size" | grep -v "^#"
