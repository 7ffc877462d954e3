#!/usr/bin/env bash
# HTTP/1.1 static files, side by side: `l7 http serve` against nginx (Debian nginx-light) and
# h2o (Debian h2o), loaded by wrk (Debian wrk); then the memory each keeps per idle
# keep-alive connection.
#
#   bench/http/static.sh build/release    # BENCH_REPS=3, BENCH_SECONDS=5 by default
#
# Files: 1k.bin (1 KiB) and 100k.bin (100 KiB) of random bytes, the same directory for the
# three servers; each server is checked with curl (the body must equal the file) before it is
# measured. Rows: each file with keep-alive, and with `Connection: close` (wrk -H, so every
# request is a new TCP connection), `wrk -c 50 --latency`.
#
# Method (../shared/docs/benchmarking.md): each repetition (BENCH_REPS) starts every server
# afresh and runs each row against them one after another (the first server rotating with the
# repetition), so the servers meet the same machine; before each row the machine must be
# quiet, then a 2 s wrk warm-up and BENCH_SECONDS measured. A row during which other processes used more
# than 0.25 core is repeated (twice at most). Server CPU = utime + stime of the server's
# process tree (nginx: master and worker) from /proc during the run, divided by the requests
# completed. Placements (BENCH_PLACEMENTS, default "pinned unpinned"): pinned = server on CPU 0
# with one worker (l7 --threads 1, nginx worker_processes 1, h2o num-threads 1) and wrk -t1 on
# CPU 1; unpinned = no pinning, one worker per core for each server and wrk -t$(nproc).
#
# Peer settings, for a like-for-like comparison: no access log anywhere; nginx with Debian's
# `sendfile on; tcp_nopush on;`, keepalive_requests raised (its default of 1000 would close
# wrk's connections) and open_file_cache off (its default; l7 opens each file per request
# too); h2o 2.2 with its defaults (it keeps recently opened files open in a built-in cache
# that 2.2 does not let one switch off).
#
# HTTP_BENCH_SERVERS (default "l7 nginx h2o") and HTTP_BENCH_FILES (default "1k.bin 100k.bin")
# narrow a run to some servers or files; the server `nginx-deferred` is nginx with
# `listen ... deferred` (TCP_DEFER_ACCEPT, which l7's HTTP listeners set by default).
#
# Memory (HTTP_BENCH_PARTS contains "memory"): each server pinned with one worker; 10,000
# (HTTP_IDLE_CONNECTIONS) TCP connections opened and left idle, then one keep-alive GET of
# 1k.bin on each, the response read and the connection left idle again; VmRSS of the server's
# process tree before, after connecting, and after the requests (httpbench.py idle). Every
# temporary, log and pid file lives in one temporary directory, removed at exit.
set -euo pipefail
# alive, descendants, stop_tree, stop_server, pin, the temporary directory and its cleanup.
source "$(dirname "$0")/../dns/common.sh"
http_here=$(cd "$(dirname "$0")" && pwd)
bench=$http_here/httpbench.py

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
for tool in nginx h2o wrk curl taskset; do
  if ! command -v "$tool" >/dev/null; then
    echo "$0: $tool is missing: apt-get install nginx-light h2o wrk curl" >&2
    exit 2
  fi
done
if [ "$(nproc)" -lt 2 ]; then
  echo "$0: needs 2 CPUs (server on CPU 0, wrk on CPU 1)" >&2
  exit 2
fi

reps=${BENCH_REPS:-3}
seconds=${BENCH_SECONDS:-5}
max_other=${BENCH_MAX_OTHER_CORES:-0.25}
placements=${BENCH_PLACEMENTS:-pinned unpinned}
parts=${HTTP_BENCH_PARTS:-throughput memory}
idle_count=${HTTP_IDLE_CONNECTIONS:-10000}
servers=${HTTP_BENCH_SERVERS:-l7 nginx h2o}
files=${HTTP_BENCH_FILES:-1k.bin 100k.bin}
connections=${WRK_CONNECTIONS:-50}
site=$tmp/site
results=$tmp/results.jsonl
idle_results=$tmp/idle.jsonl
"$python" "$bench" site "$site"
# Room for the idle connections in every server (and in the shell's children).
ulimit -n "$(ulimit -Hn)"

tcp_port() {
  "$python" "$here/../socket/benchlib.py" free-port tcp
}

workers() {
  if [ "$1" = pinned ]; then echo 1; else nproc; fi
}

start_l7() {
  local placement=$1
  server_name=l7
  server_port=$(tcp_port)
  # --max-connections above the idle test's count; --idle-timeout longer than a run.
  $(pin "$placement" 0) "$l7" http serve "$site" --quiet \
    --listen "127.0.0.1:$server_port" --threads "$(workers "$placement")" \
    --max-connections 20000 --idle-timeout 300s >"$tmp/l7.log" 2>&1 &
  server_pid=$!
  started+=("$server_pid")
}

# start_nginx PLACEMENT [deferred]: with `deferred`, nginx's listener waits for the request
# before accepting (TCP_DEFER_ACCEPT, as l7's HTTP listeners do by default).
start_nginx() {
  local placement=$1 option=${2:-} dir=$tmp/nginx${2:+-$2}
  server_name=nginx${2:+-$2}
  server_port=$(tcp_port)
  rm -rf "$dir" && mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process on;
user root;
worker_processes $(workers "$placement");
worker_rlimit_nofile 40000;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
  worker_connections 30000;
}
http {
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  types { application/octet-stream bin; }
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:$server_port${option:+ $option};
    root $site;
  }
}
EOF
  # -e: the error log before the configuration is read; -p: the prefix for relative paths.
  $(pin "$placement" 0) nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" \
    >"$dir/out.log" 2>&1 &
  server_pid=$!
  started+=("$server_pid")
}

start_nginx_deferred() {
  start_nginx "$1" deferred
}

start_h2o() {
  local placement=$1 dir=$tmp/h2o
  server_name=h2o
  server_port=$(tcp_port)
  rm -rf "$dir" && mkdir -p "$dir"
  # user: root, so h2o does not drop to nobody (which could not write the pid file here).
  cat >"$dir/h2o.conf" <<EOF
user: root
pid-file: $dir/h2o.pid
error-log: $dir/error.log
num-threads: $(workers "$placement")
max-connections: 30000
http1-request-timeout: 300
listen:
  host: 127.0.0.1
  port: $server_port
hosts:
  "127.0.0.1:$server_port":
    paths:
      /:
        file.dir: $site
EOF
  $(pin "$placement" 0) h2o -c "$dir/h2o.conf" >"$dir/out.log" 2>&1 &
  server_pid=$!
  started+=("$server_pid")
}

# wait_ready TIMEOUT_S: poll with curl until the server answers; then each file's body must
# equal the file.
wait_ready() {
  local deadline=$(($(date +%s) + $1)) f
  while :; do
    if ! alive "$server_pid"; then
      echo "$0: $server_name exited:" >&2
      cat "$tmp"/l7.log "$tmp"/nginx*/*.log "$tmp"/h2o/*.log 2>/dev/null | tail -20 >&2
      return 1
    fi
    curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$server_port/1k.bin" 2>/dev/null && break
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "$0: $server_name did not answer within $1 s" >&2
      return 1
    fi
    sleep 0.1
  done
  for f in 1k.bin 100k.bin; do
    if ! curl -fsS --max-time 5 "http://127.0.0.1:$server_port/$f" | cmp -s - "$site/$f"; then
      echo "$0: $server_name sent a wrong body for /$f" >&2
      return 1
    fi
  done
}

# measure_row PLACEMENT FILE MODE: warm-up and one measured wrk run against the running
# server, repeated when disturbed; appends the result to $results.
measure_row() {
  local placement=$1 file=$2 mode=$3 attempt line other
  local wrk=($(pin "$placement" 1) wrk -t "$(workers "$placement")" -c "$connections" --latency)
  [ "$mode" = close ] && wrk+=(-H 'Connection: close')
  local url="http://127.0.0.1:$server_port/$file"
  for attempt in 1 2 3; do
    "$python" "$here/../socket/benchlib.py" quiet --max-cores "${BENCH_QUIET_CORES:-0.1}" \
      --timeout "${BENCH_QUIET_TIMEOUT:-60}"
    "${wrk[@]}" -d 2s "$url" >/dev/null
    line=$("$python" "$bench" measure --server-pid "$server_pid" --label "$server_name" \
      --placement "$placement" --file "$file" --mode "$mode" -- "${wrk[@]}" -d "${seconds}s" \
      "$url") || {
      echo "$0: $server_name $file $mode: wrk failed" >&2
      return 1
    }
    other=$("$python" -c 'import json,sys; print(json.loads(sys.argv[1])["other_cores"])' "$line")
    if "$python" -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' \
      "$other" "$max_other" || [ "$attempt" -eq 3 ]; then
      echo "$line" >>"$results"
      echo "  $placement $server_name $file $mode: $("$python" "$bench" show "$line")" >&2
      return 0
    fi
    echo "  $placement $server_name $file $mode: disturbed ($other cores used elsewhere)," \
      "repeating" >&2
  done
}

# rotate N WORD...: the words, starting from the Nth (1-based, wrapping around).
rotate() {
  local n=$1
  shift
  local words=("$@") i
  for i in "${!words[@]}"; do
    echo "${words[$(((i + n - 1) % ${#words[@]}))]}"
  done
}

describe() {
  local cpu
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
  echo "machine: $(nproc) CPUs, $cpu, $(uname -sr)"
  echo "l7: $("$l7" --version 2>&1 | head -1); $(nginx -v 2>&1); $(h2o --version | head -1);" \
    "$(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
}

status=0
if [[ " $parts " == *" throughput "* ]]; then
  echo "== HTTP/1.1 static files: l7 vs nginx vs h2o, wrk -c $connections --latency," \
    "${seconds}s per row after a 2s warm-up"
  describe
  for placement in $placements; do
    for rep in $(seq "$reps"); do
      # Every server is up at once (an idle one uses no CPU) and each row measures them one
      # right after another, first server rotating with the repetition: a slow minute of a
      # shared machine then falls on all of them alike, not on one server's four rows.
      declare -A pid_of=() port_of=()
      ready=()
      for server in $(rotate "$rep" $servers); do
        "start_${server//-/_}" "$placement"
        if wait_ready 20; then
          pid_of[$server]=$server_pid
          port_of[$server]=$server_port
          ready+=("$server")
        else
          status=1
          stop_server
        fi
      done
      for file in $files; do
        for mode in keep-alive close; do
          for server in "${ready[@]}"; do
            server_name=$server server_pid=${pid_of[$server]} server_port=${port_of[$server]}
            measure_row "$placement" "$file" "$mode" || status=1
          done
        done
      done
      for server in "${ready[@]}"; do
        server_pid=${pid_of[$server]}
        stop_server
      done
    done
  done
  [ -s "$results" ] && "$python" "$bench" summarize "$results"
fi

if [[ " $parts " == *" memory "* ]]; then
  echo
  echo "== Memory per idle keep-alive connection: $idle_count connections, each server" \
    "pinned to CPU 0 with one worker"
  for server in $servers; do
    "start_${server//-/_}" pinned
    if wait_ready 20; then
      line=$($(pin pinned 1) "$python" "$bench" idle --server-pid "$server_pid" \
        --port "$server_port" --label "$server_name" --count "$idle_count") || status=1
      [ -n "${line:-}" ] && echo "$line" >>"$idle_results"
    else
      status=1
    fi
    stop_server
  done
  [ -s "$idle_results" ] && "$python" "$bench" idle-table "$idle_results"
fi
if [ -n "${BENCH_KEEP_RESULTS:-}" ]; then
  cp "$results" "$BENCH_KEEP_RESULTS" 2>/dev/null || true
  cp "$idle_results" "$BENCH_KEEP_RESULTS.idle" 2>/dev/null || true
fi
exit $status
