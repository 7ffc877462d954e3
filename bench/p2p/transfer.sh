#!/usr/bin/env bash
# BitTorrent, one seed and one getter on loopback, side by side (issue 8): how long `l7
# torrent get` takes to fetch a 1 GiB file from one seed, against aria2c 1.36 (Debian aria2)
# and python3-libtorrent 2.0 (Debian), and the CPU the seed and the getter spend. The seed
# is l7 (`l7 torrent seed`) in the main rows; rows with a libtorrent seed follow, so that l7
# is compared both as the getter and as the seed.
#
#   bench/p2p/transfer.sh build/release          # or the l7 binary itself
#   P2P_BENCH_SIZE=128M BENCH_REPS=1 bench/p2p/transfer.sh /tmp/l7     # a quick run
#
# Needs root, only for `ip netns`: aria2c and libtorrent reach for DHT, LSD, UPnP and
# NAT-PMP, so every process of a download runs in a network namespace of this script's with
# only `lo` (no packet can leave), each peer on its own 127.0.0.x, plain TCP
# (../shared/docs/peers.md); DHT, LSD, PEX, UPnP and uTP are off in every client besides.
#
# The file: P2P_BENCH_SIZE (default 1G; K, M, G are powers of 1024) of pseudo-random bytes
# in a temporary directory under /tmp, which must have room for it and a downloaded copy
# (checked first: the script stops with a message otherwise), read once so that it is in the
# page cache; the .torrent made by `l7 torrent create --piece-size P2P_BENCH_PIECE` (1m).
#
# Finding the seed: `l7 torrent tracker` (HTTP, 127.0.0.1:6969) in every row. l7 and
# libtorrent could be given the seed directly (--peer --no-tracker / connect_peer), but
# aria2c 1.36 takes peers only from a tracker or the DHT; so that every row starts alike,
# every getter finds the seed through the same tracker with its first announce (a loopback
# round trip).
#
# One download (details in p2pbench.py's docstring): a fresh tracker and a fresh seed (l7 on
# 127.0.0.2, libtorrent on 127.0.0.6) that checks its data (SHA-1 of every piece; not timed)
# and announces; once the tracker counts it as a seed and the machine is quiet, the getter
# (l7 127.0.0.3, aria2c 127.0.0.4, libtorrent 127.0.0.5) starts into an empty directory. Its
# time runs from its start to its exit, which each does by itself once the file is whole (l7
# get without --seed; aria2c --seed-time=0; libtorrent: this script, after
# torrent_finished and a cache flush). Also kept: "done", the time to the getter's own
# "complete" line; "1st MiB" and "wire MB/s" from the bytes through the namespace's `lo`,
# sampled every 5 ms: when the first MiB had passed, and the rate from then to the last byte,
# i.e. the transfer without a client's start-up and exit (aria2c's first connection comes
# 2 s after its start, and it takes about 2 s to exit; against l7 it also loses 1 s retrying
# in plain after l7 refuses its encrypted handshake); the CPU seconds (utime+stime from
# /proc/PID/stat and wait4) of the seed and of the getter during the download, their peak
# RSS, and the CPU of other processes. The copy is checked (size every time; SHA-1 once per
# row, every time with P2P_BENCH_VERIFY=all; neither timed) and removed before the next one.
# Client settings: their defaults, except aria2c --file-allocation=falloc (l7 reserves the
# file with fallocate too; aria2c's default writes zeros first). l7 get makes the data
# durable as it goes (fdatasync every 64 MiB and at the end); aria2c and libtorrent leave
# that to the kernel. libtorrent runs in /usr/bin/python3 (about 0.1 s of CPU of its own).
#
# Method (../shared/docs/benchmarking.md): BENCH_REPS (3) repetitions of every (seed, getter)
# row, the order of the getters and of the seeds rotated from one repetition to the next;
# median and range. A download during which other processes used more than
# BENCH_MAX_OTHER_CORES (0.25) cores is done again (twice at most); before each, up to
# BENCH_QUIET_TIMEOUT (60) s for the machine to use less than BENCH_QUIET_CORES (0.1).
# P2P_BENCH_PIN=1: the seed on CPU 0 and the getter on CPU 1 (taskset); unpinned by default.
# P2P_BENCH_TIMEOUT (300 s) bounds each download and each seed's start.
# P2P_BENCH_SEEDS ("l7 libtorrent") and P2P_BENCH_GETTERS ("l7 aria2c libtorrent") choose
# the rows; BENCH_KEEP_RESULTS=FILE keeps the JSON lines; P2P_BENCH_LOGS=DIR keeps the
# output of every tracker, seed and getter. Printed: per row the median [range] of the time,
# MB/s, done, 1st MiB, wire MB/s, the seed's and the getter's CPU seconds; then the ratios of
# the medians other / l7 (getters, per seed; seeds, per getter). Exit status: 0 when every
# download completed and was checked, 1 otherwise, 2 when something needed is missing.
set -euo pipefail
PYTHON=${PYTHON:-/usr/bin/python3}
source "$(dirname "$0")/../mail/common.sh"
use_l7 "$@"
p2p_here=$(cd "$(dirname "$0")" && pwd)
p2pbench=$p2p_here/p2pbench.py

if [ "$(id -u)" != 0 ]; then
  echo "$0: needs root for ip netns (a loopback-only network namespace keeps aria2c and" \
    "libtorrent from DHT, LSD and UPnP); run it as root" >&2
  exit 2
fi
need ip iproute2
need taskset util-linux
need aria2c aria2
if ! "$python" -c 'import libtorrent' 2>/dev/null; then
  echo "$0: $python cannot import libtorrent: apt-get install python3-libtorrent" >&2
  exit 2
fi

# size_bytes 1G|128M|...: bytes.
size_bytes() {
  local v=${1^^}
  case $v in
    *K) echo $((${v%K} << 10)) ;;
    *M) echo $((${v%M} << 20)) ;;
    *G) echo $((${v%G} << 30)) ;;
    *[0-9]) echo "$v" ;;
    *)
      echo "$0: bad size $1 (e.g. 1G, 128M)" >&2
      return 1
      ;;
  esac
}
size=$(size_bytes "${P2P_BENCH_SIZE:-1G}") || exit 2
piece=${P2P_BENCH_PIECE:-1m}
reps=${BENCH_REPS:-3}
timeout=${P2P_BENCH_TIMEOUT:-300}
seeds=${P2P_BENCH_SEEDS:-l7 libtorrent}
getters=${P2P_BENCH_GETTERS:-l7 aria2c libtorrent}
pin=()
[ "${P2P_BENCH_PIN:-0}" = 1 ] && pin=(--pin)
keep_logs=()
[ -n "${P2P_BENCH_LOGS:-}" ] && keep_logs=(--keep-logs "$(mkdir -p "$P2P_BENCH_LOGS" &&
  cd "$P2P_BENCH_LOGS" && pwd)")
if [ "$size" -lt $((1 << 20)) ]; then
  echo "$0: P2P_BENCH_SIZE must be at least 1M" >&2
  exit 2
fi

# Room for the original and one downloaded copy, and 256 MiB to spare.
need_kib=$(((2 * size + (256 << 20)) >> 10))
free_kib=$(df -Pk "$tmp" | awk 'NR == 2 {print $4}')
if [ "$free_kib" -lt "$need_kib" ]; then
  echo "$0: $tmp has $((free_kib >> 10)) MiB free; a $((size >> 20)) MiB file and its" \
    "downloaded copy need $((need_kib >> 10)) MiB (set P2P_BENCH_SIZE lower, e.g. 128M)" >&2
  exit 2
fi

# The namespace: created here, deleted at exit with whatever still runs in it (only ours).
netns=l7p2pbench-$$
netns_cleanup() {
  local p
  if ip netns list 2>/dev/null | grep -qw "$netns"; then
    for p in $(ip netns pids "$netns" 2>/dev/null); do
      kill -KILL "$p" 2>/dev/null || true
    done
    ip netns delete "$netns" 2>/dev/null || true
  fi
}
trap 'cleanup; netns_cleanup' EXIT
ip netns add "$netns"
ip -n "$netns" link set lo up

echo "== BitTorrent: one seed, one getter on loopback; $((size >> 20)) MiB in $piece pieces;" \
  "getters: $getters; seeds: $seeds; $reps repetitions;" \
  "$([ ${#pin[@]} -gt 0 ] && echo 'seed on CPU 0, getter on CPU 1' || echo unpinned)"
describe_machine
echo "l7: $("$l7" --version 2>&1 | head -1); $(aria2c --version | head -1);" \
  "libtorrent $("$python" -c 'import libtorrent; print(libtorrent.__version__)')"
mkdir -p "$tmp/src" "$tmp/work"
data=$tmp/src/data.bin
"$python" "$p2pbench" data "$data" "$size" | sed 's/^/file: /'
cat "$data" >/dev/null
"$l7" torrent create "$data" --piece-size "$piece" -t http://127.0.0.1:6969/announce \
  -o "$tmp/data.torrent" -q | sed 's/^/torrent: /'

results=$tmp/p2p.jsonl
status=0
run_helper /dev/stdout ip netns exec "$netns" "$python" "$p2pbench" run --l7 "$l7" \
  --torrent "$tmp/data.torrent" --data "$data" --work "$tmp/work" --results "$results" \
  --reps "$reps" --seeds "$seeds" --getters "$getters" --timeout "$timeout" \
  --max-other "${BENCH_MAX_OTHER_CORES:-0.25}" --quiet-cores "${BENCH_QUIET_CORES:-0.1}" \
  --quiet-timeout "${BENCH_QUIET_TIMEOUT:-60}" --verify "${P2P_BENCH_VERIFY:-row}" \
  "${pin[@]}" "${keep_logs[@]}" || status=1
echo
if [ -s "$results" ]; then
  "$python" "$p2pbench" summary "$results" || status=1
else
  status=1
fi
if [ -n "${BENCH_KEEP_RESULTS:-}" ]; then
  cp "$results" "$BENCH_KEEP_RESULTS" 2>/dev/null || true
fi
exit $status
