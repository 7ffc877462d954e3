#!/usr/bin/env python3
"""Closed-loop UDP echo load: keep N datagrams outstanding against one server, count the
replies, and measure the server's CPU time per reply from /proc (its whole process tree).

    udp_load.py --port 12000 --server-pid 4242 --label l7 --placement pinned

Time- and count-bounded: a warm-up (default 2 s), then measures for --seconds or until
--count replies, whichever comes first. A reply must be exactly the datagram sent (an echo).
Lost datagrams (no reply within --loss-timeout) are counted and sent again. Prints one JSON
line for benchlib.py summarize.
"""

import argparse
import json
import socket
import sys
import time

import benchlib


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--server-pid", type=int, required=True)
    ap.add_argument("--label", required=True, help="the server's name in the results")
    ap.add_argument("--placement", default="pinned")
    ap.add_argument("--size", type=int, default=64, help="datagram payload bytes")
    ap.add_argument("--outstanding", type=int, default=32)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--count", type=int, default=10_000_000)
    ap.add_argument("--loss-timeout", type=float, default=0.2)
    args = ap.parse_args()

    payload = (b"ping " + b"x" * args.size)[: args.size]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect((args.host, args.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)

    # Wait until the server answers (it may still be starting).
    sock.settimeout(0.1)
    deadline = time.monotonic() + 10
    while True:
        try:
            sock.send(payload)
            if sock.recv(65536) == payload:
                break
        except (socket.timeout, ConnectionRefusedError):
            pass
        if time.monotonic() > deadline:
            print(f"udp_load: no echo from {args.host}:{args.port}", file=sys.stderr)
            return 1
    # Drain stray replies of the probing.
    sock.settimeout(0.05)
    try:
        while True:
            sock.recv(65536)
    except socket.timeout:
        pass

    sock.settimeout(args.loss_timeout)
    send, recv = sock.send, sock.recv
    for _ in range(args.outstanding):
        send(payload)

    lost = bad = 0
    window = None
    ops = 0
    end_warmup = time.monotonic() + args.warmup
    end = None
    while True:
        # Time is read once per 256 replies: the loop is the client's hot path.
        for _ in range(256):
            try:
                reply = recv(65536)
            except socket.timeout:
                lost += args.outstanding
                for _ in range(args.outstanding):
                    send(payload)
                continue
            except ConnectionRefusedError:
                print("udp_load: the server went away", file=sys.stderr)
                return 1
            if reply != payload:
                bad += 1
            ops += 1
            send(payload)
        now = time.monotonic()
        if window is None:
            if now >= end_warmup:
                window = benchlib.Window(args.server_pid)
                ops = lost = bad = 0
                end = now + args.seconds
        elif now >= end or ops >= args.count:
            break
    result = window.close()
    result.update(server=args.label, placement=args.placement, ops=ops, lost=lost, bad=bad,
                  unit="req", size=args.size, outstanding=args.outstanding)
    print(json.dumps(result), flush=True)
    if bad:
        print(f"udp_load: {bad} replies were not an echo of the request", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
