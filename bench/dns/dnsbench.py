"""Helpers for bench/dns/auth.sh and memory.sh (method: ../shared/docs/benchmarking.md).

Uses ../socket/benchlib.py for CPU accounting (server process tree, other processes).
As a command:
    dnsbench.py zone DIR                 example.test zone (DIR/example.test.zone) and a
                                         query file (DIR/queries.txt): ~70 % hits,
                                         ~15 % NXDOMAIN, ~15 % referrals
    dnsbench.py bigzone FILE N           example.test with N records (A/AAAA/TXT, names host-I);
                                         prints the last name and its type
    dnsbench.py measure --server-pid PID --label L --placement P -- DNSPERF ARGS...
                                         one measured dnsperf run; prints a JSON line
    dnsbench.py summarize RESULTS.jsonl  median and range per server and placement, and ratios
    dnsbench.py rss PID                  VmRSS and PSS (kB) of PID and its descendants
"""

import json
import os
import random
import re
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "socket"))
import benchlib  # noqa: E402

ORIGIN = "example.test"
HOSTS, V6, MXS, TXTS, DELEGATIONS = 200, 100, 50, 50, 10

SOA = ("@ IN SOA ns1.example.test. hostmaster.example.test. "
       "2026112201 7200 3600 1209600 300")


def write_zone(directory):
    lines = [f"$ORIGIN {ORIGIN}.", "$TTL 3600", SOA,
             "@ NS ns1", "@ NS ns2", "@ MX 10 mail", '@ TXT "v=spf1 mx -all"',
             "ns1 A 192.0.2.1", "ns2 A 192.0.2.2", "mail A 192.0.2.25",
             "mail AAAA 2001:db8::25", "www CNAME host-0"]
    for i in range(HOSTS):
        lines.append(f"host-{i} A 10.0.{i // 256}.{i % 256}")
    for i in range(V6):
        lines.append(f"v6-{i} AAAA 2001:db8::1:{i:x}")
    for i in range(MXS):
        lines.append(f"mx-{i} MX 10 mail")
        lines.append(f"mx-{i} MX 20 mail2-{i}")
        lines.append(f"mail2-{i} A 192.0.2.{100 + i}")
    for i in range(TXTS):
        lines.append(f'txt-{i} TXT "record {i} for the benchmark" "second string"')
    lines.append("*.wild A 192.0.2.80")
    lines.append("*.wild AAAA 2001:db8::80")
    for k in range(DELEGATIONS):
        lines.append(f"sub-{k} NS ns.sub-{k}")
        lines.append(f"sub-{k} NS ns2.sub-{k}")
        lines.append(f"ns.sub-{k} A 192.0.2.{200 + k}")
        lines.append(f"ns2.sub-{k} A 192.0.2.{220 + k}")
    with open(os.path.join(directory, f"{ORIGIN}.zone"), "w") as f:
        f.write("\n".join(lines) + "\n")

    rnd = random.Random(7)
    queries = []
    for _ in range(100_000):
        r = rnd.random()
        if r < 0.70:  # hits
            k = rnd.random()
            if k < 0.45:
                q = f"host-{rnd.randrange(HOSTS)}.{ORIGIN} A"
            elif k < 0.60:
                q = f"v6-{rnd.randrange(V6)}.{ORIGIN} AAAA"
            elif k < 0.70:
                q = f"mx-{rnd.randrange(MXS)}.{ORIGIN} MX"
            elif k < 0.80:
                q = f"txt-{rnd.randrange(TXTS)}.{ORIGIN} TXT"
            elif k < 0.90:
                q = f"x{rnd.randrange(100000)}.wild.{ORIGIN} A"
            else:
                q = rnd.choice([f"{ORIGIN} SOA", f"{ORIGIN} NS", f"{ORIGIN} MX",
                                f"www.{ORIGIN} A"])
        elif r < 0.85:  # NXDOMAIN
            q = f"nx-{rnd.randrange(1_000_000)}.{ORIGIN} A"
        else:  # referrals
            q = f"www{rnd.randrange(100)}.sub-{rnd.randrange(DELEGATIONS)}.{ORIGIN} A"
        queries.append(q)
    with open(os.path.join(directory, "queries.txt"), "w") as f:
        f.write("\n".join(queries) + "\n")


def write_bigzone(path, n):
    types = ["A", "A", "AAAA", "TXT"]
    with open(path, "w") as f:
        f.write(f"$ORIGIN {ORIGIN}.\n$TTL 3600\n{SOA}\n@ NS ns1\nns1 A 192.0.2.1\n")
        out = []
        for i in range(n):
            t = types[i % 4]
            if t == "A":
                data = f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
            elif t == "AAAA":
                data = f"2001:db8::{i >> 16:x}:{i & 0xffff:x}"
            else:
                data = f'"host {i} text"'
            out.append(f"host-{i} {t} {data}\n")
            if len(out) >= 10000:
                f.writelines(out)
                out = []
        f.writelines(out)
    print(f"host-{n - 1}.{ORIGIN} {types[(n - 1) % 4]}")


def parse_dnsperf(text):
    def num(pattern, cast=float, default=None):
        m = re.search(pattern, text)
        return cast(m.group(1)) if m else default
    out = {
        "sent": num(r"Queries sent:\s+(\d+)", int),
        "completed": num(r"Queries completed:\s+(\d+)", int),
        "lost": num(r"Queries lost:\s+(\d+)", int),
        "qps": num(r"Queries per second:\s+([\d.]+)"),
        "run_seconds": num(r"Run time \(s\):\s+([\d.]+)"),
        "lat_avg": num(r"Average Latency \(s\):\s+([\d.]+)"),
        "lat_min": num(r"Average Latency \(s\):\s+[\d.]+ \(min ([\d.]+)"),
        "lat_max": num(r"Average Latency \(s\):\s+[\d.]+ \(min [\d.]+, max ([\d.]+)\)"),
        "lat_stddev": num(r"Latency StdDev \(s\):\s+([\d.]+)"),
    }
    m = re.search(r"Response codes:\s+(.*)", text)
    out["rcodes"] = m.group(1).strip() if m else ""
    return out


def measure(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="dnsbench.py measure")
    ap.add_argument("--server-pid", type=int, required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--placement", required=True)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    proc, w, busy, dnsperf_cpu = benchlib.run_measured(args.server_pid, cmd, timeout=120)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        return 1
    r = parse_dnsperf(proc.stdout)
    if not r["completed"]:
        sys.stderr.write(proc.stdout + proc.stderr)
        return 1
    r.update(server=args.label, placement=args.placement, unit="query",
             ops=r["completed"], seconds=r["run_seconds"] or w["seconds"],
             server_cpu=w["server_cpu"], client_cpu=dnsperf_cpu,
             server_cores=w["server_cpu"] / (r["run_seconds"] or w["seconds"]),
             client_cores=dnsperf_cpu / (r["run_seconds"] or w["seconds"]),
             window_seconds=w["seconds"], other_cores=w["other_cores"])
    # benchlib's per-process count misses processes that end within the window (compilers);
    # the machine-wide residual (user+nice+system, less the server, dnsperf and us) does not.
    residual = busy - w["server_cpu"] - dnsperf_cpu - w["client_cpu"]
    r["other_cores"] = max(r["other_cores"], residual / w["seconds"])
    # The window includes dnsperf's start and its wait for the last replies; the server is
    # idle then, so its CPU still divides by the queries completed.
    print(json.dumps(r))
    return 0


def show(r):
    return (f"{r['qps']:,.0f} qps, avg {r['lat_avg'] * 1e6:.0f} µs, lost {r['lost']}, "
            f"server {r['server_cpu']:.2f} s CPU = {1e6 * r['server_cpu'] / r['ops']:.2f} µs/query, "
            f"server busy {r['server_cores']:.2f} core, dnsperf {r['client_cores']:.2f} core, "
            f"{r['other_cores']:.2f} cores elsewhere; rcodes {r['rcodes']}")


def _fmt(values, scale, digits):
    med = statistics.median(values) * scale
    return f"{med:,.{digits}f} [{min(values) * scale:,.{digits}f}-{max(values) * scale:,.{digits}f}]"


def summarize(path):
    runs = [json.loads(line) for line in open(path) if line.strip()]
    if not runs:
        print("summarize: no runs", file=sys.stderr)
        return 1
    groups = {}
    for r in runs:
        groups.setdefault((r["placement"], r["server"]), []).append(r)
    header = (f"{'placement':<9} {'server':<8} {'n':>1} {'qps median [range]':>27} "
              f"{'avg lat µs':>10} {'max lat ms':>10} {'lost':>6} {'CPU s':>6} "
              f"{'CPU µs/query median [range]':>28} {'busy':>5} {'other':>5}")
    print(header)
    print("-" * len(header))
    med = {}
    for (placement, server), rs in groups.items():
        qps = [r["qps"] for r in rs]
        cpu = [r["server_cpu"] / r["ops"] for r in rs]
        med[(placement, server)] = (statistics.median(qps), statistics.median(cpu))
        print(f"{placement:<9} {server:<8} {len(rs):>1} {_fmt(qps, 1, 0):>27} "
              f"{statistics.median(r['lat_avg'] for r in rs) * 1e6:>10.0f} "
              f"{statistics.median(r['lat_max'] for r in rs) * 1e3:>10.1f} "
              f"{max(r['lost'] for r in rs):>6} "
              f"{statistics.median(r['server_cpu'] for r in rs):>6.2f} "
              f"{_fmt(cpu, 1e6, 2):>28} "
              f"{statistics.median(r['server_cores'] for r in rs):>5.2f} "
              f"{max(r['other_cores'] for r in rs):>5.2f}")
    print("(avg/max latency, CPU s and busy (server cores used) are medians; lost and other "
          "(cores used by other processes) are the largest of the runs; dnsperf 2.10 reports "
          "no latency percentiles)")
    placements = list(dict.fromkeys(p for p, _ in groups))
    for placement in placements:
        if (placement, "l7") not in med:
            continue
        for peer in (s for p, s in groups if p == placement and s != "l7"):
            a, b = med[(placement, "l7")], med[(placement, peer)]
            print(f"{placement}: l7 / {peer}: qps x{a[0] / b[0]:.2f}, "
                  f"server CPU per query x{a[1] / b[1]:.2f} (lower is better)")
    return 0


def rss(pid):
    pids = benchlib.tree_pids(pid)
    total_rss = total_pss = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                m = re.search(r"VmRSS:\s+(\d+)", f.read())
            total_rss += int(m.group(1)) if m else 0
            with open(f"/proc/{p}/smaps_rollup") as f:
                m = re.search(r"Pss:\s+(\d+)", f.read())
            total_pss += int(m.group(1)) if m else 0
        except OSError:
            pass
    print(f"{total_rss} {total_pss} {len(pids)}")
    return 0


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "zone":
        write_zone(args[0])
        return 0
    if cmd == "bigzone":
        write_bigzone(args[0], int(args[1]))
        return 0
    if cmd == "measure":
        return measure(args)
    if cmd == "show":
        print(show(json.loads(args[0])))
        return 0
    if cmd == "summarize":
        return summarize(args[0])
    if cmd == "rss":
        return rss(int(args[0]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
