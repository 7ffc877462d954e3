#!/usr/bin/env bash
# FTP downloads (and uploads) side by side: `l7 ftp serve` against vsftpd 3.0 (Debian
# vsftpd), read by a raw-socket Python client (ftpbench.py), with iperf3 on loopback as the
# ceiling for the large file (issue 7).
#
#   bench/ftp/transfer.sh build/release      # or the l7 binary itself
#   FTP_LARGE_MB=64 FTP_SMALL_FILES=100 BENCH_REPS=1 BENCH_PLACEMENTS=pinned \
#     bench/ftp/transfer.sh /tmp/l7
#
# Files, written once into one directory under /tmp (ext4 here) that both servers serve,
# and read once to have them in the page cache: big.bin, FTP_LARGE_MB (1024) MiB of
# pseudo-random bytes, and small/f00000... FTP_SMALL_FILES (1000) files of FTP_SMALL_SIZE
# (4096) bytes, each with its own content.
# Works, each on its own control connection (USER, PASS, TYPE I; EPSV before every data
# connection, as passive mode needs a new one per file):
#   large   one untimed download of big.bin, checked with CRC-32 (the warm-up), then
#           FTP_LARGE_RUNS (3) timed ones, each from RETR to the 226 reply, the data read
#           with recv_into() into one reused 1 MiB buffer and dropped. The time to the end of
#           the data connection is kept too ("data end"). Python rather than curl: both use
#           a whole core (the receiving copy is the limit on loopback), curl reached 3.2-4.2
#           GB/s where this client reached 4.4-5.4 GB/s (l7 pinned, 1 GiB, 2026-12-01).
#   small   20 untimed RETRs, then every small file RETRed one after another, each compared
#           with what was written.
#   upload  (placements in FTP_UPLOAD_PLACEMENTS, default "pinned") 20 untimed STORs, then
#           the same files STORed one after another into an empty up/ (l7: user bench:pw;
#           vsftpd: anonymous with anon_upload_enable), checked on disk afterwards. l7
#           fsyncs each upload before its 226 (and renames it into place); vsftpd does not.
#   iperf3  `iperf3 -c 127.0.0.1 -p PORT -R -t FTP_IPERF_SECONDS (5) -J` against
#           `iperf3 -s -p PORT`, single stream; -R so that the server sends, as in an FTP
#           download (and the sender is on CPU 0 when pinned). iperf3 writes from a user
#           buffer; both FTP servers use sendfile(2).
# Servers, freshly started for every session:
#   l7      `l7 ftp serve --root DIR --anonymous --user bench:pw --listen 127.0.0.1:0
#           [--threads 1]`, logging at its default level (one line per transfer; --quiet
#           would hide the "listening on" line this script reads the port from).
#   vsftpd  `vsftpd CONF`: listen=YES on 127.0.0.1, background=NO, anonymous only
#           (anon_root = DIR, no password), passive ports a random range of 1000 below the
#           ephemeral range, pasv_address=127.0.0.1, connect_from_port_20=NO,
#           seccomp_sandbox=NO, no TLS, no transfer log, secure_chroot_dir of its own; the
#           rest vsftpd's defaults (sendfile, a process pair per session, isolate_network).
#
# Method (../shared/docs/benchmarking.md): the contenders alternate (l7 vsftpd iperf3, x
# BENCH_REPS, default 3), each session after the machine is quiet; a timed run during which
# other processes used more than BENCH_MAX_OTHER_CORES (0.25) is repeated (twice at most).
# Server CPU = utime + stime of the server's process tree from /proc (vsftpd: the listener
# and the session processes it forked) over the timed run, in 10 ms ticks: per GiB for the
# large file (with sendfile on loopback the sender does little: 8-16 ticks per GiB), per file
# for the small ones. The large runs keep the client at one core: there MB/s measures the
# client about as much as the server, and server CPU per GiB is what tells them apart.
# Placements (BENCH_PLACEMENTS, default "pinned unpinned"): pinned = the
# server (and iperf3 -s) on CPU 0, l7 with one thread, the client on CPU 1; unpinned = no
# pinning, l7 with one thread per core.
# Printed: median and range of MB/s (large, iperf3) or files/s, server CPU per GiB or per
# file, the ratios l7 / vsftpd and both servers' large-file throughput as a % of iperf3's
# (target for l7: >= 90%). BENCH_KEEP_RESULTS=FILE keeps the JSON lines; FTP_SERVERS
# (default "l7 vsftpd iperf3") picks the contenders; FTP_QUICKACK=1 makes the client set
# TCP_QUICKACK after each control reply (a diagnostic: a server whose next reply waits for
# the client's delayed ACK, because of Nagle's algorithm, loses 40 ms per transfer).
# With the defaults the whole script takes a few minutes here (8.5 before l7 set TCP_NODELAY
# on its control connections, when each of its small-file runs took 44 s).
set -euo pipefail
PYTHON=${PYTHON:-/usr/bin/python3}
source "$(dirname "$0")/../mail/common.sh"
use_l7 "$@"
vsftpd=${VSFTPD:-/usr/sbin/vsftpd}
if [ ! -x "$vsftpd" ]; then
  echo "$0: no vsftpd at $vsftpd: apt-get install vsftpd" >&2
  exit 2
fi
need iperf3 iperf3
need taskset util-linux
if ! id ftp >/dev/null 2>&1; then
  echo "$0: vsftpd's anonymous user ftp does not exist (apt-get install vsftpd creates it)" >&2
  exit 2
fi

ftpbench=$(cd "$(dirname "$0")" && pwd)/ftpbench.py
reps=${BENCH_REPS:-3}
max_other=${BENCH_MAX_OTHER_CORES:-0.25}
placements=${BENCH_PLACEMENTS:-pinned unpinned}
servers=${FTP_SERVERS:-l7 vsftpd iperf3}
large_mb=${FTP_LARGE_MB:-1024}
small_files=${FTP_SMALL_FILES:-1000}
small_size=${FTP_SMALL_SIZE:-4096}
large_runs=${FTP_LARGE_RUNS:-3}
upload_placements=${FTP_UPLOAD_PLACEMENTS:-pinned}
iperf_seconds=${FTP_IPERF_SECONDS:-5}
quickack=()
[ "${FTP_QUICKACK:-0}" = 1 ] && quickack=(--quickack)
data=$tmp/data
results=$tmp/ftp.jsonl

tcp_port() {
  "$python" "$here/../socket/benchlib.py" free-port tcp
}

# wait_greeting PORT WHAT: until PORT answers with "220" (20 s at most).
wait_greeting() {
  local port=$1 what=$2 deadline
  deadline=$(($(date +%s) + 20))
  while :; do
    if "$python" - "$port" <<'EOF' 2>/dev/null; then
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2) as s:
    sys.exit(0 if s.recv(100).startswith(b"220") else 1)
EOF
      return 0
    fi
    if ! alive "$server_pid" || [ "$(date +%s)" -ge "$deadline" ]; then
      echo "$0: $what did not greet on 127.0.0.1:$port:" >&2
      server_log >&2
      return 1
    fi
    sleep 0.1
  done
}

start_l7() {
  local placement=$1 threads=() deadline line
  server_name=l7
  server_pid=""
  [ "$placement" = pinned ] && threads=(--threads 1)
  rm -f "$tmp/l7.log"
  $(pin "$placement" 0) "$l7" ftp serve --root "$data" --anonymous --user bench:pw \
    --listen 127.0.0.1:0 "${threads[@]}" >"$tmp/l7.log" 2>&1 &
  server_pid=$!
  started+=("$server_pid")
  deadline=$(($(date +%s) + 20))
  while :; do
    line=$(grep -m1 -E "listening on tcp 127\.0\.0\.1:[0-9]+ \(ftp\)" "$tmp/l7.log" \
      2>/dev/null || true)
    if [ -n "$line" ]; then
      server_port=$(sed -E 's/.*127\.0\.0\.1:([0-9]+) .*/\1/' <<<"$line")
      return 0
    fi
    if ! alive "$server_pid" || [ "$(date +%s)" -ge "$deadline" ]; then
      echo "$0: l7 ftp serve did not start listening:" >&2
      server_log >&2
      return 1
    fi
    sleep 0.05
  done
}

start_vsftpd() {
  local placement=$1 dir=$tmp/vsftpd low
  server_name=vsftpd
  server_pid=""
  server_port=$(tcp_port)
  low=$((20000 + RANDOM % 10000))
  mkdir -p "$dir/empty"
  cat >"$dir/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$server_port
background=NO
anonymous_enable=YES
local_enable=NO
no_anon_password=YES
anon_root=$data
secure_chroot_dir=$dir/empty
write_enable=YES
anon_upload_enable=YES
anon_mkdir_write_enable=NO
anon_other_write_enable=NO
anon_umask=022
pasv_enable=YES
pasv_min_port=$low
pasv_max_port=$((low + 999))
pasv_address=127.0.0.1
connect_from_port_20=NO
seccomp_sandbox=NO
ssl_enable=NO
xferlog_enable=NO
vsftpd_log_file=$dir/vsftpd.log
dirmessage_enable=NO
EOF
  $(pin "$placement" 0) "$vsftpd" "$dir/vsftpd.conf" >"$dir/out.log" 2>&1 &
  server_pid=$!
  started+=("$server_pid")
  wait_greeting "$server_port" vsftpd
}

start_iperf3() {
  local placement=$1 deadline
  server_name=iperf3
  server_pid=""
  server_port=$(tcp_port)
  rm -f "$tmp/iperf3.log"
  # Not -1: the server must still be there when its CPU time is read after the test.
  $(pin "$placement" 0) iperf3 -s -p "$server_port" --forceflush >"$tmp/iperf3.log" 2>&1 &
  server_pid=$!
  started+=("$server_pid")
  deadline=$(($(date +%s) + 20))
  until grep -q "Server listening" "$tmp/iperf3.log" 2>/dev/null; do
    if ! alive "$server_pid" || [ "$(date +%s)" -ge "$deadline" ]; then
      echo "$0: iperf3 -s did not start:" >&2
      server_log >&2
      return 1
    fi
    sleep 0.05
  done
}

server_log() {
  case $server_name in
    l7) grep -v ': sent/received ' "$tmp/l7.log" 2>/dev/null | tail -20 || true ;;
    vsftpd) cat "$tmp/vsftpd/out.log" "$tmp/vsftpd/vsftpd.log" 2>/dev/null | tail -20 || true ;;
    iperf3) tail -20 "$tmp/iperf3.log" 2>/dev/null || true ;;
  esac
}

# fresh_upload_dir SERVER: an empty $data/up that SERVER's uploading user may write.
fresh_upload_dir() {
  rm -rf "$data/up"
  mkdir "$data/up"
  [ "$1" = vsftpd ] && chown ftp "$data/up"
  return 0
}

# run_session PLACEMENT SERVER: a fresh server and one client session (or iperf3 run).
run_session() {
  local placement=$1 server=$2 works=large,small user=anonymous password=bench@ rc=0
  quiet
  "start_$server" "$placement" || {
    stop_current
    return 1
  }
  if [ "$server" = iperf3 ]; then
    run_helper "$results" $(pin "$placement" 1) "$python" "$ftpbench" iperf3 \
      --port "$server_port" --server-pid "$server_pid" --placement "$placement" \
      --seconds "$iperf_seconds" --max-other "$max_other" || rc=1
  else
    if [[ " $upload_placements " == *" $placement "* ]]; then
      works=$works,upload
      fresh_upload_dir "$server"
      [ "$server" = l7 ] && user=bench password=pw
    fi
    run_helper "$results" $(pin "$placement" 1) "$python" "$ftpbench" session \
      --port "$server_port" --server-pid "$server_pid" --label "$server_name" \
      --placement "$placement" --manifest "$data.json" --works "$works" \
      --large-runs "$large_runs" --upload-user "$user" --upload-password "$password" \
      --upload-dir /up --upload-local "$data/up" --max-other "$max_other" \
      "${quickack[@]}" || rc=1
  fi
  if [ $rc != 0 ]; then
    echo "$0: $placement $server_name: a run failed or a check did not pass" >&2
    server_log >&2
  fi
  stop_current
  rm -rf "$data/up"
  return $rc
}

echo "== FTP downloads: l7 vs vsftpd (and iperf3 on loopback): a $large_mb MiB file" \
  "($large_runs timed downloads per session) and $small_files files of $small_size bytes" \
  "over one control connection, uploads too when $upload_placements; $reps sessions each"
describe_machine
echo "l7: $("$l7" --version 2>&1 | head -1); vsftpd $(dpkg-query -W -f '${Version}' vsftpd \
  2>/dev/null || echo '?'); $(iperf3 --version | head -1); client: $("$python" --version \
  2>&1) raw socket${quickack:+ with TCP_QUICKACK}"
mkdir -p "$data"
"$python" "$ftpbench" files "$data" $((large_mb << 20)) "$small_files" "$small_size" |
  sed 's/^/files: /'
cat "$data/big.bin" >/dev/null

status=0
for placement in $placements; do
  for rep in $(seq "$reps"); do
    for server in $servers; do
      run_session "$placement" "$server" || status=1
    done
  done
done
[ -s "$results" ] && "$python" "$ftpbench" summary "$results"
if [ -n "${BENCH_KEEP_RESULTS:-}" ]; then
  cp "$results" "$BENCH_KEEP_RESULTS" 2>/dev/null || true
fi
exit $status
