#!/usr/bin/env python3
"""Closed-loop TCP line load: C connections, each keeping D lines in flight against a server
that answers every line with one line (l7's uppercase server, an echo server). Counts the
reply lines and measures the server's CPU time per line from /proc (its whole process tree,
so forked per-connection children count).

    tcp_load.py --port 12000 --server-pid 4242 --label l7 --placement pinned

Time- and count-bounded: a warm-up (default 2 s), then measures for --seconds or until
--count replies. A reply line must have the request's length. Prints one JSON line for
benchlib.py summarize.
"""

import argparse
import json
import selectors
import socket
import sys
import time

import benchlib


def connect(host, port, deadline):
    while True:
        try:
            s = socket.create_connection((host, port), timeout=1)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return s
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--server-pid", type=int, required=True)
    ap.add_argument("--label", required=True, help="the server's name in the results")
    ap.add_argument("--placement", default="pinned")
    ap.add_argument("--size", type=int, default=64, help="line bytes, LF included")
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--depth", type=int, default=16, help="lines in flight per connection")
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--count", type=int, default=100_000_000)
    args = ap.parse_args()

    line = (b"hello from the load client " + b"x" * args.size)[: args.size - 1] + b"\n"
    deadline = time.monotonic() + 10
    socks = [connect(args.host, args.port, deadline) for _ in range(args.connections)]
    # Check the first reply: one line of the same length.
    socks[0].sendall(line)
    first = b""
    while not first.endswith(b"\n"):
        chunk = socks[0].recv(65536)
        if not chunk:
            print("tcp_load: the server closed the connection", file=sys.stderr)
            return 1
        first += chunk
    if len(first) != len(line):
        print(f"tcp_load: reply {first!r} is not one line as long as the request", file=sys.stderr)
        return 1

    sel = selectors.DefaultSelector()
    for s in socks:
        s.settimeout(None)
        sel.register(s, selectors.EVENT_READ)
        s.sendall(line * args.depth)
    ops = 0
    window = None
    end_warmup = time.monotonic() + args.warmup
    end = None
    select = sel.select
    while True:
        for key, _ in select(timeout=1.0):
            s = key.fileobj
            data = s.recv(262144)
            if not data:
                print("tcp_load: the server closed a connection", file=sys.stderr)
                return 1
            n = data.count(b"\n")  # replies completed; partial lines finish in a later read
            if n:
                ops += n
                s.sendall(line * n)
        now = time.monotonic()
        if window is None:
            if now >= end_warmup:
                window = benchlib.Window(args.server_pid)
                ops = 0
                end = now + args.seconds
        elif now >= end or ops >= args.count:
            break
    result = window.close()
    for s in socks:
        s.close()
    result.update(server=args.label, placement=args.placement, ops=ops, unit="line",
                  size=args.size, connections=args.connections, depth=args.depth)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
