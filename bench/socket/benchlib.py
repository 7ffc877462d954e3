"""Shared by the side-by-side benchmarks (see ../shared/docs/benchmarking.md).

As a library: CPU time of a process tree from /proc, the CPU used by everything else.
As a command:
    benchlib.py quiet [--max-cores 0.1] [--seconds 2] [--timeout 120]
        wait until the machine is quiet: everything together below MAX cores for SECONDS
    benchlib.py free-port udp|tcp
        print a free port on 127.0.0.1
    benchlib.py summarize RESULTS.jsonl
        print the median and range of each contender, per placement, and the ratios
    benchlib.py show JSON
        one run's result on one line
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    with open(f"/proc/{pid}/stat", "rb") as f:
        data = f.read().decode("ascii", "replace")
    # The command name is in parentheses and may hold spaces: split after its last ')'.
    return data[data.rindex(")") + 2:].split()


def _children_map():
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(_stat_fields(entry)[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    return children


def tree_pids(pid):
    """`pid` and its live descendants."""
    children = _children_map()
    todo, pids = [pid], []
    while todo:
        p = todo.pop()
        pids.append(p)
        todo.extend(children.get(p, []))
    return pids


def tree_cpu_seconds(pid):
    """utime+stime of `pid`, of its live descendants, and of the children they reaped."""
    total = 0
    for p in tree_pids(pid):
        try:
            f = _stat_fields(p)
        except OSError:
            continue
        # Fields 14-17 of stat(5): utime stime cutime cstime, here at index 11-14.
        total += sum(int(x) for x in f[11:15])
    return total / TICK


def busy_cpu_seconds():
    """CPU time spent by all processes, machine-wide (user + nice + system; no irq time)."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    user, nice, system = (int(x) for x in fields[1:4])
    return (user + nice + system) / TICK


PF_KTHREAD = 0x00200000


def user_processes_cpu():
    """{pid: utime+stime ticks} of every user-space process (kernel threads left out)."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            f = _stat_fields(entry)
        except OSError:
            continue
        if int(f[6]) & PF_KTHREAD:
            continue
        out[int(entry)] = int(f[11]) + int(f[12])
    return out


def own_cpu_seconds():
    t = os.times()
    return t.user + t.system


class Window:
    """CPU use over a measurement window: the server's tree, ours, and other processes'."""

    def __init__(self, server_pid):
        self.server_pid = server_pid
        self.t0 = time.monotonic()
        self.server0 = tree_cpu_seconds(server_pid)
        self.own0 = own_cpu_seconds()
        self.procs0 = user_processes_cpu()

    def close(self):
        elapsed = time.monotonic() - self.t0
        server = tree_cpu_seconds(self.server_pid) - self.server0
        own = own_cpu_seconds() - self.own0
        procs1 = user_processes_cpu()
        ours = {os.getpid(), self.server_pid}
        children = _children_map()
        todo = [self.server_pid]
        while todo:
            for c in children.get(todo.pop(), []):
                ours.add(c)
                todo.append(c)
        # Processes that ended during the window are missed; ones that started count whole.
        other = sum(t - self.procs0.get(pid, 0) for pid, t in procs1.items() if pid not in ours)
        return {
            "seconds": elapsed,
            "server_cpu": server,
            "client_cpu": own,
            "other_cores": max(0, other) / TICK / elapsed,
        }


def run_measured(server_pid, cmd, timeout):
    """Runs the load generator `cmd` to completion while counting CPU time. Returns the
    CompletedProcess (text output), Window(server_pid).close()'s dict, the machine-wide busy
    CPU seconds of the run, and the generator's own CPU seconds."""
    window = Window(server_pid)
    busy0 = busy_cpu_seconds()
    t0 = os.times()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    t1 = os.times()
    w = window.close()
    busy = busy_cpu_seconds() - busy0
    load_cpu = (t1.children_user + t1.children_system) - (t0.children_user + t0.children_system)
    return proc, w, busy, load_cpu


def wait_quiet(max_cores=0.1, seconds=2.0, timeout=120.0):
    deadline = time.monotonic() + timeout
    while True:
        b0 = busy_cpu_seconds()
        time.sleep(seconds)
        cores = (busy_cpu_seconds() - b0) / seconds
        if cores < max_cores:
            return cores
        if time.monotonic() > deadline:
            print(f"benchlib: machine still busy ({cores:.2f} cores) after {timeout:.0f}s; "
                  "going on", file=sys.stderr)
            return cores


def free_port(kind):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _fmt(values, scale, digits):
    med = statistics.median(values) * scale
    lo, hi = min(values) * scale, max(values) * scale
    return f"{med:,.{digits}f} [{lo:,.{digits}f}-{hi:,.{digits}f}]"


def summarize(path):
    runs = [json.loads(line) for line in open(path) if line.strip()]
    if not runs:
        print("summarize: no runs", file=sys.stderr)
        return 1
    unit = runs[0].get("unit", "req")
    groups = {}
    for r in runs:
        groups.setdefault((r["placement"], r["server"]), []).append(r)
    header = (f"{'placement':<10} {'server':<30} {'n':>2} {unit + '/s median [range]':>30} "
              f"{'server CPU µs/' + unit + ' median [range]':>36} {'other cores':>11}")
    print(header)
    print("-" * len(header))
    placements = []
    for (placement, server), rs in groups.items():
        if placement not in placements:
            placements.append(placement)
        rate = [r["ops"] / r["seconds"] for r in rs]
        cpu = [r["server_cpu"] / r["ops"] for r in rs]
        other = max(r["other_cores"] for r in rs)
        print(f"{placement:<10} {server:<30} {len(rs):>2} {_fmt(rate, 1, 0):>30} "
              f"{_fmt(cpu, 1e6, 2):>36} {other:>11.2f}")
    for placement in placements:
        names = [s for (p, s) in groups if p == placement]
        if len(names) != 2:
            continue
        a, b = (groups[(placement, n)] for n in names)
        rate_a = statistics.median(r["ops"] / r["seconds"] for r in a)
        rate_b = statistics.median(r["ops"] / r["seconds"] for r in b)
        cpu_a = statistics.median(r["server_cpu"] / r["ops"] for r in a)
        cpu_b = statistics.median(r["server_cpu"] / r["ops"] for r in b)
        print(f"{placement}: {names[0]} / {names[1]}: throughput x{rate_a / rate_b:.2f}, "
              f"server CPU per {unit} x{cpu_a / cpu_b:.2f} (lower is better)")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("quiet")
    q.add_argument("--max-cores", type=float, default=0.1)
    q.add_argument("--seconds", type=float, default=2.0)
    q.add_argument("--timeout", type=float, default=120.0)
    p = sub.add_parser("free-port")
    p.add_argument("kind", choices=["udp", "tcp"])
    s = sub.add_parser("summarize")
    s.add_argument("results")
    w = sub.add_parser("show")
    w.add_argument("json")
    args = ap.parse_args()
    if args.cmd == "show":
        r = json.loads(args.json)
        print(f"{r['ops'] / r['seconds']:,.0f} {r['unit']}/s, "
              f"{1e6 * r['server_cpu'] / r['ops']:.2f} µs server CPU per {r['unit']}, "
              f"{r['other_cores']:.2f} cores used elsewhere")
        return 0
    if args.cmd == "quiet":
        wait_quiet(args.max_cores, args.seconds, args.timeout)
        return 0
    if args.cmd == "free-port":
        print(free_port(args.kind))
        return 0
    return summarize(args.results)


if __name__ == "__main__":
    sys.exit(main())
