#!/usr/bin/env bash
# Every l7 benchmark against a Release build: the micro-benchmarks (Google Benchmark), then
# the side-by-side runs against third-party servers and clients, one script per module
# (each says what it compares, and what it needs: root, 2 CPUs, the Debian packages of
# scripts/deps.sh). Together they take well over an hour; run one script alone to
# measure one module.
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

for script in socket/udp_echo.sh socket/tcp_echo.sh dns/auth.sh dns/memory.sh dns/resolver.sh \
  http/static.sh mail/smtp.sh mail/imap_fetch.sh ftp/transfer.sh p2p/transfer.sh \
  p2p/experiment.sh; do
  echo "== bench/$script"
  script=$here/$script
  "$script" "$build" || status=1
  echo
done
exit $status
