# Sourced by smtp.sh and imap_fetch.sh: the l7 binary from the command line, `l7 mail serve`
# on ephemeral ports, and what ../dns/common.sh gives (alive, descendants, stop_tree,
# stop_server, pin, the temporary directory $tmp and the trap that stops every server in
# $started and removes $tmp at exit).

source "$(dirname "${BASH_SOURCE[0]}")/../dns/common.sh"
mail_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mailbench=$mail_here/mailbench.py
# Postfix's and Dovecot's unprivileged processes must reach their files under $tmp.
chmod 755 "$tmp"

# use_l7 [BUILD_DIR | L7_BINARY]: sets l7 (build/release/l7 by default).
use_l7() {
  if [ $# -gt 1 ]; then
    echo "usage: $0 [RELEASE_BUILD_DIR | L7_BINARY]" >&2
    exit 2
  fi
  local arg=${1:-build/release}
  if [ -f "$arg" ]; then
    l7=$(cd "$(dirname "$arg")" && pwd)/$(basename "$arg")
  else
    l7=$(cd "$arg" && pwd)/l7
  fi
  if [ ! -x "$l7" ]; then
    echo "$0: no l7 binary at $l7 (build the Release tree first)" >&2
    exit 2
  fi
  if [ "$(nproc)" -lt 2 ]; then
    echo "$0: needs 2 CPUs (server on CPU 0, the client on CPU 1)" >&2
    exit 2
  fi
}

# need TOOL PACKAGE...: exit 2 unless TOOL is on PATH.
need() {
  local tool=$1
  shift
  if ! command -v "$tool" >/dev/null; then
    echo "$0: $tool is missing: apt-get install $*" >&2
    exit 2
  fi
}

# start_l7_mail PLACEMENT MAILDIR PROTOCOL: `l7 mail serve` for bob@bench.test (password pw)
# with every service on an ephemeral port, as root (the user running the script), pinned to
# CPU 0 with one thread when PLACEMENT is "pinned" (one thread per core otherwise); waits
# for its "listening on tcp 127.0.0.1:PORT (PROTOCOL)" line and sets server_pid,
# server_port and server_name. Not --quiet: that would hide the listening lines, and it
# logs one line per message delivered (Postfix logs too).
start_l7_mail() {
  local placement=$1 maildir=$2 protocol=$3 threads=() deadline line
  server_name=l7
  server_pid=""
  [ "$placement" = pinned ] && threads=(--threads 1)
  # Removed first: the loop below must not read the last server's port before the new
  # process has truncated the file.
  rm -f "$tmp/l7.log"
  $(pin "$placement" 0) "$l7" mail serve --domain bench.test --user bob:pw --maildir "$maildir" \
    --smtp 127.0.0.1:0 --submission 127.0.0.1:0 --pop3 127.0.0.1:0 --imap 127.0.0.1:0 \
    "${threads[@]}" >"$tmp/l7.log" 2>&1 &
  server_pid=$!
  started+=("$server_pid")
  deadline=$(($(date +%s) + 20))
  while :; do
    line=$(grep -m1 -E "listening on tcp 127\.0\.0\.1:[0-9]+ \($protocol\)" "$tmp/l7.log" \
      2>/dev/null || true)
    if [ -n "$line" ]; then
      server_port=$(sed -E 's/.*127\.0\.0\.1:([0-9]+) .*/\1/' <<<"$line")
      return 0
    fi
    if ! alive "$server_pid" || [ "$(date +%s)" -ge "$deadline" ]; then
      echo "$0: l7 mail serve did not start listening ($protocol):" >&2
      tail -20 "$tmp/l7.log" >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.05
  done
}

# stop_current: the server last started, if any (server_pid is empty before a start set it).
stop_current() {
  if [ -n "${server_pid:-}" ]; then
    stop_server
  fi
  server_pid=""
}

# run_helper OUT CMD...: CMD in the background, its output appended to OUT; waits for it and
# returns its status. In the background so that a TERM or INT to this script is handled at
# once, and CMD (with smtp-source under it) is in $started, which the cleanup stops.
run_helper() {
  local out=$1 pid rc=0 keep=() p
  shift
  "$@" >>"$out" &
  pid=$!
  started+=("$pid")
  wait "$pid" || rc=$?
  for p in "${started[@]}"; do
    [ "$p" != "$pid" ] && keep+=("$p")
  done
  started=("${keep[@]}")
  return $rc
}

quiet() {
  "$python" "$here/../socket/benchlib.py" quiet --max-cores "${BENCH_QUIET_CORES:-0.1}" \
    --timeout "${BENCH_QUIET_TIMEOUT:-60}"
}

describe_machine() {
  echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo |
    head -1), $(uname -sr); files under $tmp ($(df -T "$tmp" | awk 'NR==2 {print $2}'))"
}
