#!/usr/bin/env bash
# Sets up, builds (-Dwerror=true) and runs the whole test suite headless: its
# own X server, D-Bus session bus and unlocked throwaway keyring, temporary XDG
# dirs. Prints "N passed, N failed" and exits with meson's status.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

build-aux/setup.sh --tests
if [ ! -f _build/build.ninja ]; then
  meson setup _build -Dwerror=true
else
  meson configure _build -Dwerror=true
fi
meson compile -C _build

status=0
build-aux/headless-session.sh meson test -C _build --print-errorlogs "$@" || status=$?

log=_build/meson-logs/testlog.json
if [ -f "$log" ]; then
  passed=$(grep -cE '"result": "(OK|EXPECTEDFAIL)"' "$log" || true)
  failed=$(grep -cE '"result": "(FAIL|ERROR|TIMEOUT|UNEXPECTEDPASS)"' "$log" || true)
  skipped=$(grep -c '"result": "SKIP"' "$log" || true)
  echo "$passed passed, $failed failed, $skipped skipped"
  if [ "$status" -eq 0 ] && [ "$failed" -ne 0 ]; then
    status=1
  fi
else
  echo "0 passed, 1 failed"
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
