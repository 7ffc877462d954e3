# Sourced by udp_echo.sh and tcp_echo.sh: the side-by-side procedure of
# ../shared/docs/benchmarking.md. Contenders alternate (A B A B A B), each run on a freshly
# started server after the machine is quiet, with a 2 s warm-up; a run during which other
# processes used more than 0.25 core is repeated (twice at most). Placements: "pinned"
# (server on CPU 0 with one worker, load generator on CPU 1), then "unpinned" (no pinning,
# l7 with its default worker count).

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=${PYTHON:-python3}
reps=${BENCH_REPS:-3}
max_other=${BENCH_MAX_OTHER_CORES:-0.25}
seconds=${BENCH_SECONDS:-5}
tmp=$(mktemp -d /tmp/l7-bench.XXXXXX)
results=$tmp/results.jsonl
started=()

# alive PID: the process exists and is not a zombie.
alive() {
  local state
  state=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [ "$state" != Z ]
}

# stop_pid PID: SIGTERM, up to 10 s to exit, then SIGKILL; reaps it when it is our child.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 200); do
    alive "$pid" || break
    sleep 0.05
  done
  if alive "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local pid
  for pid in "${started[@]}"; do
    stop_pid "$pid"
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

check_setup() {
  local l7=$1
  if [ ! -x "$l7" ]; then
    echo "$0: no l7 binary at $l7 (build the Release tree first)" >&2
    exit 2
  fi
  if [ "$(nproc)" -lt 2 ]; then
    echo "$0: needs 2 CPUs (server on CPU 0, load on CPU 1)" >&2
    exit 2
  fi
  if ! command -v inetutils-inetd >/dev/null; then
    echo "$0: the reference server is missing: apt-get install inetutils-inetd" >&2
    exit 2
  fi
  if [ "$(id -u)" -ne 0 ]; then
    # inetd's internal services only run under their names, so echo is on port 7.
    echo "$0: the reference (inetd's internal echo) must listen on port 7: run as root" >&2
    exit 2
  fi
}

# pin PLACEMENT CPU: the taskset prefix for a placement.
pin() {
  if [ "$1" = pinned ]; then
    echo "taskset -c $2"
  fi
}

# start_inetd PLACEMENT CONF_LINE: inetutils-inetd with one internal service; sets server_pid.
# Start functions also set server_port.
start_inetd() {
  local placement=$1 line=$2 i
  echo "$line" >"$tmp/inetd.conf"
  rm -f "$tmp/inetd.pid"
  # -R: invocations per minute before inetd suspends a service (each datagram counts).
  $(pin "$placement" 0) inetutils-inetd -R 1000000000 --pidfile="$tmp/inetd.pid" "$tmp/inetd.conf"
  for i in $(seq 100); do
    [ -s "$tmp/inetd.pid" ] && break
    sleep 0.05
  done
  server_pid=$(cat "$tmp/inetd.pid")
  started+=("$server_pid")
}

# start_l7 PLACEMENT ARGS...: l7 in the foreground of a background job; sets server_pid.
start_l7() {
  local placement=$1
  shift
  if [ "$placement" = pinned ]; then
    taskset -c 0 "$@" --threads 1 >"$tmp/l7.log" 2>&1 &
  else
    "$@" >"$tmp/l7.log" 2>&1 &
  fi
  server_pid=$!
  started+=("$server_pid")
}

stop_server() {
  stop_pid "$server_pid"
  local keep=() pid
  for pid in "${started[@]}"; do
    [ "$pid" != "$server_pid" ] && keep+=("$pid")
  done
  started=("${keep[@]}")
}

# run_one PLACEMENT LABEL START_FUNCTION LOAD_SCRIPT LOAD_ARGS...: one measured run, repeated
# when disturbed; appends its JSON line to $results.
run_one() {
  local placement=$1 label=$2 start=$3 load=$4
  shift 4
  local attempt line other
  for attempt in 1 2 3; do
    "$python" "$here/benchlib.py" quiet --max-cores "${BENCH_QUIET_CORES:-0.1}"
    "$start" "$placement"
    line=$($(pin "$placement" 1) "$python" "$here/$load" --server-pid "$server_pid" \
      --port "$server_port" --label "$label" --placement "$placement" --seconds "$seconds" \
      "$@") || {
      stop_server
      echo "$0: $label: the load generator failed" >&2
      return 1
    }
    stop_server
    other=$("$python" -c 'import json,sys; print(json.loads(sys.argv[1])["other_cores"])' "$line")
    if "$python" -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$other" "$max_other" ||
       [ "$attempt" -eq 3 ]; then
      echo "$line" >>"$results"
      echo "  $placement $label: $("$python" "$here/benchlib.py" show "$line")" >&2
      return 0
    fi
    echo "  $placement $label: disturbed ($other cores used elsewhere), repeating" >&2
  done
}

# side_by_side LABEL_A START_A LABEL_B START_B LOAD_SCRIPT LOAD_ARGS...
side_by_side() {
  local label_a=$1 start_a=$2 label_b=$3 start_b=$4 load=$5
  shift 5
  local placement rep
  for placement in pinned unpinned; do
    for rep in $(seq "$reps"); do
      run_one "$placement" "$label_a" "$start_a" "$load" "$@"
      run_one "$placement" "$label_b" "$start_b" "$load" "$@"
    done
  done
  "$python" "$here/benchlib.py" summarize "$results"
}

describe_machine() {
  echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -sr)"
  echo "l7: $("$1" --version 2>&1 | head -1); reference: $(inetutils-inetd --version | head -1)"
}
