#!/usr/bin/env bash
# SMTP ingestion into a Maildir, side by side: `l7 mail serve` against a private Postfix 3.7
# instance (Debian postfix), loaded by Postfix's smtp-source.
#
#   bench/mail/smtp.sh build/release      # or the l7 binary itself
#   SMTP_MESSAGES=500 BENCH_REPS=1 BENCH_PLACEMENTS=pinned bench/mail/smtp.sh /tmp/l7
#
# Load: `smtp-source -s SMTP_SESSIONS -m SMTP_MESSAGES -l SMTP_SIZE -f a@x -t bob@bench.test
# 127.0.0.1:PORT` (defaults 20 sessions, 20,000 messages, 4096 bytes of payload; one TCP
# connection per message, as smtp-source does without -d; SMTP_SOURCE_FLAGS adds flags, e.g.
# -d to send every session's messages over one connection). Before it, SMTP_WARMUP (200)
# messages warm the server up.
#
# Servers, each freshly started with an empty Maildir for every run:
#   l7       `l7 mail serve --domain bench.test --user bob:pw --maildir DIR --smtp 127.0.0.1:0
#            --submission/--pop3/--imap 127.0.0.1:0 [--threads 1]`: each message is written
#            to DIR/bob/new/ and fsynced (file and directory) before the 250.
#   postfix  a complete Postfix instance in a private directory (`postfix -c DIR/conf start`,
#            stopped at the end): smtpd on 127.0.0.1:PORT in master.cf (no chroot),
#            inet_interfaces = 127.0.0.1, everything else Postfix's defaults, so smtpd and
#            cleanup fsync the queue file before the 250, then qmgr hands it to virtual(8),
#            which writes DIR/mail/bob/new/ (virtual_mailbox_maps: bob@bench.test -> bob/,
#            a Maildir, as uid nobody) and fsyncs it. Postfix logs to DIR/maillog through
#            postlogd (no syslog daemon here); l7 logs one line per message to its stderr.
# A run ends when the Maildir holds every message (count of files in new/ and cur/, polled
# every 20 ms, deadline SMTP_DELIVERY_TIMEOUT = 300 s after smtp-source ends): for l7 that is
# when smtp-source ends, for Postfix when its queue has drained into the Maildir. The run
# fails unless smtp-source succeeded, exactly warm-up + SMTP_MESSAGES files are there, and
# none is shorter than the payload.
#
# Method (../shared/docs/benchmarking.md): the servers alternate (l7 postfix, x BENCH_REPS,
# default 3), each run after the machine is quiet; a run during which other processes used
# more than BENCH_MAX_OTHER_CORES (0.25) is repeated (twice at most). Server CPU = utime +
# stime of the server's process tree from /proc (l7: its one process; Postfix: master and
# everything it started: smtpd, cleanup, trivial-rewrite, qmgr, virtual, postlogd, anvil;
# the children that exited during the run count through master's cutime) from just before
# smtp-source starts until the last message is in the Maildir, divided by SMTP_MESSAGES.
# Placements (BENCH_PLACEMENTS, default "pinned unpinned"): pinned = the server (all of
# Postfix's processes) on CPU 0, l7 with one thread, smtp-source on CPU 1; unpinned = no
# pinning, l7 with one thread per core, Postfix as always (a process per connection, up to
# its default_process_limit of 100).
# Printed: msg/s until the last delivery (and until smtp-source ends), server CPU ms per
# message, median and range, and the ratios l7 / Postfix. BENCH_KEEP_RESULTS=FILE keeps the
# JSON lines; SMTP_SERVERS (default "l7 postfix") picks the contenders. With the defaults a
# Postfix run takes ~40 s here (~500 msg/s), the whole script about 6-10 minutes.
set -euo pipefail
source "$(dirname "$0")/common.sh"
use_l7 "$@"
need smtp-source postfix
need postfix postfix
need taskset util-linux

reps=${BENCH_REPS:-3}
max_other=${BENCH_MAX_OTHER_CORES:-0.25}
placements=${BENCH_PLACEMENTS:-pinned unpinned}
servers=${SMTP_SERVERS:-l7 postfix}
messages=${SMTP_MESSAGES:-20000}
sessions=${SMTP_SESSIONS:-20}
size=${SMTP_SIZE:-4096}
warmup=${SMTP_WARMUP:-200}
delivery_timeout=${SMTP_DELIVERY_TIMEOUT:-300}
read -r -a source_flags <<<"${SMTP_SOURCE_FLAGS:-}"
results=$tmp/smtp.jsonl
postfix_daemons=$(postconf -dh daemon_directory)

tcp_port() {
  "$python" "$here/../socket/benchlib.py" free-port tcp
}

start_l7() {
  local placement=$1
  server_pid=""
  rm -rf "$tmp/l7mail"
  maildir=$tmp/l7mail/bob
  start_l7_mail "$placement" "$tmp/l7mail" smtp
}

# A private Postfix: configuration, queue, data, Maildir and log all under $tmp/postfix.
start_postfix() {
  local placement=$1 dir=$tmp/postfix
  server_name=postfix
  server_pid=""
  server_port=$(tcp_port)
  rm -rf "$dir"
  mkdir -p "$dir/conf" "$dir/spool" "$dir/data" "$dir/mail"
  chown postfix "$dir/data"
  chown 65534:65534 "$dir/mail"
  maildir=$dir/mail/bob
  cat >"$dir/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $dir/spool
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.postfix.bench
mydomain = postfix.bench
myorigin = \$myhostname
mydestination =
mynetworks = 127.0.0.0/8
relayhost =
alias_maps =
alias_database =
biff = no
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
virtual_mailbox_domains = bench.test
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = texthash:$dir/conf/vmailbox
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 1
EOF
  echo "bob@bench.test bob/" >"$dir/conf/vmailbox"
  # Debian's master.cf without the services a receiving-only MTA never starts (tlsmgr,
  # postscreen, submission, pipe transports), and without chroot.
  cat >"$dir/conf/master.cf" <<EOF
127.0.0.1:$server_port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
  # `postfix start` returns once master has initialized (master -w); master detaches, so
  # its pid comes from the pid file. Postfix prints its errors only to a terminal or syslog.
  if ! $(pin "$placement" 0) postfix -c "$dir/conf" start >"$dir/start.log" 2>&1; then
    echo "$0: postfix did not start:" >&2
    cat "$dir/start.log" "$dir/maillog" 2>/dev/null | tail -20 >&2 || true
    command -v script >/dev/null &&
      script -qc "postfix -c $dir/conf check" /dev/null | tail -5 >&2 || true
    return 1
  fi
  server_pid=$(tr -d ' \n' <"$dir/spool/pid/master.pid")
  started+=("$server_pid")
  if ! alive "$server_pid" ||
    [ "$(readlink "/proc/$server_pid/exe")" != "$postfix_daemons/master" ]; then
    echo "$0: no Postfix master at pid $server_pid" >&2
    return 1
  fi
}

server_log() {
  case $server_name in
    l7) tail -20 "$tmp/l7.log" 2>/dev/null || true ;;
    postfix) grep -E 'warning|error|fatal|panic|reject' "$tmp/postfix/maillog" | tail -20 || true ;;
  esac
}

# run_one PLACEMENT SERVER: a fresh server, the warm-up, one measured run; repeated when
# disturbed.
run_one() {
  local placement=$1 server=$2 attempt line other status
  # The helper (and so smtp-source, its child) on CPU 1 when pinned: it polls the Maildir.
  local src=(smtp-source -s "$sessions" -l "$size" -f a@x
    -t bob@bench.test "${source_flags[@]}")
  for attempt in 1 2 3; do
    quiet
    "start_$server" "$placement" || {
      stop_current
      return 1
    }
    status=0
    if [ "$warmup" -gt 0 ]; then
      run_helper /dev/stdout $(pin "$placement" 1) "$python" "$mailbench" smtp \
        --server-pid "$server_pid" --label "$server_name" --placement "$placement" \
        --maildir "$maildir" --expect "$warmup" --messages "$warmup" --min-size "$size" \
        --deadline "$delivery_timeout" --no-cpu -- \
        "${src[@]}" -m "$warmup" "127.0.0.1:$server_port" || status=1
    fi
    if [ $status = 0 ]; then
      : >"$tmp/line"
      run_helper "$tmp/line" $(pin "$placement" 1) "$python" "$mailbench" smtp \
        --server-pid "$server_pid" --label "$server_name" --placement "$placement" \
        --maildir "$maildir" --expect $((warmup + messages)) --messages "$messages" \
        --min-size "$size" --deadline "$delivery_timeout" -- \
        "${src[@]}" -m "$messages" "127.0.0.1:$server_port" || status=1
      line=$(cat "$tmp/line")
    fi
    if [ $status != 0 ]; then
      echo "$0: $placement $server_name: the run failed" >&2
      server_log >&2
      stop_current
      return 1
    fi
    stop_current
    other=$("$python" -c 'import json,sys; print(json.loads(sys.argv[1])["other_cores"])' "$line")
    if "$python" -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' \
      "$other" "$max_other" || [ "$attempt" -eq 3 ]; then
      echo "$line" >>"$results"
      echo "  $placement $server_name: $("$python" "$mailbench" smtp-show "$line")" >&2
      return 0
    fi
    echo "  $placement $server_name: disturbed ($other cores used elsewhere), repeating" >&2
  done
}

echo "== SMTP ingestion into a Maildir with fsync: l7 vs Postfix, smtp-source -s $sessions" \
  "-m $messages -l $size ${source_flags[*]:-}(after $warmup warm-up messages), $reps runs each"
describe_machine
echo "l7: $("$l7" --version 2>&1 | head -1); Postfix $(postconf -dh mail_version)"
status=0
for placement in $placements; do
  for rep in $(seq "$reps"); do
    for server in $servers; do
      run_one "$placement" "$server" || status=1
    done
  done
done
[ -s "$results" ] && "$python" "$mailbench" smtp-summary "$results"
if [ -n "${BENCH_KEEP_RESULTS:-}" ]; then
  cp "$results" "$BENCH_KEEP_RESULTS" 2>/dev/null || true
fi
exit $status
