#!/usr/bin/env bash
# UDP echo, side by side: `l7 socket udp-server --echo` against the internal echo service of
# GNU inetutils-inetd (Debian package inetutils-inetd), which answers each datagram in its
# select() loop with recvfrom + sendto, without forking.
#
#   bench/socket/udp_echo.sh build/release          # BENCH_REPS=3 BENCH_SECONDS=5 by default
#
# Load: bench/socket/udp_load.py, 64-byte datagrams, 32 outstanding. Needs root (inetd's echo
# is on port 7) and 2 CPUs. Why not xinetd or openbsd-inetd: xinetd's internal UDP echo
# discards every datagram queued behind the one it answers (conn_free -> drain()), and
# openbsd-inetd's builtins ignore datagrams from 127.0.0.0/8.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 RELEASE_BUILD_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
l7=$build/l7
source "$(dirname "$0")/common.sh"
check_setup "$l7"

start_l7_udp() {
  server_port=$("$python" "$here/benchlib.py" free-port udp)
  start_l7 "$1" "$l7" socket udp-server --echo --quiet --listen "127.0.0.1:$server_port"
}
start_inetd_udp() {
  server_port=7
  start_inetd "$1" "127.0.0.1:echo dgram udp wait root internal"
}

echo "== UDP echo: 64-byte datagrams, 32 outstanding, ${seconds}s per run after a 2s warm-up"
describe_machine "$l7"
side_by_side "l7 udp-server --echo" start_l7_udp "inetutils-inetd echo" start_inetd_udp \
  udp_load.py --size 64 --outstanding 32
