#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for SECONDS each (default 60):
#
#   scripts/fuzz-all.sh build/fuzz 60        # what `make fuzz FUZZ_SECONDS=60` runs
#
# For target NAME (binary BUILD_DIR/fuzz/fuzz_NAME) the corpus directories are
#   BUILD_DIR/fuzz-new/NAME   first: libFuzzer writes the inputs it finds here
#   fuzz/corpus/NAME          second: the committed seeds, read and never modified
# so the source tree only changes when a target fails: the failing input then goes to
# fuzz/artifacts/NAME-crash-... (git-ignored). Reproduce it with
#   BUILD_DIR/fuzz/fuzz_NAME fuzz/artifacts/NAME-crash-...
# and, to keep a new input found by a run, copy it from fuzz-new/NAME into fuzz/corpus/NAME.
#
# Exit status: 0 when no target failed, 1 when one crashed, leaked, timed out or broke an
# invariant, 2 on a usage error.
set -uo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 BUILD_DIR [SECONDS]" >&2
  exit 2
fi
build=$(cd "$1" 2>/dev/null && pwd) || { echo "fuzz-all: no build directory $1" >&2; exit 2; }
seconds=${2:-60}
case $seconds in
  '' | *[!0-9]* | 0) echo "fuzz-all: SECONDS must be a whole number from 1, not '$seconds'" >&2; exit 2 ;;
esac
repo=$(cd "$(dirname "$0")/.." && pwd)

shopt -s nullglob
targets=("$build"/fuzz/fuzz_*)
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz-all: no fuzz targets in $build/fuzz (configure with -DL7_FUZZ=ON and build)" >&2
  exit 2
fi

# Recoverable UBSan reports become crashes; ASan's leak check stays on.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

mkdir -p "$repo/fuzz/artifacts" "$build/fuzz-logs"
failed=()
printf '%-28s %-6s %10s %8s %8s\n' target status runs cov corpus
for bin in "${targets[@]}"; do
  [ -x "$bin" ] || continue
  name=${bin##*/fuzz_}
  seeds=$repo/fuzz/corpus/$name
  new=$build/fuzz-new/$name
  log=$build/fuzz-logs/$name.log
  mkdir -p "$new"
  args=(-max_total_time="$seconds" -timeout=10 -print_final_stats=1
        -artifact_prefix="$repo/fuzz/artifacts/$name-")
  if [ -f "$repo/fuzz/$name.dict" ]; then
    args+=(-dict="$repo/fuzz/$name.dict")
  fi
  dirs=("$new")
  if [ -d "$seeds" ]; then
    dirs+=("$seeds")
  else
    echo "fuzz-all: warning: no seed corpus $seeds" >&2
  fi
  "$bin" "${args[@]}" "${dirs[@]}" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  files=$(find "$new" -type f | wc -l)
  if [ $rc -eq 0 ]; then
    status=ok
  else
    status=FAIL
    failed+=("$name")
  fi
  printf '%-28s %-6s %10s %8s %8s\n' "$name" "$status" "${runs:-?}" "${cov:-?}" "$files"
  if [ $rc -ne 0 ]; then
    # The failure's report: the invariant or sanitizer message and the stack without
    # libFuzzer's and libc's frames, then the input and where it was saved.
    awk '/fuzz invariant failed|runtime error:|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)/ {on = 1}
         on && /^SUMMARY:/ {print; exit}
         on && !/in fuzzer::|__sanitizer_print_stack_trace|libc\.so|libc_start|_start |pthread_kill|raise |abort |^NOTE:|^ +Combine libFuzzer|^$/' "$log" \
      | head -40 | sed 's/^/    /'
    grep -E '^(Base64:|artifact_prefix=)' "$log" | sed 's/^/    /'
    echo "    full log: $log"
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz-all: FAILED: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz-all: ${#targets[@]} targets, ${seconds}s each, no failure"
