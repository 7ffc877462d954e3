#!/usr/bin/env bash
# IMAP FETCH of a whole large mailbox, side by side: `l7 mail serve --imap` against Dovecot
# 2.3 (Debian dovecot-imapd), read by a raw-socket Python client (mailbench.py imap).
#
#   bench/mail/imap_fetch.sh build/release    # or the l7 binary itself
#   IMAP_MESSAGES=1000 BENCH_REPS=1 BENCH_PLACEMENTS=pinned bench/mail/imap_fetch.sh /tmp/l7
#
# Mailbox: IMAP_MESSAGES (10,000) messages of 2-4 KB (CRLF line ends, plain-text headers and
# body, 3 KB on average), written once into a Maildir's cur/ with Dovecot-style names
# (",S=size,W=size:2,flags"; two thirds \Seen, a tenth \Flagged) and copied with cp -a for
# each server: l7 reads MAILDIR/bob/ (as root, the user running this), Dovecot its own copy
# owned by nobody (Dovecot refuses root for mail).
# Queries (IMAP_QUERIES, default "body envelope flags"), each a row:
#   body      FETCH 1:* (FLAGS RFC822.SIZE BODY.PEEK[])
#   envelope  FETCH 1:* (ENVELOPE)
#   flags     UID FETCH 1:* (FLAGS)
# Each session: LOGIN, SELECT INBOX (must say IMAP_MESSAGES EXISTS), one untimed warm-up
# FETCH of each query (l7 builds its SQLite index at the first SELECT of the copy, Dovecot
# its index and cache files; both persist for the later sessions), then IMAP_RUNS (3) timed
# runs of each query. The first session on each copy also prints how long that first SELECT
# and the first FETCHes took. Every FETCH is checked: one FETCH response per message, with
# the items asked for; for body the literals and the RFC822.SIZEs must add up to the bytes
# of the files, and the flags must still show exactly the \Seen of the files (BODY.PEEK).
# A run that fails a check is kept but marked "!" and the exit status is 1.
#
# The client: Python's socket module, one 1 MiB recv buffer, the literals skipped by their
# announced length (not scanned), stopping at the tagged OK; its CPU per run is printed next
# to the time (when it nears the time, the client is the limit). Measured against Dovecot
# (pinned, 10,000 messages, body query): this client 115 ms, of which 55 ms of its own CPU;
# Python's imaplib 190-300 ms with 170-200 ms of CPU, so imaplib would be the limit.
#
# Method (../shared/docs/benchmarking.md): the servers alternate (l7 dovecot, x BENCH_REPS,
# default 3), each session on a freshly started server after the machine is quiet. A timed
# run during which other processes used more than BENCH_MAX_OTHER_CORES (0.25) is repeated
# (twice at most). Time = from sending the command to reading the tagged OK. Server CPU =
# utime + stime of the server's process tree from /proc (Dovecot: master, imap-login, auth,
# the imap process and the rest) over the run, in 10 ms ticks per process (so +-10-20 ms).
# Placements (BENCH_PLACEMENTS, default "pinned unpinned"): pinned = the server on CPU 0
# (l7 with one thread, Dovecot as always: one imap process for the session), the client on
# CPU 1; unpinned = no pinning, l7 with one thread per core.
# Printed: median time and range, messages/s, server CPU ms per run (the mean: ticks), the
# client's CPU, and the ratios l7 / Dovecot. BENCH_KEEP_RESULTS=FILE keeps the JSON lines;
# IMAP_SERVERS (default "l7 dovecot") picks the contenders.
set -euo pipefail
source "$(dirname "$0")/common.sh"
use_l7 "$@"
need dovecot dovecot-imapd
need taskset util-linux

reps=${BENCH_REPS:-3}
max_other=${BENCH_MAX_OTHER_CORES:-0.25}
placements=${BENCH_PLACEMENTS:-pinned unpinned}
servers=${IMAP_SERVERS:-l7 dovecot}
count=${IMAP_MESSAGES:-10000}
runs=${IMAP_RUNS:-3}
queries=${IMAP_QUERIES:-body envelope flags}
results=$tmp/imap.jsonl
manifest=$tmp/src/bob.json

tcp_port() {
  "$python" "$here/../socket/benchlib.py" free-port tcp
}

start_l7() {
  local placement=$1
  start_l7_mail "$placement" "$tmp/l7mail" imap
}

# A private Dovecot (IMAP only, plaintext LOGIN, no TLS) as in tests/interop/mail_peers.py:
# its own services run as dovecot/dovenull, the mail process as nobody.
start_dovecot() {
  local placement=$1 dir=$tmp/dovecot deadline
  server_name=dovecot
  server_pid=""
  server_port=$(tcp_port)
  mkdir -p "$dir/home"
  chown 65534:65534 "$dir/home"
  cat >"$dir/dovecot.conf" <<EOF
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:$tmp/dovecotmail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/passwd
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=$dir/home/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $server_port
  }
}
service anvil {
  chroot =
}
EOF
  echo "bob:{PLAIN}pw" >"$dir/passwd"
  chmod 644 "$dir/passwd"
  $(pin "$placement" 0) dovecot -F -c "$dir/dovecot.conf" >"$dir/out.log" 2>&1 &
  server_pid=$!
  started+=("$server_pid")
  deadline=$(($(date +%s) + 20))
  while :; do
    if "$python" - "$server_port" <<'EOF' 2>/dev/null; then
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2) as s:
    sys.exit(0 if s.recv(100).startswith(b"* OK") else 1)
EOF
      return 0
    fi
    if ! alive "$server_pid" || [ "$(date +%s)" -ge "$deadline" ]; then
      echo "$0: dovecot did not greet on 127.0.0.1:$server_port:" >&2
      cat "$dir/out.log" "$dir/dovecot.log" 2>/dev/null | tail -20 >&2 || true
      return 1
    fi
    sleep 0.1
  done
}

server_log() {
  case $server_name in
    l7) tail -20 "$tmp/l7.log" 2>/dev/null || true ;;
    dovecot)
      grep -E 'Error|Fatal|Panic|Warning' "$tmp/dovecot/dovecot.log" 2>/dev/null | tail -20 ||
        true
      ;;
  esac
}

echo "== IMAP FETCH of a $count-message mailbox: l7 vs Dovecot, $runs timed runs of each query" \
  "per session after a warm-up, $reps sessions each"
describe_machine
echo "l7: $("$l7" --version 2>&1 | head -1); Dovecot $(dovecot --version | head -1);" \
  "client: $("$python" --version 2>&1) raw socket"
"$python" "$mailbench" maildir "$tmp/src/bob" "$count" | sed 's/^/mailbox: /'
mkdir -p "$tmp/l7mail" "$tmp/dovecotmail"
cp -a "$tmp/src/bob" "$tmp/l7mail/bob"
cp -a "$tmp/src/bob" "$tmp/dovecotmail/bob"
chown -R 65534:65534 "$tmp/dovecotmail"

status=0
declare -A cold=()
for placement in $placements; do
  for rep in $(seq "$reps"); do
    for server in $servers; do
      quiet
      if ! "start_$server" "$placement"; then
        stop_current
        status=1
        continue
      fi
      flags=()
      if [ -z "${cold[$server]:-}" ]; then
        flags=(--cold)
        cold[$server]=1
      fi
      # --timeout: the first SELECT of a copy builds the index (10,000 files).
      if ! run_helper "$results" $(pin "$placement" 1) "$python" "$mailbench" imap \
        --port "$server_port" --user bob --password pw --server-pid "$server_pid" \
        --label "$server_name" --placement "$placement" --manifest "$manifest" \
        --runs "$runs" --queries "$(tr ' ' ',' <<<"$queries")" --max-other "$max_other" \
        --timeout 600 "${flags[@]}"; then
        echo "$0: $placement $server_name: a session failed or a check did not pass" >&2
        server_log >&2
        status=1
      fi
      stop_current
    done
  done
done
[ -s "$results" ] && "$python" "$mailbench" imap-summary "$results"
if [ -n "${BENCH_KEEP_RESULTS:-}" ]; then
  cp "$results" "$BENCH_KEEP_RESULTS" 2>/dev/null || true
fi
exit $status
