#!/usr/bin/env bash
# The recursive resolver, side by side: `l7 dns resolver` against Unbound (Debian's unbound),
# loaded by dnsperf.
#
#   bench/dns/resolver.sh build/release     # BENCH_REPS=3, BENCH_SECONDS=10 by default
#
# (a) Cache hits. A two-level hierarchy on loopback served by `l7 dns serve` (the root on
#     127.0.0.1, bench. on 127.0.0.2, both on one free port; ~1000 names host-I.bench. A, from
#     resolverbench.py). Each resolver is started, warmed with every name (the answers are
#     checked, and a second pass must send nothing upstream), then measured with
#     `dnsperf -l SECONDS -c 4` cycling over the same names: every query is a cache hit.
#     l7 `--threads 1` and Unbound `num-threads: 1`, each pinned to CPU 0 and dnsperf to CPU 1
#     (BENCH_PLACEMENTS="pinned unpinned" adds a row with no pinning and the default worker
#     counts: l7 one per core, Unbound num-threads: 2). The contenders alternate (l7 Unbound,
#     x BENCH_REPS), each run on a freshly started resolver after the machine is quiet and a
#     2 s dnsperf warm-up; a run during which other processes used more than 0.25 core is
#     repeated (twice at most). Server CPU per query = utime+stime of the resolver's process
#     from /proc during the run / queries completed (dnsbench.py measure).
# (b) Cold resolution over the lab's hierarchy (`l7 lab`, on 127.10.x.x: do not run it while
#     the interop tests hold the lab): ~50 names, each asked of a resolver started for it, and
#     the same names in a row of one fresh resolver; median latency and upstream queries per
#     name (l7: `l7 dns ctl stats` upstream_queries; Unbound: num.query.udpout + tcpout from
#     unbound-control). BENCH_COLD_ROUNDS (3) rounds. BENCH_PARTS="cache cold" picks the parts.
set -euo pipefail
source "$(dirname "$0")/common.sh"

if [ $# -gt 1 ]; then
  echo "usage: $0 [RELEASE_BUILD_DIR]" >&2
  exit 2
fi
build=$(cd "${1:-build/release}" && pwd)
l7=$build/l7
if [ ! -x "$l7" ]; then
  echo "$0: no l7 binary at $l7 (build the Release tree first)" >&2
  exit 2
fi
for tool in unbound unbound-control dnsperf dig taskset; do
  if ! command -v "$tool" >/dev/null; then
    echo "$0: $tool is missing (scripts/deps.sh installs it)" >&2
    exit 2
  fi
done
if ! /usr/bin/python3 -c 'import dns.message' 2>/dev/null; then
  echo "$0: /usr/bin/python3 has no dnspython (apt-get install python3-dnspython)" >&2
  exit 2
fi
if [ "$(nproc)" -lt 2 ]; then
  echo "$0: needs 2 CPUs (server on CPU 0, dnsperf on CPU 1)" >&2
  exit 2
fi

reps=${BENCH_REPS:-3}
seconds=${BENCH_SECONDS:-10}
max_other=${BENCH_MAX_OTHER_CORES:-0.25}
placements=${BENCH_PLACEMENTS:-pinned}
parts=${BENCH_PARTS:-cache cold}
names=${BENCH_NAMES:-1000}
qps_cap=${DNSPERF_QPS:-1000000}
results=$tmp/resolver-results.jsonl
rbench=(env "L7_BIN=$l7" /usr/bin/python3 "$here/resolverbench.py")

# --- the authoritative hierarchy (a) --------------------------------------------------------

auth_port=""
auth_pids=()

start_hierarchy() {
  "${rbench[@]}" hierarchy "$tmp" "$names"
  auth_port=$(free_port)
  "$l7" dns serve --quiet --threads 1 --zone ".=$tmp/root.zone" \
    --listen "127.0.0.1:$auth_port" >"$tmp/root.log" 2>&1 &
  auth_pids+=($!)
  started+=($!)
  "$l7" dns serve --quiet --threads 1 --zone "bench=$tmp/bench.zone" \
    --listen "127.0.0.2:$auth_port" >"$tmp/bench.log" 2>&1 &
  auth_pids+=($!)
  started+=($!)
  local _
  for _ in $(seq 100); do
    if dig @127.0.0.2 -p "$auth_port" +norec +time=1 +tries=1 +short host-1.bench A 2>/dev/null |
      grep -q '^10\.' && dig @127.0.0.1 -p "$auth_port" +norec +time=1 +tries=1 bench NS 2>/dev/null |
      grep -q 'ns\.bench\.'; then
      return 0
    fi
    sleep 0.1
  done
  echo "$0: the authoritative hierarchy did not answer:" >&2
  cat "$tmp/root.log" "$tmp/bench.log" >&2
  return 1
}

# --- the resolvers --------------------------------------------------------------------------

start_l7r() {
  local placement=$1 threads=()
  server_name=l7
  server_port=$(free_port)
  [ "$placement" = pinned ] && threads=(--threads 1)
  rm -f "$tmp/l7r.sock"
  $(pin "$placement" 0) "$l7" dns resolver --quiet --listen "127.0.0.1:$server_port" \
    --root "127.0.0.1:$auth_port" --upstream-port "$auth_port" --control "$tmp/l7r.sock" \
    "${threads[@]}" >"$tmp/l7r.log" 2>&1 &
  server_pid=$!
  started+=("$server_pid")
  warm_args=(--l7-control "$tmp/l7r.sock")
}

start_unbound() {
  local placement=$1 workers=2
  server_name=unbound
  server_port=$(free_port)
  [ "$placement" = pinned ] && workers=1
  rm -rf "$tmp/unbound" && mkdir -p "$tmp/unbound"
  # No validation (module-config: iterator), the same qname minimisation as l7, answers as
  # small as l7's (minimal-responses), and stub zones because the hierarchy is not on port 53.
  cat >"$tmp/unbound/unbound.conf" <<EOF
server:
  interface: 127.0.0.1@$server_port
  port: $server_port
  do-ip6: no
  do-not-query-localhost: no
  access-control: 127.0.0.0/8 allow
  username: ""
  chroot: ""
  directory: "$tmp/unbound"
  pidfile: "$tmp/unbound/unbound.pid"
  use-syslog: no
  logfile: ""
  verbosity: 0
  num-threads: $workers
  module-config: "iterator"
  qname-minimisation: yes
  harden-referral-path: no
  minimal-responses: yes
  statistics-cumulative: yes
stub-zone:
  name: "."
  stub-addr: 127.0.0.1@$auth_port
stub-zone:
  name: "bench."
  stub-addr: 127.0.0.2@$auth_port
remote-control:
  control-enable: yes
  control-interface: "$tmp/unbound/control.sock"
  control-use-cert: no
EOF
  $(pin "$placement" 0) unbound -d -c "$tmp/unbound/unbound.conf" >"$tmp/unbound/out.log" 2>&1 &
  server_pid=$!
  started+=("$server_pid")
  warm_args=(--unbound-conf "$tmp/unbound/unbound.conf")
}

resolver_log() {
  case $server_name in
    l7) cat "$tmp/l7r.log" ;;
    unbound) cat "$tmp/unbound/out.log" ;;
  esac
}

# wait_resolver: until the resolver answers host-0.bench. (recursively), 20 s at most.
wait_resolver() {
  local _
  for _ in $(seq 200); do
    if ! alive "$server_pid"; then
      echo "$0: $server_name exited:" >&2
      resolver_log >&2
      return 1
    fi
    if dig @127.0.0.1 -p "$server_port" +time=1 +tries=1 +short host-0.bench A 2>/dev/null |
      grep -q '^10\.0\.0\.0$'; then
      return 0
    fi
    sleep 0.1
  done
  echo "$0: $server_name did not answer host-0.bench A within 20 s" >&2
  resolver_log >&2
  return 1
}

# run_one PLACEMENT START_FUNCTION: one measured run, repeated when disturbed.
run_one() {
  local placement=$1 start=$2 attempt warmed
  local perf=($(pin "$placement" 1) dnsperf -s 127.0.0.1 -d "$tmp/names.txt" -c 4 -Q "$qps_cap")
  for attempt in 1 2 3; do
    "$python" "$here/../socket/benchlib.py" quiet --max-cores "${BENCH_QUIET_CORES:-0.1}" \
      --timeout "${BENCH_QUIET_TIMEOUT:-60}"
    "$start" "$placement"
    wait_resolver || {
      stop_server
      return 1
    }
    warmed=$("${rbench[@]}" warm --server "127.0.0.1:$server_port" --names "$tmp/names.txt" \
      "${warm_args[@]}") || {
      stop_server
      echo "$0: $server_name: warming failed" >&2
      return 1
    }
    local status=0
    measure_dnsperf "$placement" "$server_name" "$attempt" " (warm-up pass: $warmed)" \
      "${perf[@]}" || status=$?
    [ "$status" -eq 2 ] || return "$status"
  done
}

status=0
describe_machine_r() {
  echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -sr)"
  echo "l7: $("$l7" --version 2>&1 | head -1); $(unbound -V 2>&1 | head -1); $(dnsperf -h 2>&1 | grep -m1 Version | sed 's/^/dnsperf /')"
}

describe_machine_r
if [[ " $parts " == *" cache "* ]]; then
  echo "== (a) DNS resolver cache hits: l7 vs Unbound, dnsperf -c 4 -Q $qps_cap, ${seconds}s per run after a 2s warm-up, $names names"
  start_hierarchy
  for placement in $placements; do
    for _ in $(seq "$reps"); do
      run_one "$placement" start_l7r || status=1
      run_one "$placement" start_unbound || status=1
    done
  done
  [ -s "$results" ] && "$python" "$here/dnsbench.py" summarize "$results"
  if [ -n "${BENCH_KEEP_RESULTS:-}" ]; then
    cp "$results" "$BENCH_KEEP_RESULTS"
  fi
  for p in "${auth_pids[@]}"; do
    stop_tree "$p"
  done
fi
if [[ " $parts " == *" cold "* ]]; then
  echo
  echo "== (b) cold resolution over the lab's hierarchy: l7 vs Unbound"
  timeout 1200 "${rbench[@]}" cold --l7 "$l7" --rounds "${BENCH_COLD_ROUNDS:-3}" || status=1
fi
exit $status
