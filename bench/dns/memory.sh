#!/usr/bin/env bash
# Memory and load time of a large zone: `l7 dns serve`, NSD and Knot DNS each load
# example.test with DNS_RECORDS (1,000,000) records (names host-0 .. host-N, A/A/AAAA/TXT in
# turn, from dnsbench.py bigzone).
#
#   bench/dns/memory.sh build/release
#
# Each server runs pinned to CPU 0 with one worker (as in auth.sh's pinned placement). Load
# time = from the server's start until dig gets the last record of the zone (polled every
# 0.1 s, at most DNS_LOAD_TIMEOUT = 600 s). Memory, read 1 s after that: VmRSS from
# /proc/PID/status and Pss from /proc/PID/smaps_rollup, each summed over the process tree
# (NSD is three processes sharing copy-on-write pages, so its RSS sum counts shared pages
# more than once; PSS splits them). The same servers with a 1-record zone give the baseline,
# and (RSS - baseline) / records the bytes per record.
set -euo pipefail
source "$(dirname "$0")/common.sh"
use_build_dir "$@"

records=${DNS_RECORDS:-1000000}
timeout=${DNS_LOAD_TIMEOUT:-600}
big=$tmp/big.zone
small=$tmp/small.zone
read -r last_name last_type < <("$python" "$here/dnsbench.py" bigzone "$big" "$records")
"$python" "$here/dnsbench.py" bigzone "$small" 1 >/dev/null

now() { date +%s.%N; }

# measure SERVER ZONE NAME TYPE: prints "load_seconds rss_kB pss_kB processes".
measure() {
  local start=start_$1 zone=$2 name=$3 type=$4 t0 t1 mem
  "$python" "$here/../socket/benchlib.py" quiet --max-cores "${BENCH_QUIET_CORES:-0.1}" \
    --timeout "${BENCH_QUIET_TIMEOUT:-30}"
  t0=$(now)
  "$start" pinned "$zone"
  wait_answer "$name" "$type" "$timeout" || {
    stop_server
    return 1
  }
  t1=$(now)
  sleep 1
  mem=$("$python" "$here/dnsbench.py" rss "$server_pid")
  stop_server
  echo "$(echo "$t1 - $t0" | bc) $mem"
}

echo "== DNS zone memory: example.test with $records records (A/A/AAAA/TXT), servers pinned to CPU 0 with one worker"
describe_machine
echo "zone file: $(du -m "$big" | cut -f1) MB, last record $last_name $last_type"
printf '%-6s %12s %14s %14s %14s %10s %14s\n' server "load s" "RSS MiB" "PSS MiB" \
  "base RSS MiB" processes "RSS B/record"
status=0
for server in l7 nsd knot; do
  base=$(measure "$server" "$small" host-0.example.test A) || { status=1; continue; }
  read -r _ base_rss _ _ <<<"$base"
  res=$(measure "$server" "$big" "$last_name" "$last_type") || { status=1; continue; }
  read -r load rss pss procs <<<"$res"
  printf '%-6s %12.2f %14.1f %14.1f %14.1f %10d %14.0f\n' "$server" "$load" \
    "$(echo "$rss / 1024" | bc -l)" "$(echo "$pss / 1024" | bc -l)" \
    "$(echo "$base_rss / 1024" | bc -l)" "$procs" \
    "$(echo "($rss - $base_rss) * 1024 / $records" | bc -l)"
done
exit $status
