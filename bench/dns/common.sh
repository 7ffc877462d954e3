# Sourced by auth.sh and memory.sh: starting and stopping l7, NSD and Knot on loopback ports
# with the same placement and worker count, each with its own files in a temporary directory.
#
# A start function takes PLACEMENT ZONEFILE and sets server_pid (the process to account CPU
# and memory to: its whole tree counts) and server_port. Placements: "pinned" = taskset -c 0
# and one worker (l7 --threads 1, NSD server-count: 1, Knot udp-workers: 1); "unpinned" = no
# pinning and each server's default worker count (l7: one per core; NSD: 1; Knot: one UDP
# worker per core).

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=${PYTHON:-python3}
tmp=$(mktemp -d /tmp/l7-dnsbench.XXXXXX)
started=()

alive() {
  local state
  state=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [ "$state" != Z ]
}

# descendants PID: PID and every live descendant, one per line.
descendants() {
  "$python" - "$1" <<'EOF'
import os, sys
kids = {}
for e in os.listdir("/proc"):
    if e.isdigit():
        try:
            s = open(f"/proc/{e}/stat").read()
            kids.setdefault(int(s[s.rindex(")") + 2:].split()[1]), []).append(int(e))
        except (OSError, ValueError):
            pass
todo, out = [int(sys.argv[1])], []
while todo:
    p = todo.pop()
    out.append(p)
    todo.extend(kids.get(p, []))
print("\n".join(map(str, out)))
EOF
}

# stop_tree PID: SIGTERM to PID and its descendants (NSD is three processes), up to 10 s for
# them to exit, then SIGKILL to those left; reaps PID when it is our child.
stop_tree() {
  local pid=$1 pids p i left
  pids=$(descendants "$pid")
  for p in $pids; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for i in $(seq 200); do
    left=0
    for p in $pids; do
      alive "$p" && left=1
    done
    [ $left = 0 ] && break
    sleep 0.05
  done
  for p in $pids; do
    alive "$p" && kill -KILL "$p" 2>/dev/null
  done
  wait "$pid" 2>/dev/null || true
}

# stop_server: the server last started.
stop_server() {
  local keep=() p
  stop_tree "$server_pid"
  for p in "${started[@]}"; do
    [ "$p" != "$server_pid" ] && keep+=("$p")
  done
  started=("${keep[@]}")
}

cleanup() {
  local p
  for p in "${started[@]}"; do
    stop_tree "$p"
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# use_build_dir [RELEASE_BUILD_DIR]: the command line of auth.sh and memory.sh, one optional
# argument (build/release by default); sets build and l7 (its binary) and checks the tools.
use_build_dir() {
  if [ $# -gt 1 ]; then
    echo "usage: $0 [RELEASE_BUILD_DIR]" >&2
    exit 2
  fi
  build=$(cd "${1:-build/release}" && pwd)
  l7=$build/l7
  check_tools "$l7"
}

check_tools() {
  local l7=$1 tool
  if [ ! -x "$l7" ]; then
    echo "$0: no l7 binary at $l7 (build the Release tree first)" >&2
    exit 2
  fi
  for tool in nsd knotd dnsperf dig taskset; do
    if ! command -v "$tool" >/dev/null; then
      echo "$0: $tool is missing: apt-get install nsd knot dnsperf bind9-dnsutils" >&2
      exit 2
    fi
  done
  if [ "$(nproc)" -lt 2 ]; then
    echo "$0: needs 2 CPUs (server on CPU 0, dnsperf on CPU 1)" >&2
    exit 2
  fi
}

pin() {
  if [ "$1" = pinned ]; then
    echo "taskset -c $2"
  fi
}

free_port() {
  "$python" "$here/../socket/benchlib.py" free-port udp
}

start_l7() {
  local placement=$1 zone=$2 threads=()
  server_name=l7
  server_port=$(free_port)
  [ "$placement" = pinned ] && threads=(--threads 1)
  $(pin "$placement" 0) "$l7" dns serve --quiet --zone "example.test=$zone" \
    --listen "127.0.0.1:$server_port" "${threads[@]}" >"$tmp/l7.log" 2>&1 &
  server_pid=$!
  started+=("$server_pid")
}

# NSD 4.6 without a database file (database: ""), so it reads the zone file at start.
# minimal-responses: without it NSD adds the apex NS set and its glue to every positive
# answer, which l7 and Knot do not; with it NSD also leaves out the addresses of MX targets
# (l7 and Knot add them), which favours NSD slightly on the ~8 % MX queries. Response rate limiting off (Debian's default limits each source to ~200/s).
start_nsd() {
  local placement=$1 zone=$2 count=1
  server_name=nsd
  server_port=$(free_port)
  rm -rf "$tmp/nsd" && mkdir -p "$tmp/nsd"
  cat >"$tmp/nsd/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1@$server_port
  server-count: $count
  username: ""
  chroot: ""
  zonesdir: "$tmp/nsd"
  database: ""
  pidfile: "$tmp/nsd/nsd.pid"
  xfrdfile: "$tmp/nsd/xfrd.state"
  xfrdir: "$tmp/nsd"
  zonelistfile: "$tmp/nsd/zone.list"
  logfile: "$tmp/nsd/nsd.log"
  do-ip6: no
  verbosity: 0
  minimal-responses: yes
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: example.test
  zonefile: "$zone"
EOF
  # nsd -d: in the foreground. The process started becomes "nsd: xfrd"; "nsd: main" (in the
  # pidfile) and "nsd: server N" are its descendants, so the tree of $! holds all of NSD.
  $(pin "$placement" 0) nsd -d -c "$tmp/nsd/nsd.conf" >"$tmp/nsd/out.log" 2>&1 &
  server_pid=$!
  started+=("$server_pid")
}

start_knot() {
  local placement=$1 zone=$2 workers=""
  server_name=knot
  server_port=$(free_port)
  rm -rf "$tmp/knot" && mkdir -p "$tmp/knot/run" "$tmp/knot/db"
  if [ "$placement" = pinned ]; then
    workers="  udp-workers: 1
  tcp-workers: 1
  background-workers: 1"
  fi
  cat >"$tmp/knot/knot.conf" <<EOF
server:
  rundir: "$tmp/knot/run"
  listen: 127.0.0.1@$server_port
$workers
database:
  storage: "$tmp/knot/db"
log:
  - target: stderr
    any: warning
zone:
  - domain: example.test
    file: "$zone"
    journal-content: none
    zonefile-sync: -1
EOF
  $(pin "$placement" 0) knotd -c "$tmp/knot/knot.conf" >"$tmp/knot/out.log" 2>&1 &
  server_pid=$!
  started+=("$server_pid")
}

server_log() {
  case $server_name in
    l7) cat "$tmp/l7.log" ;;
    nsd) cat "$tmp/nsd/out.log" "$tmp/nsd/nsd.log" 2>/dev/null ;;
    knot) cat "$tmp/knot/out.log" ;;
  esac
}

# wait_answer NAME TYPE TIMEOUT_S: poll with dig until the server answers NAME/TYPE with
# data (status NOERROR, an answer section); fails after TIMEOUT_S seconds.
wait_answer() {
  local name=$1 type=$2 timeout=$3 deadline
  deadline=$(($(date +%s) + timeout))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if ! alive "$server_pid"; then
      echo "$0: $server_name exited:" >&2
      server_log >&2
      return 1
    fi
    # dig +short prints its errors (";; connection refused") on stdout too.
    if dig @127.0.0.1 -p "$server_port" +norec +time=1 +tries=1 +short "$name" "$type" 2>/dev/null |
      grep -qv '^;'; then
      return 0
    fi
    sleep 0.1
  done
  echo "$0: $server_name did not answer $name $type within ${timeout}s" >&2
  server_log >&2
  return 1
}

versions() {
  echo "l7: $("$l7" --version 2>&1 | head -1); $(nsd -v 2>&1 | head -1); $(knotd -V 2>&1 | head -1); $(dnsperf -h 2>&1 | grep -m1 Version | sed 's/^/dnsperf /')"
}

describe_machine() {
  echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -sr)"
  versions
}

# measure_dnsperf PLACEMENT LABEL ATTEMPT NOTE PERF...: a 2 s warm-up, then PERF (a dnsperf
# command without -p and -l) measured for $seconds against the running server (server_pid,
# server_port); stops the server and appends the result to $results, unless other processes
# used more than $max_other cores meanwhile and ATTEMPT is below 3. Status: 0 recorded,
# 1 failed, 2 disturbed (run it again).
measure_dnsperf() {
  local placement=$1 label=$2 attempt=$3 note=$4 line other
  shift 4
  local perf=("$@")
  "${perf[@]}" -p "$server_port" -l 2 >/dev/null
  line=$("$python" "$here/dnsbench.py" measure --server-pid "$server_pid" --label "$label" \
    --placement "$placement" -- "${perf[@]}" -p "$server_port" -l "$seconds") || {
    stop_server
    echo "$0: $label: dnsperf failed" >&2
    return 1
  }
  stop_server
  other=$("$python" -c 'import json,sys; print(json.loads(sys.argv[1])["other_cores"])' "$line")
  if "$python" -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' \
    "$other" "$max_other" || [ "$attempt" -eq 3 ]; then
    echo "$line" >>"$results"
    echo "  $placement $label$note: $("$python" "$here/dnsbench.py" show "$line")" >&2
    return 0
  fi
  echo "  $placement $label: disturbed ($other cores used elsewhere), repeating" >&2
  return 2
}
