#!/usr/bin/env bash
# Sets up, builds and runs the console from its build tree (schemas, resources
# and translations are found there through `meson devenv`).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

build-aux/setup.sh
if [ ! -f build/build.ninja ]; then
  meson setup build
fi
meson compile -C build
exec meson devenv -C build picky-console "$@"
