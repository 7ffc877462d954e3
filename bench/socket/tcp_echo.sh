#!/usr/bin/env bash
# TCP lines, side by side: `l7 socket tcp-server` (one reply line in upper case per line)
# against the internal echo service of GNU inetutils-inetd (Debian package inetutils-inetd),
# which forks one process per connection that echoes with read + write. Uppercasing a line is
# a few nanoseconds per byte (bench_socket BM_ToUpperAscii), so the work is comparable.
#
#   bench/socket/tcp_echo.sh build/release          # BENCH_REPS=3 BENCH_SECONDS=5 by default
#
# Load: bench/socket/tcp_load.py, 64-byte lines, 4 connections with 16 lines in flight each.
# Needs root (inetd's echo is on port 7) and 2 CPUs.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 RELEASE_BUILD_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
l7=$build/l7
source "$(dirname "$0")/common.sh"
check_setup "$l7"

start_l7_tcp() {
  server_port=$("$python" "$here/benchlib.py" free-port tcp)
  start_l7 "$1" "$l7" socket tcp-server --quiet --listen "127.0.0.1:$server_port"
}
start_inetd_tcp() {
  server_port=7
  start_inetd "$1" "127.0.0.1:echo stream tcp nowait root internal"
}

echo "== TCP lines: 64-byte lines, 4 connections x 16 in flight, ${seconds}s per run after a 2s warm-up"
describe_machine "$l7"
side_by_side "l7 tcp-server" start_l7_tcp "inetutils-inetd echo" start_inetd_tcp \
  tcp_load.py --size 64 --connections 4 --depth 16
