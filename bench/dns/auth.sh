#!/usr/bin/env bash
# Authoritative DNS over UDP, side by side: `l7 dns serve` against NSD and Knot DNS (Debian
# packages nsd, knot), loaded by dnsperf (package dnsperf).
#
#   bench/dns/auth.sh build/release     # BENCH_REPS=3, BENCH_SECONDS=10 by default
#
# Zone: example.test, ~550 records (SOA, NS, 200 A, 100 AAAA, MX, TXT, a CNAME, a wildcard,
# 10 delegations with glue), from dnsbench.py. Queries: 100,000 lines cycled by dnsperf,
# ~70 % hits (A, AAAA, MX with additional data, TXT, wildcard, CNAME, apex), ~15 % NXDOMAIN,
# ~15 % referrals. Each server is checked with dig before it is measured.
#
# Method (../shared/docs/benchmarking.md): the three servers alternate (l7 NSD Knot, x3), each
# run on a freshly started server after the machine is quiet, a 2 s dnsperf warm-up, then
# `dnsperf -l SECONDS -c 4 -Q 1000000` (the -Q cap is far above what one dnsperf core can
# send, so dnsperf runs flat out with its default 100 queries outstanding). A run during which
# other processes used more than 0.25 core is repeated (twice at most). Server CPU = utime +
# stime of the server's process tree from /proc during the run, divided by the queries
# completed. Placements (BENCH_PLACEMENTS, default "pinned unpinned"): pinned = server on
# CPU 0 with one worker, dnsperf on CPU 1; unpinned = no pinning, default worker counts.
set -euo pipefail
source "$(dirname "$0")/common.sh"
use_build_dir "$@"

reps=${BENCH_REPS:-3}
seconds=${BENCH_SECONDS:-10}
max_other=${BENCH_MAX_OTHER_CORES:-0.25}
placements=${BENCH_PLACEMENTS:-pinned unpinned}
qps_cap=${DNSPERF_QPS:-1000000}
results=$tmp/results.jsonl
"$python" "$here/dnsbench.py" zone "$tmp"
zone=$tmp/example.test.zone
queries=$tmp/queries.txt

# expect WHAT ACTUAL PATTERN: fail unless ACTUAL matches the extended regex PATTERN.
expect() {
  if ! grep -Eq -- "$3" <<<"$2"; then
    echo "$0: $server_name answered $1 wrongly (wanted /$3/):" >&2
    echo "$2" >&2
    return 1
  fi
}

# check_answers: a hit, a CNAME, additional data, a wildcard, NXDOMAIN and a referral.
check_answers() {
  local d=(dig @127.0.0.1 -p "$server_port" +norec +time=2 +tries=1)
  expect "host-5 A" "$("${d[@]}" +short host-5.example.test A)" '^10\.0\.0\.5$' || return 1
  expect "www A (CNAME)" "$("${d[@]}" +short www.example.test A | tr '\n' ' ')" \
    '^host-0\.example\.test\. 10\.0\.0\.0 $' || return 1
  expect "x.wild AAAA" "$("${d[@]}" +short x.wild.example.test AAAA)" '^2001:db8::80$' || return 1
  # NSD's minimal-responses (see common.sh) leaves out the MX targets' addresses.
  local extra='[45]'
  [ "$server_name" = nsd ] && extra=1
  expect "mx-3 MX" "$("${d[@]}" mx-3.example.test MX)" \
    "flags: qr aa; QUERY: 1, ANSWER: 2,.*ADDITIONAL: $extra" || return 1
  expect "nx-1 A" "$("${d[@]}" nx-1.example.test A)" 'status: NXDOMAIN' || return 1
  expect "nx-1 A" "$("${d[@]}" nx-1.example.test A)" 'flags: qr aa;' || return 1
  local ref
  ref=$("${d[@]}" www.sub-3.example.test A) || return 1
  expect "www.sub-3 A (referral)" "$ref" 'status: NOERROR' || return 1
  expect "www.sub-3 A (referral)" "$ref" 'flags: qr; QUERY: 1, ANSWER: 0, AUTHORITY: 2, ADDITIONAL: 3' || return 1
  expect "www.sub-3 A (referral glue)" "$ref" 'ns\.sub-3\.example\.test\..*IN[[:space:]]+A[[:space:]]+192\.0\.2\.203' || return 1
}

# run_one PLACEMENT LABEL START_FUNCTION: one measured run, repeated when disturbed.
run_one() {
  local placement=$1 label=$2 start=$3 attempt
  local perf=($(pin "$placement" 1) dnsperf -s 127.0.0.1 -d "$queries" -c 4 -Q "$qps_cap")
  for attempt in 1 2 3; do
    "$python" "$here/../socket/benchlib.py" quiet --max-cores "${BENCH_QUIET_CORES:-0.1}" \
      --timeout "${BENCH_QUIET_TIMEOUT:-60}"
    "$start" "$placement" "$zone"
    wait_answer host-0.example.test A 20 && check_answers || {
      stop_server
      return 1
    }
    local status=0
    measure_dnsperf "$placement" "$label" "$attempt" "" "${perf[@]}" || status=$?
    [ "$status" -eq 2 ] || return "$status"
  done
}

echo "== DNS authoritative over UDP: l7 vs NSD vs Knot, dnsperf -c 4 -Q $qps_cap, ${seconds}s per run after a 2s warm-up"
describe_machine
echo "zone: $(grep -vc '^\$' "$zone") records; queries: $(wc -l <"$queries") lines (70 % hits, 15 % NXDOMAIN, 15 % referrals)"
status=0
for placement in $placements; do
  for rep in $(seq "$reps"); do
    run_one "$placement" l7 start_l7 || status=1
    run_one "$placement" nsd start_nsd || status=1
    run_one "$placement" knot start_knot || status=1
  done
done
[ -s "$results" ] && "$python" "$here/dnsbench.py" summarize "$results"
if [ -n "${BENCH_KEEP_RESULTS:-}" ]; then
  cp "$results" "$BENCH_KEEP_RESULTS"
fi
exit $status
