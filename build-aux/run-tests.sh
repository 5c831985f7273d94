#!/usr/bin/env bash
# Sets up, builds (-Dwerror=true) and runs the whole test suite headless: its
# own X server, D-Bus session bus and unlocked throwaway keyring, temporary XDG
# dirs. It does so twice: in _build as shipped, and in _build-asan under
# AddressSanitizer + UndefinedBehaviorSanitizer (the test setups asan and
# asanfast of tests/meson.build, where any report fails the test). The two
# runs go side by side, each in a session of its own. Prints "N passed, N failed, N skipped" over both and
# exits non-zero if either failed. Arguments go to both `meson test` runs.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

build-aux/setup.sh --tests

# Builds $1 with the meson options after it, set up anew or reconfigured.
configure() {
  local dir=$1
  shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@"
  else
    meson configure "$dir" "$@"
  fi
}
configure _build -Dwerror=true
configure _build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
meson compile -C _build
meson compile -C _build-asan

# Under the sanitizers, leaks are checked (`--setup asan`, the slow unwinder)
# in the core and channels suites; the widget tests and the heaviest core
# tests (the randomized conversation and report checks, the live list) would
# take minutes more that way, so they run under `--setup asanfast`:
# memory errors and undefined behaviour, leaks unchecked. store-kill does not
# run under them: it SIGKILLs writers after 50-300 ms, before an instrumented
# one has started writing, so it cannot show what it is there to show.
asan_slow=(conversations report store-inbox store-kill)
# The names of the tests in suites $@ (meson takes either suites or names).
suite_tests() {
  meson test -C _build-asan --list $(printf -- '--suite %s ' "$@") 2>/dev/null |
    sed -n 's|^[^ ]*:[a-z]* / ||p'
}
if [ $# -eq 0 ]; then
  asan_cmd="meson test -C _build-asan --setup asan --print-errorlogs \
              $(suite_tests core channels | grep -vxF "$(printf '%s\n' "${asan_slow[@]}")" | tr '\n' ' ');
            meson test -C _build-asan --setup asanfast --print-errorlogs \
              $(suite_tests gui | tr '\n' ' ') conversations report store-inbox"
else
  asan_cmd="meson test -C _build-asan --setup asan --print-errorlogs $(printf '%q ' "$@")"
fi

rm -f _build/meson-logs/testlog.json _build-asan/meson-logs/testlog-asan*.json
mkdir -p _build-asan/meson-logs
asan_out=_build-asan/meson-logs/run-tests.out
status=0
build-aux/headless-session.sh bash -c "status=0; { $asan_cmd; } || status=1
  for log in _build-asan/meson-logs/testlog-asan*.json; do
    grep -qE '\"result\": \"(FAIL|ERROR|TIMEOUT|UNEXPECTEDPASS)\"' \"\$log\" && status=1
  done
  exit \$status" >"$asan_out" 2>&1 &
asan_pid=$!
build-aux/headless-session.sh meson test -C _build --print-errorlogs "$@" || status=$?
asan_status=0
wait "$asan_pid" || asan_status=$?
echo
echo "==== Under AddressSanitizer + UndefinedBehaviorSanitizer (_build-asan) ===="
cat "$asan_out"
[ "$asan_status" -eq 0 ] || status=$asan_status

passed=0 failed=0 skipped=0
logs=(_build/meson-logs/testlog.json _build-asan/meson-logs/testlog-asan.json)
[ $# -ne 0 ] || logs+=(_build-asan/meson-logs/testlog-asanfast.json)
for log in "${logs[@]}"; do
  if [ ! -f "$log" ]; then
    failed=$((failed + 1))
    continue
  fi
  passed=$((passed + $(grep -cE '"result": "(OK|EXPECTEDFAIL)"' "$log" || true)))
  failed=$((failed + $(grep -cE '"result": "(FAIL|ERROR|TIMEOUT|UNEXPECTEDPASS)"' "$log" || true)))
  skipped=$((skipped + $(grep -c '"result": "SKIP"' "$log" || true)))
done
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$status" -eq 0 ] && [ "$failed" -ne 0 ]; then
  status=1
fi
exit "$status"
