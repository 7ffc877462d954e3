#!/usr/bin/env bash
# Every l7 benchmark against a Release build: the micro-benchmarks (Google Benchmark), then
# the side-by-side runs against third-party servers (see bench/socket/udp_echo.sh and
# tcp_echo.sh; they need root, 2 CPUs and Debian's inetutils-inetd).
#
#   bench/run-all.sh build/release        # what `make bench` runs
#
# BENCH_REPS (3) and BENCH_SECONDS (5) set the repetitions and the measured seconds of each
# side-by-side run. Exit status: non-zero if any part failed.
set -uo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 RELEASE_BUILD_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd)
status=0

for bench in bench_core bench_socket; do
  echo "== $bench"
  # The micro-benchmarks are pinned to one CPU when there are two or more.
  pin=()
  if [ "$(nproc)" -ge 2 ]; then
    pin=(taskset -c 1)
  fi
  "${pin[@]}" "$build/bench/$bench" --benchmark_min_time=0.5 --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true || status=1
  echo
done

for script in "$here"/socket/udp_echo.sh "$here"/socket/tcp_echo.sh "$here"/dns/auth.sh "$here"/dns/memory.sh \
  "$here"/dns/resolver.sh; do
  "$script" "$build" || status=1
  echo
done
exit $status
