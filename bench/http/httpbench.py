"""Helpers for bench/http/static.sh (method: ../shared/docs/benchmarking.md).

Uses ../socket/benchlib.py for CPU accounting (server process tree, other processes) and
../dns/dnsbench.py for the RSS of a process tree.
As a command:
    httpbench.py site DIR                write DIR/1k.bin and DIR/100k.bin (random bytes)
    httpbench.py measure --server-pid PID --label L --placement P --file F --mode M -- WRK...
                                         one measured wrk run; prints a JSON line
    httpbench.py show JSON               one run on one line
    httpbench.py summarize RESULTS.jsonl median and range per row, and the l7/peer ratios
                                         (of the medians, and paired by repetition)
    httpbench.py idle --server-pid PID --port PORT --label L [--count 10000] [--path /1k.bin]
                                         RSS of the server before and after COUNT idle
                                         connections (connected; then after one keep-alive
                                         request each); prints a JSON line
    httpbench.py idle-table RESULTS.jsonl
"""

import argparse
import json
import os
import re
import resource
import selectors
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "socket"))
import benchlib  # noqa: E402

FILES = {"1k.bin": 1024, "100k.bin": 100 * 1024}
UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def write_site(directory):
    os.makedirs(directory, exist_ok=True)
    for name, size in FILES.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(os.urandom(size))


def _seconds(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(m.group(1)) * UNITS[m.group(2)] if m else None


def parse_wrk(text):
    """The figures of `wrk --latency` output (wrk 4.1)."""
    def num(pattern, cast=float, default=None):
        m = re.search(pattern, text, re.M)
        return cast(m.group(1)) if m else default

    out = {
        "requests": num(r"^\s*(\d+) requests in ", int),
        "run_seconds": _seconds(num(r"requests in ([\d.]+\w+),", str, "")),
        "rps": num(r"^Requests/sec:\s+([\d.]+)"),
        "non_2xx": num(r"Non-2xx or 3xx responses:\s+(\d+)", int, 0),
    }
    for pct in ("50", "99"):
        out["p" + pct] = _seconds(num(r"^\s+" + pct + r"%\s+(\S+)", str, ""))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["socket_errors"] = {k: int(v) for k, v in zip(("connect", "read", "write", "timeout"),
                                                      m.groups())} if m else {}
    return out


def measure(argv):
    ap = argparse.ArgumentParser(prog="httpbench.py measure")
    ap.add_argument("--server-pid", type=int, required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--placement", required=True)
    ap.add_argument("--file", required=True)
    ap.add_argument("--mode", required=True)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    proc, w, busy, wrk_cpu = benchlib.run_measured(args.server_pid, cmd, timeout=300)
    r = parse_wrk(proc.stdout) if proc.returncode == 0 else {}
    if not r.get("requests") or r.get("p99") is None:
        sys.stderr.write(proc.stdout + proc.stderr)
        return 1
    seconds = r["run_seconds"] or w["seconds"]
    r.update(server=args.label, placement=args.placement, file=args.file, mode=args.mode,
             unit="req", ops=r["requests"], seconds=seconds, server_cpu=w["server_cpu"],
             client_cpu=wrk_cpu, server_cores=w["server_cpu"] / seconds,
             client_cores=wrk_cpu / seconds, window_seconds=w["seconds"],
             other_cores=w["other_cores"])
    # As in dnsbench.py: the machine-wide residual also catches processes that ended inside
    # the window, which the per-process count misses.
    residual = busy - w["server_cpu"] - wrk_cpu - w["client_cpu"]
    r["other_cores"] = max(r["other_cores"], residual / w["seconds"])
    print(json.dumps(r))
    return 0


def show(r):
    errors = sum(r["socket_errors"].values())
    return (f"{r['rps']:,.0f} req/s, p50 {r['p50'] * 1e6:.0f} µs, p99 {r['p99'] * 1e6:.0f} µs, "
            f"server {1e6 * r['server_cpu'] / r['ops']:.2f} µs CPU/req "
            f"({r['server_cores']:.2f} core), wrk {r['client_cores']:.2f} core, "
            f"{r['other_cores']:.2f} cores elsewhere, non-2xx {r['non_2xx']}, "
            f"socket errors {errors}")


def _median_range(values, scale, digits):
    med = statistics.median(values) * scale
    if len(values) == 1:
        return f"{med:,.{digits}f}"
    lo, hi = min(values) * scale, max(values) * scale
    return f"{med:,.{digits}f} [{lo:,.{digits}f}-{hi:,.{digits}f}]"


def _print_table(cols, rows, markdown):
    if markdown:
        print("| " + " | ".join(cols) + " |")
        print("|" + "---|" * len(cols))
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(cols)]
    print("  ".join(c.rjust(w) for c, w in zip(cols, widths)))
    print("-" * (sum(widths) + 2 * (len(cols) - 1)))
    for row in rows:
        print("  ".join(v.rjust(w) for v, w in zip(row, widths)))


def summarize(path, markdown=False):
    runs = [json.loads(line) for line in open(path) if line.strip()]
    if not runs:
        print("summarize: no runs", file=sys.stderr)
        return 1
    groups = {}
    for r in runs:
        groups.setdefault((r["placement"], r["file"], r["mode"], r["server"]), []).append(r)
    cols = ["placement", "file", "connection", "server", "n", "req/s median [range]",
            "p50 µs", "p99 µs", "server CPU µs/req median [range]", "server cores", "wrk cores",
            "errors", "l7/peer req/s", "l7/peer CPU/req", "paired req/s", "paired CPU/req"]
    rows = []
    med = {}
    for key, rs in groups.items():
        rps = [r["rps"] for r in rs]
        cpu = [r["server_cpu"] / r["ops"] for r in rs]
        med[key] = (statistics.median(rps), statistics.median(cpu))
    for key, rs in groups.items():
        placement, file, mode, server = key
        ratio_rps = ratio_cpu = paired_rps = paired_cpu = ""
        if server != "l7" and (placement, file, mode, "l7") in med:
            a, b = med[(placement, file, mode, "l7")], med[key]
            ratio_rps, ratio_cpu = f"x{a[0] / b[0]:.2f}", f"x{a[1] / b[1]:.2f}"
            # The i-th runs of two servers come from the same repetition, minutes apart at
            # most: the median of their ratios is less moved by a machine whose speed drifts.
            pairs = list(zip(groups[(placement, file, mode, "l7")], rs))
            paired_rps = f"x{statistics.median(x['rps'] / y['rps'] for x, y in pairs):.2f}"
            paired_cpu = "x%.2f" % statistics.median(
                (x["server_cpu"] / x["ops"]) / (y["server_cpu"] / y["ops"]) for x, y in pairs)
        errors = sum(sum(r["socket_errors"].values()) + r["non_2xx"] for r in rs)
        rows.append([placement, file, mode, server, str(len(rs)),
                     _median_range([r["rps"] for r in rs], 1, 0),
                     f"{statistics.median(r['p50'] for r in rs) * 1e6:.0f}",
                     f"{statistics.median(r['p99'] for r in rs) * 1e6:.0f}",
                     _median_range([r["server_cpu"] / r["ops"] for r in rs], 1e6, 2),
                     f"{statistics.median(r['server_cores'] for r in rs):.2f}",
                     f"{statistics.median(r['client_cores'] for r in rs):.2f}",
                     str(errors), ratio_rps, ratio_cpu, paired_rps, paired_cpu])
    _print_table(cols, rows, markdown)
    print("(p50/p99: wrk --latency, medians over the runs; errors: wrk socket errors plus "
          "non-2xx, summed; l7/peer: ratio of the medians, CPU per request lower is better; "
          "paired: median of the ratios of runs from the same repetition; "
          f"largest CPU used elsewhere during a run: "
          f"{max(r['other_cores'] for r in runs):.2f} cores)")
    return 0


# --- idle connections ---------------------------------------------------------------------


def tree_rss_kib(pid):
    out = subprocess.run([sys.executable, os.path.join(HERE, "..", "dns", "dnsbench.py"), "rss",
                          str(pid)], capture_output=True, text=True, check=True, timeout=30)
    return int(out.stdout.split()[0])


def tree_sockets(pid):
    """Sockets open in `pid` and its descendants."""
    n = 0
    for p in benchlib.tree_pids(pid):
        try:
            fds = os.listdir(f"/proc/{p}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                n += os.readlink(f"/proc/{p}/fd/{fd}").startswith("socket:")
            except OSError:
                pass
    return n


def _wait_accepted(pid, want, timeout=60.0):
    """Until the server tree holds WANT sockets: a server that defers accepting until data
    arrives (TCP_DEFER_ACCEPT) takes silent connections about a second after the handshake."""
    deadline = time.monotonic() + timeout
    while tree_sockets(pid) < want:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server holds {tree_sockets(pid)} sockets, not {want}, "
                               f"after {timeout}s")
        time.sleep(0.1)


def _open_idle(port, count, batch=500, timeout=60.0):
    """COUNT connected sockets to 127.0.0.1:PORT, opened BATCH at a time (the listen backlog
    is finite; a dropped SYN costs a 1 s retransmission, not a failure)."""
    socks = []
    sel = selectors.DefaultSelector()
    deadline = time.monotonic() + timeout
    while len(socks) < count:
        pending = []
        for _ in range(min(batch, count - len(socks))):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            sel.register(s, selectors.EVENT_WRITE)
            pending.append(s)
        left = len(pending)
        while left:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(socks)} of {count} connections within {timeout}s")
            for key, _ in sel.select(timeout=1.0):
                s = key.fileobj
                sel.unregister(s)
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    raise RuntimeError(f"connect: {os.strerror(err)}")
                socks.append(s)
                left -= 1
    sel.close()
    return socks


def _one_request_each(socks, path, timeout=60.0):
    """A keep-alive GET on every socket, its whole response read; the sockets stay open."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    want = {}
    sel = selectors.DefaultSelector()
    for s in socks:
        s.send(request)
        sel.register(s, selectors.EVENT_READ, bytearray())
    left = len(socks)
    deadline = time.monotonic() + timeout
    while left:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{left} responses missing after {timeout}s")
        for key, _ in sel.select(timeout=1.0):
            buf = key.data
            chunk = key.fileobj.recv(1 << 20)
            if not chunk:
                raise RuntimeError("the server closed an idle keep-alive connection")
            buf += chunk
            s = key.fileobj
            if s not in want:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    continue
                m = re.search(rb"(?im)^content-length:\s*(\d+)", bytes(buf[:end]))
                if not buf.startswith(b"HTTP/1.1 200") or not m:
                    raise RuntimeError(f"unexpected response {bytes(buf[:200])!r}")
                want[s] = end + 4 + int(m.group(1))
            if len(buf) >= want[s]:
                sel.unregister(s)
                left -= 1
    sel.close()


def idle(argv):
    ap = argparse.ArgumentParser(prog="httpbench.py idle")
    ap.add_argument("--server-pid", type=int, required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--path", default="/1k.bin")
    ap.add_argument("--settle", type=float, default=1.0)
    args = ap.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.count + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.count + 100), hard))
    # The server has answered a request on one connection (warm: code paged in, pools made).
    warm = _open_idle(args.port, 1)
    _one_request_each(warm, args.path)
    time.sleep(args.settle)
    before = tree_rss_kib(args.server_pid)
    sockets_before = tree_sockets(args.server_pid)
    t0 = time.monotonic()
    socks = _open_idle(args.port, args.count)
    _wait_accepted(args.server_pid, sockets_before + args.count)
    time.sleep(args.settle)
    connected = tree_rss_kib(args.server_pid)
    open_seconds = time.monotonic() - t0
    _one_request_each(socks, args.path)
    time.sleep(args.settle)
    after_request = tree_rss_kib(args.server_pid)
    # Every socket must still be open: a server that shed connections would look cheap.
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    closed = len(sel.select(timeout=0))
    sel.close()
    for s in socks + warm:
        s.close()
    print(json.dumps({"server": args.label, "count": args.count, "rss_before_kib": before,
                      "rss_connected_kib": connected, "rss_after_request_kib": after_request,
                      "connect_seconds": open_seconds, "readable_at_end": closed}))
    return 0 if closed == 0 else 1


def idle_table(path, markdown=False):
    runs = [json.loads(line) for line in open(path) if line.strip()]
    cols = ["server", "connections", "RSS before MiB", "RSS connected MiB",
            "RSS after 1 request each MiB", "KiB/conn connected", "KiB/conn after a request"]
    rows = []
    for r in runs:
        n = r["count"]
        rows.append([r["server"], f"{n:,}", f"{r['rss_before_kib'] / 1024:.1f}",
                     f"{r['rss_connected_kib'] / 1024:.1f}",
                     f"{r['rss_after_request_kib'] / 1024:.1f}",
                     f"{(r['rss_connected_kib'] - r['rss_before_kib']) / n:.2f}",
                     f"{(r['rss_after_request_kib'] - r['rss_before_kib']) / n:.2f}"])
    _print_table(cols, rows, markdown)
    return 0


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "site":
        write_site(args[0])
        return 0
    if cmd == "measure":
        return measure(args)
    if cmd == "show":
        print(show(json.loads(args[0])))
        return 0
    if cmd == "summarize":
        return summarize(args[0], markdown="--markdown" in args[1:])
    if cmd == "idle":
        return idle(args)
    if cmd == "idle-table":
        return idle_table(args[0], markdown="--markdown" in args[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
