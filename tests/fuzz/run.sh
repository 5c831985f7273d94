#!/usr/bin/env bash
# Builds the fuzz targets with clang (libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs each for SECONDS, one after another,
# starting from its seed corpus in tests/fuzz/corpus/. Prints per target the
# executions, the inputs that found new coverage and the crashes; exits 1 if
# any target crashed. Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]
# The build goes to $FUZZ_BUILDDIR (default _build-fuzz); what the fuzzer
# learns goes to $FUZZ_BUILDDIR/fuzz-corpus, crashes to $FUZZ_BUILDDIR/fuzz-crashes.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

seconds=${1:-60}
shift || true
build=${FUZZ_BUILDDIR:-_build-fuzz}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=($(sed -n "/^fuzz_targets = \[/,/^\]/s/^ *'\([a-z0-9-]*\)',*$/\1/p" tests/fuzz/meson.build))
fi

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C "$build" $(printf 'tests/fuzz/fuzz-%s ' "${targets[@]}") >/dev/null

# GLib 2.74's slice allocator would hide use-after-free from ASan.
export G_SLICE=always-malloc
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

status=0
for name in "${targets[@]}"; do
  work="$build/fuzz-corpus/$name"
  crashes="$build/fuzz-crashes/$name"
  log="$build/fuzz-logs/$name.log"
  mkdir -p "$work" "$crashes" "$(dirname "$log")"
  before=$(ls "$crashes" | wc -l)

  # New inputs go to the work corpus; the committed seeds are only read.
  # -timeout: one input taking seconds is a finding too (a hang on hostile bytes).
  # libFuzzer stops at a crash: it is started again until the time is used.
  : >"$log"
  runs=0 added=0 cov_start="" cov_end=""
  start=$(date +%s)
  left=$seconds
  while [ "$left" -gt 0 ]; do
    "$build/tests/fuzz/fuzz-$name" "$work" "tests/fuzz/corpus/$name" \
      -dict=tests/fuzz/json.dict -max_total_time="$left" -timeout=10 -rss_limit_mb=2048 \
      -max_len=16384 -print_final_stats=1 -artifact_prefix="$crashes/" >"$log.run" 2>&1 || true
    cat "$log.run" >>"$log"
    runs=$(( runs + $(sed -n 's/^stat::number_of_executed_units: *//p' "$log.run" | tail -1 | grep . || echo 0) ))
    added=$(( added + $(sed -n 's/^stat::new_units_added: *//p' "$log.run" | tail -1 | grep . || echo 0) ))
    [ -n "$cov_start" ] || cov_start=$(sed -n 's/.*INITED cov: \([0-9]*\).*/\1/p' "$log.run" | head -1)
    cov_end=$(sed -n 's/^#[0-9]*.* cov: \([0-9]*\).*/\1/p' "$log.run" | tail -1)
    left=$(( seconds - ($(date +%s) - start) ))
  done
  rm -f "$log.run"
  found=$(( $(ls "$crashes" | wc -l) - before ))
  echo "fuzz-$name: ${seconds}s, $runs executions, $added new inputs," \
       "coverage ${cov_start:-?} -> ${cov_end:-?} edges, $found crashes"
  if [ "$found" -ne 0 ]; then
    status=1
    grep -m3 -E 'finding: |ERROR: |runtime error|SUMMARY' "$log" | sed 's/^/  /' || true
    ls "$crashes" | tail -n "$found" | sed "s|^|  $crashes/|"
  fi
done
exit "$status"
