"""Helpers for bench/mail/smtp.sh and imap_fetch.sh (method: ../shared/docs/benchmarking.md).

CPU accounting comes from ../socket/benchlib.py: utime+stime (and the children reaped) of the
server's process tree from /proc, in clock ticks (10 ms; this kernel has no schedstat).
As a command:
    mailbench.py maildir DIR COUNT        COUNT messages of 2-4 KB with CRLF line ends in the
                                          Maildir DIR (cur/, a third unseen, a tenth flagged),
                                          and DIR.json (count, bytes, seen); prints the summary
    mailbench.py count DIR                messages in the Maildir DIR (new/ and cur/)
    mailbench.py smtp --server-pid PID --label L --placement P --maildir DIR --expect N
                 --min-size BYTES [--deadline S] -- SMTP-SOURCE ARGS...
                                          one measured smtp-source run: the time until the
                                          Maildir holds N messages; prints a JSON line
    mailbench.py imap --port P --user U --password W --server-pid PID --label L
                 --placement P --manifest DIR.json --runs R [--cold] [--max-other C]
                                          LOGIN, SELECT INBOX, one warm-up FETCH of each
                                          query, then R timed runs of each; JSON lines
    mailbench.py smtp-summary RESULTS.jsonl | imap-summary RESULTS.jsonl
                                          median and range per server, and the ratios
"""

import argparse
import json
import os
import random
import re
import resource
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "socket"))
import benchlib  # noqa: E402

DOMAIN = "bench.test"
WORDS = ("mail benchmark server fetch maildir index message header body line text the of "
         "and to in is for that with on as by at from this it be are or was an").split()

# --- the IMAP mailbox -------------------------------------------------------------------


def make_message(rnd, i):
    subject = " ".join(rnd.choice(WORDS) for _ in range(rnd.randrange(3, 8)))
    sender = f"user{rnd.randrange(500)}@sender{rnd.randrange(20)}.example"
    stamp = 1764547200 + i * 37
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(stamp))
    head = [
        f"Return-Path: <{sender}>",
        f"Received: from client{i % 50}.example ([192.0.2.{i % 250 + 1}])",
        f"\tby mx.{DOMAIN} with ESMTP id B{i:07d}; {date}",
        f"From: Sender {i % 500} <{sender}>",
        f"To: Bob <bob@{DOMAIN}>",
        f"Subject: {subject} {i}",
        f"Date: {date}",
        f"Message-ID: <{i}.{stamp}@sender.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "",
    ]
    target = rnd.randrange(2048, 4096)
    text = "\r\n".join(head) + "\r\n"
    lines = []
    size = len(text)
    while size < target - 2:
        line = " ".join(rnd.choice(WORDS) for _ in range(rnd.randrange(6, 14)))
        lines.append(line)
        size += len(line) + 2
    return (text + "\r\n".join(lines) + "\r\n").encode("ascii"), stamp


def write_maildir(directory, count):
    rnd = random.Random(25)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(directory, sub), exist_ok=True)
    total = seen = 0
    for i in range(count):
        data, stamp = make_message(rnd, i)
        flags = "" if i % 3 == 0 else "S"
        if i % 10 == 0:
            flags = "F" + flags
        seen += "S" in flags
        # Dovecot's name fields: S= the file's size, W= the RFC822.SIZE (equal: CRLF files).
        name = f"{stamp}.M{i:06d}P4242Q1.bench,S={len(data)},W={len(data)}:2,{flags}"
        path = os.path.join(directory, "cur", name)
        with open(path, "wb") as f:
            f.write(data)
        os.utime(path, (stamp, stamp))
        total += len(data)
    manifest = {"count": count, "bytes": total, "seen": seen}
    with open(directory.rstrip("/") + ".json", "w") as f:
        json.dump(manifest, f)
    print(f"{count} messages, {total} bytes ({total / count:.0f} on average), {seen} seen")


def count_maildir(directory):
    n = 0
    for sub in ("new", "cur"):
        try:
            n += sum(1 for e in os.scandir(os.path.join(directory, sub)) if e.name[0] != ".")
        except FileNotFoundError:
            pass
    return n


# --- SMTP ------------------------------------------------------------------------------


def smtp(argv):
    ap = argparse.ArgumentParser(prog="mailbench.py smtp")
    ap.add_argument("--server-pid", type=int, required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--placement", required=True)
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--expect", type=int, required=True, help="messages there at the end")
    ap.add_argument("--messages", type=int, required=True, help="messages sent in this run")
    ap.add_argument("--min-size", type=int, default=0)
    ap.add_argument("--deadline", type=float, default=120.0,
                    help="seconds to wait for delivery after smtp-source ends")
    ap.add_argument("--poll", type=float, default=0.02)
    ap.add_argument("--no-cpu", action="store_true", help="a warm-up: no JSON line")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args(argv)
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd

    window = benchlib.Window(a.server_pid)
    busy0 = benchlib.busy_cpu_seconds()
    c0 = os.times()
    t0 = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=a.deadline + 600)
    except subprocess.TimeoutExpired:
        print(f"{a.label}: smtp-source did not finish", file=sys.stderr)
        return 1
    t_sent = time.monotonic() - t0
    c1 = os.times()
    if proc.returncode != 0:
        sys.stderr.write(f"{a.label}: smtp-source exited with {proc.returncode}:\n"
                         f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        return 1
    # The server has accepted every message; wait until all of them are in the Maildir
    # (l7 delivers before its 250; Postfix's queue manager and virtual(8) after).
    limit = time.monotonic() + a.deadline
    n = count_maildir(a.maildir)
    while n < a.expect and time.monotonic() < limit:
        time.sleep(a.poll)
        n = count_maildir(a.maildir)
    t_done = time.monotonic() - t0
    w = window.close()
    busy = benchlib.busy_cpu_seconds() - busy0
    client = (c1.children_user + c1.children_system) - (c0.children_user + c0.children_system)
    if n != a.expect:
        print(f"{a.label}: {n} messages in {a.maildir} after {t_done:.1f} s, expected "
              f"{a.expect}", file=sys.stderr)
        return 1
    short = []
    for sub in ("new", "cur"):
        for e in os.scandir(os.path.join(a.maildir, sub)):
            if e.stat().st_size < a.min_size:
                short.append(e.name)
    if short:
        print(f"{a.label}: {len(short)} messages shorter than {a.min_size} bytes, e.g. "
              f"{short[0]}", file=sys.stderr)
        return 1
    if a.no_cpu:
        print(f"  warm-up: {a.messages} messages in {t_done:.2f} s", file=sys.stderr)
        return 0
    r = {
        "server": a.label, "placement": a.placement, "unit": "msg", "ops": a.messages,
        "seconds": t_done, "sent_seconds": t_sent, "server_cpu": w["server_cpu"],
        "client_cpu": client, "window_seconds": w["seconds"],
        "other_cores": w["other_cores"],
    }
    # Other processes' CPU: per process from /proc (those that ended during the run are
    # missed) or machine-wide less ours (which also holds kernel threads: jbd2 committing
    # the fsyncs, for instance); the larger.
    residual = busy - w["server_cpu"] - client - w["client_cpu"]
    r["other_processes_cores"] = r["other_cores"]
    r["other_cores"] = max(r["other_cores"], residual / w["seconds"])
    print(json.dumps(r))
    return 0


def smtp_show(r):
    return (f"{r['ops'] / r['seconds']:,.0f} msg/s delivered ({r['ops'] / r['sent_seconds']:,.0f}"
            f" msg/s accepted), server {r['server_cpu']:.2f} s CPU = "
            f"{1e3 * r['server_cpu'] / r['ops']:.3f} ms/msg, smtp-source "
            f"{r['client_cpu'] / r['seconds']:.2f} core, {r['other_cores']:.2f} cores elsewhere")


def _fmt(values, scale, digits):
    med = statistics.median(values) * scale
    return (f"{med:,.{digits}f} [{min(values) * scale:,.{digits}f}-"
            f"{max(values) * scale:,.{digits}f}]")


def smtp_summary(path):
    runs = [json.loads(line) for line in open(path) if line.strip()]
    if not runs:
        print("smtp-summary: no runs", file=sys.stderr)
        return 1
    groups = {}
    for r in runs:
        groups.setdefault((r["placement"], r["server"]), []).append(r)
    header = (f"{'placement':<9} {'server':<8} {'n':>2} {'msg/s delivered [range]':>24} "
              f"{'msg/s accepted':>14} {'CPU ms/msg median [range]':>26} {'busy':>5} "
              f"{'client':>6} {'other':>5}")
    print(header)
    print("-" * len(header))
    med = {}
    for (placement, server), rs in groups.items():
        rate = [r["ops"] / r["seconds"] for r in rs]
        cpu = [r["server_cpu"] / r["ops"] for r in rs]
        med[(placement, server)] = (statistics.median(rate), statistics.median(cpu))
        print(f"{placement:<9} {server:<8} {len(rs):>2} {_fmt(rate, 1, 0):>24} "
              f"{statistics.median(r['ops'] / r['sent_seconds'] for r in rs):>14,.0f} "
              f"{_fmt(cpu, 1e3, 3):>26} "
              f"{statistics.median(r['server_cpu'] / r['seconds'] for r in rs):>5.2f} "
              f"{statistics.median(r['client_cpu'] / r['seconds'] for r in rs):>6.2f} "
              f"{max(r['other_cores'] for r in rs):>5.2f}")
    print("(delivered: until the last message is in the Maildir; accepted: until smtp-source "
          "ends; busy = server cores, client = smtp-source cores, other = cores used by other "
          "processes, the largest of the runs)")
    for placement in dict.fromkeys(p for p, _ in groups):
        if (placement, "l7") not in med:
            continue
        for peer in (s for p, s in groups if p == placement and s != "l7"):
            a, b = med[(placement, "l7")], med[(placement, peer)]
            print(f"{placement}: l7 / {peer}: msg/s x{a[0] / b[0]:.2f}, server CPU per message "
                  f"x{a[1] / b[1]:.2f} (lower is better)")
    return 0


# --- IMAP ------------------------------------------------------------------------------

QUERIES = {
    "body": b"FETCH 1:* (FLAGS RFC822.SIZE BODY.PEEK[])",
    "envelope": b"FETCH 1:* (ENVELOPE)",
    "flags": b"UID FETCH 1:* (FLAGS)",
}
FETCH_RE = re.compile(rb"^\* (\d+) FETCH ")
SIZE_RE = re.compile(rb"RFC822\.SIZE (\d+)")
LITERAL_RE = re.compile(rb"\{(\d+)\+?\}\r\n$")


class Conn:
    """A raw IMAP client: one buffer, responses read up to the tagged line with the
    literals skipped by their announced length (never scanned), so it costs little CPU."""

    def __init__(self, port, timeout):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pos = 0
        self.tag = 0

    def _fill(self):
        if self.pos > (1 << 22):
            del self.buf[:self.pos]
            self.pos = 0
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buf += chunk

    def line(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                out = bytes(self.buf[self.pos:i + 2])
                self.pos = i + 2
                return out
            self._fill()

    def skip(self, n):
        while len(self.buf) - self.pos < n:
            self._fill()
        self.pos += n

    def command(self, text, on_response=None):
        """Sends TAG TEXT; returns (status line, untagged responses counted). Each untagged
        response is passed to on_response(first segment, other segments, literal lengths)
        when given."""
        self.tag += 1
        tag = b"b%d" % self.tag
        self.sock.sendall(tag + b" " + text + b"\r\n")
        count = 0
        while True:
            first = self.line()
            segs, lits = [], []
            seg = first
            m = LITERAL_RE.search(seg)
            while m:
                n = int(m.group(1))
                lits.append(n)
                self.skip(n)
                seg = self.line()
                segs.append(seg)
                m = LITERAL_RE.search(seg)
            if first.startswith(tag + b" "):
                return first, count
            if first.startswith(b"* "):
                count += 1
                if on_response:
                    on_response(first, segs, lits)

    def close(self):
        try:
            self.sock.sendall(b"z LOGOUT\r\n")
        except OSError:
            pass
        self.sock.close()


class FetchCheck:
    """What a FETCH 1:* returned: the FETCH responses, their sequence numbers, the bytes of
    the literals, the RFC822.SIZE total, \\Seen flags, and the items asked for."""

    def __init__(self, query):
        self.query = query
        self.fetches = 0
        self.max_seq = 0
        self.literal_bytes = 0
        self.sizes = 0
        self.seen = 0
        self.items_missing = 0

    def __call__(self, first, segs, lits):
        m = FETCH_RE.match(first)
        if not m:
            return
        self.fetches += 1
        self.max_seq = max(self.max_seq, int(m.group(1)))
        text = first + b"".join(segs) if segs else first
        if self.query == "body":
            self.literal_bytes += sum(lits)
            s = SIZE_RE.search(text)
            self.sizes += int(s.group(1)) if s else 0
            if not s or b"BODY[]" not in text:
                self.items_missing += 1
        elif self.query == "envelope":
            if b"ENVELOPE (" not in text:
                self.items_missing += 1
        else:
            if b"UID " not in text or b"FLAGS (" not in text:
                self.items_missing += 1
        if b"\\Seen" in text:
            self.seen += 1

    def problems(self, manifest):
        n = manifest["count"]
        out = []
        if self.fetches != n or self.max_seq != n:
            out.append(f"{self.fetches} FETCH responses (highest number {self.max_seq}), "
                       f"expected {n}")
        if self.items_missing:
            out.append(f"{self.items_missing} responses without the items asked for")
        if self.query == "body":
            if self.literal_bytes != manifest["bytes"]:
                out.append(f"BODY[] literals of {self.literal_bytes} bytes, the files hold "
                           f"{manifest['bytes']}")
            if self.sizes != manifest["bytes"]:
                out.append(f"RFC822.SIZE adds up to {self.sizes}, the files hold "
                           f"{manifest['bytes']}")
        if self.query != "envelope" and self.seen != manifest["seen"]:
            out.append(f"{self.seen} messages \\Seen, expected {manifest['seen']} (BODY.PEEK "
                       f"must not set it)")
        return out


def imap(argv):
    ap = argparse.ArgumentParser(prog="mailbench.py imap")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--server-pid", type=int, required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--placement", required=True)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--queries", default="body,envelope,flags")
    ap.add_argument("--cold", action="store_true",
                    help="the first session on this copy: report SELECT and the warm-ups")
    ap.add_argument("--max-other", type=float, default=0.25)
    ap.add_argument("--timeout", type=float, default=600.0)
    a = ap.parse_args(argv)
    manifest = json.load(open(a.manifest))
    queries = [q for q in a.queries.split(",") if q]
    conn = Conn(a.port, a.timeout)
    status = 0
    try:
        greeting = conn.line()
        if not greeting.startswith(b"* OK"):
            raise RuntimeError(f"greeting {greeting!r}")
        st, _ = conn.command(b'LOGIN "%s" "%s"' % (a.user.encode(), a.password.encode()))
        if b" OK" not in st:
            raise RuntimeError(f"LOGIN: {st!r}")
        t0 = time.monotonic()
        cpu0 = benchlib.tree_cpu_seconds(a.server_pid)
        exists = []
        st, _ = conn.command(b"SELECT INBOX", lambda f, s, l: exists.append(f)
                             if f.endswith(b" EXISTS\r\n") else None)
        select_s = time.monotonic() - t0
        select_cpu = benchlib.tree_cpu_seconds(a.server_pid) - cpu0
        if b" OK" not in st:
            raise RuntimeError(f"SELECT: {st!r}")
        n_exists = int(exists[-1].split()[1]) if exists else -1
        if n_exists != manifest["count"]:
            raise RuntimeError(f"SELECT: {n_exists} EXISTS, expected {manifest['count']}")
        if a.cold:
            print(f"  {a.placement} {a.label}: first SELECT of the copy {select_s * 1e3:,.0f} ms "
                  f"(server CPU {select_cpu * 1e3:,.0f} ms)", file=sys.stderr)
        for q in queries:
            t0 = time.monotonic()
            cpu0 = benchlib.tree_cpu_seconds(a.server_pid)
            check = FetchCheck(q)
            st, _ = conn.command(QUERIES[q], check)
            took = time.monotonic() - t0
            cpu = benchlib.tree_cpu_seconds(a.server_pid) - cpu0
            if b" OK" not in st:
                raise RuntimeError(f"{QUERIES[q].decode()}: {st!r}")
            problems = check.problems(manifest)
            if problems:
                print(f"  {a.label} {q} (warm-up): " + "; ".join(problems), file=sys.stderr)
                status = 1
            if a.cold:
                print(f"  {a.placement} {a.label}: first {q} fetch {took * 1e3:,.0f} ms "
                      f"(server CPU {cpu * 1e3:,.0f} ms)", file=sys.stderr)
        for run in range(a.runs):
            for q in queries:
                for attempt in (1, 2, 3):
                    r = timed_fetch(conn, a, q, manifest)
                    if r is None:
                        return 1
                    if r["other_cores"] <= a.max_other or attempt == 3:
                        break
                    print(f"  {a.placement} {a.label} {q}: disturbed ({r['other_cores']:.2f} "
                          "cores used elsewhere), repeating", file=sys.stderr)
                if r["problems"]:
                    status = 1
                print(json.dumps(r))
                print(f"  {a.placement} {a.label} {q}: {imap_show(r)}", file=sys.stderr)
    except (OSError, RuntimeError, ValueError) as e:
        print(f"{a.label}: {e}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    return status


def timed_fetch(conn, a, q, manifest):
    window = benchlib.Window(a.server_pid)
    busy0 = benchlib.busy_cpu_seconds()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    check = FetchCheck(q)
    t0 = time.perf_counter()
    st, _ = conn.command(QUERIES[q], check)
    took = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    w = window.close()
    busy = benchlib.busy_cpu_seconds() - busy0
    if b" OK" not in st:
        print(f"{a.label}: {QUERIES[q].decode()}: {st!r}", file=sys.stderr)
        return None
    client = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    problems = check.problems(manifest)
    for p in problems:
        print(f"  {a.label} {q}: {p}", file=sys.stderr)
    residual = busy - w["server_cpu"] - w["client_cpu"]
    return {
        "server": a.label, "placement": a.placement, "query": q, "messages": check.fetches,
        "bytes": check.literal_bytes, "seconds": took, "server_cpu": w["server_cpu"],
        "client_cpu": client, "window_seconds": w["seconds"],
        "other_cores": max(w["other_cores"], residual / w["seconds"]), "problems": problems,
    }


def imap_show(r):
    return (f"{r['seconds'] * 1e3:,.0f} ms for {r['messages']:,} messages "
            f"({r['bytes'] / 1e6:.1f} MB of bodies), server CPU {r['server_cpu'] * 1e3:,.0f} ms, "
            f"client CPU {r['client_cpu'] * 1e3:,.0f} ms, {r['other_cores']:.2f} cores elsewhere"
            + (" PROBLEMS: " + "; ".join(r["problems"]) if r["problems"] else ""))


def _mean_range(values, scale):
    return (f"{statistics.mean(values) * scale:,.1f} [{min(values) * scale:,.0f}-"
            f"{max(values) * scale:,.0f}]")


def imap_summary(path):
    runs = [json.loads(line) for line in open(path) if line.strip()]
    if not runs:
        print("imap-summary: no runs", file=sys.stderr)
        return 1
    groups = {}
    for r in runs:
        groups.setdefault((r["placement"], r["query"], r["server"]), []).append(r)
    header = (f"{'placement':<9} {'query':<8} {'server':<8} {'n':>2} "
              f"{'time ms median [range]':>24} {'msg/s':>9} "
              f"{'server CPU ms/run mean [range]':>30} {'client CPU':>10} {'other':>5}")
    print(header)
    print("-" * len(header))
    med = {}
    for (placement, query, server), rs in groups.items():
        t = [r["seconds"] for r in rs]
        cpu = [r["server_cpu"] for r in rs]
        # The mean, not the median: each reading is rounded to 10 ms ticks, and the rounding
        # averages out over the runs.
        med[(placement, query, server)] = (statistics.median(t), statistics.mean(cpu))
        client = statistics.median(r["client_cpu"] for r in rs)
        bad = " !" if any(r["problems"] for r in rs) else ""
        print(f"{placement:<9} {query:<8} {server:<8} {len(rs):>2} {_fmt(t, 1e3, 0):>24} "
              f"{statistics.median(r['messages'] / r['seconds'] for r in rs):>9,.0f} "
              f"{_mean_range(cpu, 1e3):>30} "
              f"{client * 1e3:>6.0f} ms "
              f"{max(r['other_cores'] for r in rs):>5.2f}{bad}")
    print("(queries: " + "; ".join(f"{k} = {v.decode()}" for k, v in QUERIES.items()) +
          "; client CPU is the raw-socket Python client's median, compare it with the time to "
          "see whether the client was the limit; other = cores used elsewhere, the largest; "
          "server CPU from /proc in 10 ms ticks per process, hence the mean; ! = a verification "
          "failed)")
    for placement, query in dict.fromkeys((p, q) for p, q, _ in groups):
        if (placement, query, "l7") not in med:
            continue
        for peer in (s for p, q2, s in groups if p == placement and q2 == query and s != "l7"):
            a, b = med[(placement, query, "l7")], med[(placement, query, peer)]
            cpu_ratio = f"x{a[1] / b[1]:.2f}" if b[1] > 0 else "n/a"
            print(f"{placement} {query}: l7 / {peer}: time x{a[0] / b[0]:.2f}, server CPU per "
                  f"run {cpu_ratio} (median time, mean CPU; lower is better)")
    return 0


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "maildir":
        write_maildir(args[0], int(args[1]))
        return 0
    if cmd == "count":
        print(count_maildir(args[0]))
        return 0
    if cmd == "smtp":
        return smtp(args)
    if cmd == "smtp-show":
        print(smtp_show(json.loads(args[0])))
        return 0
    if cmd == "smtp-summary":
        return smtp_summary(args[0])
    if cmd == "imap":
        return imap(args)
    if cmd == "imap-summary":
        return imap_summary(args[0])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
