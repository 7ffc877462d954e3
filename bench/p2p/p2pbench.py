"""Helpers for bench/p2p/transfer.sh (method: ../shared/docs/benchmarking.md).

Run by /usr/bin/python3 (Debian's python3-libtorrent lives there). CPU accounting: utime +
stime from /proc/PID/stat (the seed, read before and after the download) and the rusage
wait4() returns for the getter, in clock ticks (10 ms); ../socket/benchlib.py for the CPU of
everything else. As a command:
    p2pbench.py data FILE BYTES           FILE (BYTES of pseudo-random bytes, a different
                                          block each MiB) and FILE.json (size and SHA-1)
    p2pbench.py run --l7 L7 --torrent T --data FILE --work DIR --results OUT.jsonl
                 [--reps 3] [--seeds "l7 libtorrent"] [--getters "l7 aria2c libtorrent"]
                 [--pin] [--timeout 300] [--max-other 0.25] [--verify row|all]
                 [--keep-logs DIR]
                                          every download, inside the loopback-only network
                                          namespace this process runs in; JSON lines
    p2pbench.py lt seed|get TORRENT DIR IFACE LIMIT
                                          a python3-libtorrent 2.0 peer (seed: DIR holds the
                                          data; get: DIR receives it), TCP only, no DHT, LSD,
                                          UPnP, NAT-PMP or uTP
    p2pbench.py show JSON | summary RESULTS.jsonl
                                          one download on one line | median and range per
                                          (seed, getter) row and the ratios to l7

One download ("run"): a fresh `l7 torrent tracker` on 127.0.0.1:6969, a fresh seed (l7 on
127.0.0.2, libtorrent on 127.0.0.6) that has checked its data and is known to the tracker
(scrape: complete >= 1), the machine quiet, then the getter (l7 on 127.0.0.3, aria2c on
127.0.0.4, libtorrent on 127.0.0.5) started into an empty directory and timed from its start
to its exit; it exits by itself once it has the whole file (l7 get without --seed, aria2c
--seed-time=0, libtorrent: this script, after flushing). The getter's own "complete" line is
timed too ("done"), and the bytes through the namespace's `lo` are sampled every 5 ms for
the transfer proper: when the first MiB had passed ("1st MiB") and the rate from then to the
last byte ("wire MB/s"). Then the seed and the tracker are stopped, and the copy is checked
(size always; SHA-1 once per row, or every time with --verify all) and removed.
"""

import argparse
import hashlib
import json
import os
import re
import select
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "socket"))
import benchlib  # noqa: E402

MIB = 1 << 20
GIB = 1 << 30
TICK = os.sysconf("SC_CLK_TCK")
TRACKER = ("127.0.0.1", 6969)
SEEDS = {"l7": ("127.0.0.2", 6881), "libtorrent": ("127.0.0.6", 6881)}
GETTERS = {"l7": ("127.0.0.3", 6881), "aria2c": ("127.0.0.4", 6881),
           "libtorrent": ("127.0.0.5", 6881)}
# The getter's own line saying the file is whole (the time to it is "done").
DONE_RE = {"l7": re.compile(r": complete, every piece verified"),
           "aria2c": re.compile(r"Download complete|Seeding is over"),
           "libtorrent": re.compile(r"^COMPLETE")}

# --- the data ----------------------------------------------------------------------------


def write_data(path, nbytes):
    block = bytearray(os.urandom(MIB))
    digest = hashlib.sha1()
    left, n = nbytes, 0
    with open(path, "wb") as f:
        while left > 0:
            block[:8] = n.to_bytes(8, "little")  # a different block each MiB
            chunk = block if left >= MIB else block[:left]
            f.write(chunk)
            digest.update(chunk)
            left -= len(chunk)
            n += 1
    with open(path + ".json", "w") as f:
        json.dump({"bytes": nbytes, "sha1": digest.hexdigest()}, f)
    print(f"{os.path.basename(path)}: {nbytes:,} bytes, SHA-1 {digest.hexdigest()}")


def sha1_of(path):
    digest = hashlib.sha1()
    buf = bytearray(4 * MIB)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while True:
            k = f.readinto(buf)
            if not k:
                break
            digest.update(view[:k])
    return digest.hexdigest()


# --- the libtorrent peer -----------------------------------------------------------------


def libtorrent_peer(mode, torrent, directory, iface, limit):
    """A libtorrent session with one torrent. seed: prints READY once the data is checked and
    the tracker has been told that it is a seed. get: prints COMPLETE when the torrent is
    finished, flushes, prints FLUSHED and exits at once (no "stopped" announce to wait for)."""
    import libtorrent as lt
    cat = lt.alert.category_t
    s = lt.session({"listen_interfaces": iface, "outgoing_interfaces": iface.rsplit(":", 1)[0],
                    "enable_dht": False, "enable_lsd": False, "enable_upnp": False,
                    "enable_natpmp": False, "enable_outgoing_utp": False,
                    "enable_incoming_utp": False, "allow_multiple_connections_per_ip": True,
                    "alert_mask": cat.error_notification | cat.status_notification
                    | cat.tracker_notification | cat.storage_notification})
    p = lt.add_torrent_params()
    p.ti, p.save_path = lt.torrent_info(torrent), directory
    h = s.add_torrent(p)
    end = time.monotonic() + limit
    seeding = complete = False
    while time.monotonic() < end:
        s.wait_for_alert(100)
        for a in s.pop_alerts():
            kind = type(a).__name__
            if mode == "get" and kind == "torrent_finished_alert" and not complete:
                print("COMPLETE", flush=True)
                complete = True
                h.flush_cache()
            elif mode == "get" and kind == "cache_flushed_alert" and complete:
                print("FLUSHED", flush=True)
                os._exit(0)
            elif mode == "seed" and kind == "tracker_reply_alert" and seeding:
                print("READY", flush=True)
            elif kind.endswith("error_alert") or kind == "tracker_reply_alert":
                print(kind, a.message(), flush=True)
        if mode == "seed" and not seeding and h.status().is_seeding:
            seeding = True
            print("SEEDING", flush=True)
            h.force_reannounce()  # with left=0: the tracker must count it as a seed
    st = h.status()
    print("TIMEOUT", st.state, st.progress, st.num_peers, flush=True)
    os._exit(1)


# --- processes ---------------------------------------------------------------------------


class Proc:
    """A program with stdout+stderr read line by line into a log file by a thread; the time
    a line first matched `done_re` is kept (perf_counter)."""

    def __init__(self, argv, log_path, done_re=None, ready_re=None):
        self.argv = argv
        self.log_path = log_path
        self.done_re, self.ready_re = done_re, ready_re
        self.done_at = None
        self.ready = threading.Event()
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        self.rusage = None
        self.exited_at = None
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        with open(self.log_path, "wb") as log:
            for line in self.proc.stdout:
                now = time.perf_counter()
                log.write(line)
                text = line.decode(errors="replace")
                if self.done_re and self.done_at is None and self.done_re.search(text):
                    self.done_at = now
                if self.ready_re and self.ready_re.search(text):
                    self.ready.set()

    def alive(self):
        return self.rusage is None and self.proc.poll() is None

    def wait_exit(self, timeout):
        """Waits (at most timeout s) for the exit, with a pidfd for an exact time; returns
        the exit code or None. The rusage of the process is kept (wait4)."""
        fd = os.pidfd_open(self.pid)
        try:
            ready, _, _ = select.select([fd], [], [], max(0.0, timeout))
        finally:
            os.close(fd)
        if not ready:
            return None
        self.exited_at = time.perf_counter()
        _, status, self.rusage = os.wait4(self.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self._thread.join(timeout=10)
        return self.proc.returncode

    def stop(self, sig=signal.SIGINT):
        """sig, up to 10 s to exit, then SIGKILL."""
        if self.rusage is not None:
            return self.proc.returncode
        try:
            self.proc.send_signal(sig)
        except ProcessLookupError:
            pass
        code = self.wait_exit(10)
        if code is None:
            self.proc.kill()
            code = self.wait_exit(10)
        return code

    def tail(self, n=15):
        try:
            with open(self.log_path, errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            return ""
        return "\n".join("    | " + x for x in lines[-n:])


def proc_cpu(pid):
    """utime+stime of pid (every thread), seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def proc_hwm_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def other_cpu_ticks(exclude):
    """{pid: ticks} of user-space processes other than `exclude` and their children."""
    procs = benchlib.user_processes_cpu()
    for pid in list(procs):
        if pid in exclude:
            del procs[pid]
    return procs


def lo_bytes():
    """Bytes through this network namespace's loopback (every packet once)."""
    with open("/proc/net/dev") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name.strip() == "lo":
                return int(rest.split()[0])
    return 0


class WireSampler:
    """Watches the namespace's `lo` every 5 ms while the getter runs: `first` is the time
    (from the getter's start) when its first MiB had passed, `last` when `size` bytes had:
    the transfer itself, without a client's start-up, connection retries or exit (only this
    download's peers and tracker are in the namespace)."""

    def __init__(self, size):
        self.size, self.first, self.last = size, None, None
        self.base = lo_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self, t0):
        self.t0 = t0
        self._thread.start()

    def _run(self):
        while not self._stop.wait(0.005):
            n = lo_bytes() - self.base
            now = time.perf_counter() - self.t0
            if self.first is None and n >= MIB:
                self.first = now
            if n >= self.size:
                self.last = now
                return

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)


def wait_port(addr, timeout, proc):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not proc.alive():
            return False
        try:
            with socket.create_connection(addr, timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def scrape_complete(info_hash):
    """The tracker's count of seeds for info_hash (BEP 48 scrape), or -1."""
    url = "http://%s:%d/scrape?info_hash=%s" % (TRACKER + (urllib.parse.quote(info_hash),))
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            body = r.read(65536)
    except OSError:
        return -1
    m = re.search(rb"8:completei(\d+)e", body)
    return int(m.group(1)) if m else -1


def info_hash_of(l7, torrent):
    out = subprocess.run([l7, "torrent", "show", torrent], capture_output=True, text=True,
                         timeout=60).stdout
    m = re.search(r"\b([0-9a-f]{40})\b", out)
    if not m:
        raise RuntimeError("no info hash in `l7 torrent show`: " + out[-500:])
    return bytes.fromhex(m.group(1))


# --- one download ------------------------------------------------------------------------


class Run:
    def __init__(self, a, seed, getter, rep, attempt):
        self.a, self.seed, self.getter, self.rep, self.attempt = a, seed, getter, rep, attempt
        self.dir = os.path.join(a.work, f"{seed}-{getter}")
        self.procs = []

    def pinned(self, cpu):
        return ["taskset", "-c", str(cpu)] if self.a.pin else []

    def start(self, argv, name, **kw):
        p = Proc(argv, os.path.join(self.a.work, f"{name}.log"), **kw)
        self.procs.append(p)
        return p

    def start_seed(self):
        a = self.a
        host, port = SEEDS[self.seed]
        if self.seed == "l7":
            return self.start(self.pinned(0) + [a.l7, "torrent", "seed", a.torrent, a.data,
                                                "--listen", f"{host}:{port}"], "seed")
        return self.start(self.pinned(0) + [sys.executable, os.path.abspath(__file__), "lt",
                                            "seed", a.torrent, os.path.dirname(a.data),
                                            f"{host}:{port}", str(a.timeout)], "seed",
                          ready_re=re.compile(r"^READY"))

    def start_getter(self, out):
        a = self.a
        host, port = GETTERS[self.getter]
        done = DONE_RE[self.getter]
        if self.getter == "l7":
            argv = [a.l7, "torrent", "get", a.torrent, "-o", out, "--listen", f"{host}:{port}"]
        elif self.getter == "aria2c":
            # falloc: the file reserved with fallocate(2) first, as l7 does.
            argv = ["aria2c", f"--interface={host}", f"--listen-port={port}",
                    "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
                    "--enable-peer-exchange=false", "--seed-time=0", f"--dir={out}",
                    "--file-allocation=falloc", "--summary-interval=0",
                    "--console-log-level=notice", "--bt-stop-timeout=0", "--disable-ipv6=true",
                    a.torrent]
        else:
            argv = [sys.executable, os.path.abspath(__file__), "lt", "get", a.torrent, out,
                    f"{host}:{port}", str(a.timeout)]
        return self.start(self.pinned(1) + argv, "getter", done_re=done)

    def execute(self):
        a = self.a
        problems = []
        os.makedirs(self.dir, exist_ok=True)
        out = os.path.join(self.dir, "out")
        os.makedirs(out, exist_ok=True)
        r = {"seed": self.seed, "getter": self.getter, "rep": self.rep,
             "attempt": self.attempt, "pinned": bool(a.pin), "bytes": a.size}
        try:
            tracker = self.start([a.l7, "torrent", "tracker", "--listen", "%s:%d" % TRACKER,
                                  "--interval", "10s", "--no-udp", "-q"], "tracker")
            if not wait_port(TRACKER, 20, tracker):
                raise RuntimeError("the tracker did not listen\n" + tracker.tail())
            seed = self.start_seed()
            # The seed checks its data (SHA-1 of every piece) and announces; the getter is
            # started only once the tracker counts it as a seed.
            end = time.monotonic() + a.timeout
            while scrape_complete(a.info_hash) < 1:
                if not seed.alive() or time.monotonic() > end:
                    raise RuntimeError(f"the {self.seed} seed did not become known to the "
                                       f"tracker as a seed\n" + seed.tail())
                time.sleep(0.1)
            r["quiet_cores"] = benchlib.wait_quiet(a.quiet_cores, 2.0, a.quiet_timeout)
            ours = {os.getpid(), tracker.pid, seed.pid}
            seed_cpu0, tracker_cpu0 = proc_cpu(seed.pid), proc_cpu(tracker.pid)
            others0 = other_cpu_ticks(ours)
            busy0 = benchlib.busy_cpu_seconds()
            wire = WireSampler(a.size)
            getter = self.start_getter(out)
            ours.add(getter.pid)
            wire.start(getter.t0)
            try:
                code = getter.wait_exit(a.timeout)
            finally:
                wire.stop()
            seconds = (getter.exited_at or time.perf_counter()) - getter.t0
            busy = benchlib.busy_cpu_seconds() - busy0
            seed_cpu = proc_cpu(seed.pid) - seed_cpu0 if seed.alive() else None
            tracker_cpu = proc_cpu(tracker.pid) - tracker_cpu0 if tracker.alive() else 0.0
            others1 = other_cpu_ticks(ours)
            other = sum(t - others0.get(pid, 0) for pid, t in others1.items()) / TICK
            if code is None:
                problems.append(f"no exit within {a.timeout:.0f} s")
                getter.stop(signal.SIGKILL)
            elif code != 0:
                problems.append(f"exit status {code}")
            if seed_cpu is None:
                problems.append("the seed exited during the download")
            ru = getter.rusage
            r.update({
                "seconds": seconds,
                "done_seconds": (getter.done_at - getter.t0) if getter.done_at else None,
                "first_mib_seconds": wire.first,
                "wire_seconds": (wire.last - wire.first)
                if wire.last is not None and wire.first is not None else None,
                "seed_cpu": seed_cpu,
                "getter_cpu": (ru.ru_utime + ru.ru_stime) if ru else None,
                "getter_rss_mib": ru.ru_maxrss / 1024 if ru else None,
                "seed_rss_mib": proc_hwm_mib(seed.pid),
                "tracker_cpu": tracker_cpu,
                "other_cores": other / seconds if seconds > 0 else 0.0,
                "busy_cores": busy / seconds if seconds > 0 else 0.0,
            })
        except RuntimeError as e:
            problems.append(str(e))
        finally:
            for p in reversed(self.procs):
                p.stop()
        path = os.path.join(out, os.path.basename(a.data))
        try:
            got = os.path.getsize(path)
        except OSError:
            got = -1
        if not problems:
            if got != a.size:
                problems.append(f"{got:,} bytes on disk, expected {a.size:,}")
            elif a.verify_now(self.seed, self.getter):
                r["verified"] = True
                if sha1_of(path) != a.sha1:
                    problems.append("the downloaded copy differs from the original (SHA-1)")
        if problems:
            for p in self.procs[1:]:
                problems[-1] += f"\n  {os.path.basename(p.log_path)}:\n" + p.tail(8)
        if a.keep_logs:
            os.makedirs(a.keep_logs, exist_ok=True)
            for p in self.procs:
                name = f"{self.rep}-{self.seed}-{self.getter}-{self.attempt}-" + \
                    os.path.basename(p.log_path)
                subprocess.run(["cp", p.log_path, os.path.join(a.keep_logs, name)],
                               timeout=60)
        r["problems"] = problems
        subprocess.run(["rm", "-rf", self.dir], timeout=120)
        return r


def run(argv):
    ap = argparse.ArgumentParser(prog="p2pbench.py run")
    ap.add_argument("--l7", required=True)
    ap.add_argument("--torrent", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seeds", default="l7 libtorrent")
    ap.add_argument("--getters", default="l7 aria2c libtorrent")
    ap.add_argument("--pin", action="store_true")
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--max-other", type=float, default=0.25)
    ap.add_argument("--quiet-cores", type=float, default=0.1)
    ap.add_argument("--quiet-timeout", type=float, default=60.0)
    ap.add_argument("--verify", choices=("row", "all"), default="row")
    ap.add_argument("--keep-logs", help="copy every program's output into this directory")
    a = ap.parse_args(argv)
    with open(a.data + ".json") as f:
        meta = json.load(f)
    a.size, a.sha1 = meta["bytes"], meta["sha1"]
    a.info_hash = info_hash_of(a.l7, a.torrent)
    verified = set()

    def verify_now(seed, getter):
        if a.verify == "all" or (seed, getter) not in verified:
            verified.add((seed, getter))
            return True
        return False
    a.verify_now = verify_now
    seeds, getters = a.seeds.split(), a.getters.split()
    status = 0
    with open(a.results, "a") as out:
        for rep in range(a.reps):
            # Alternation: each repetition starts with the next getter (and the next seed).
            rs = seeds[rep % len(seeds):] + seeds[:rep % len(seeds)]
            rg = getters[rep % len(getters):] + getters[:rep % len(getters)]
            for seed in rs:
                for getter in rg:
                    for attempt in (1, 2, 3):
                        r = Run(a, seed, getter, rep + 1, attempt).execute()
                        disturbed = (not r["problems"] and r["other_cores"] > a.max_other
                                     and attempt < 3)
                        if disturbed:
                            print(f"  {seed} seed -> {getter}: disturbed "
                                  f"({r['other_cores']:.2f} cores used elsewhere), repeating",
                                  file=sys.stderr, flush=True)
                            continue
                        print(json.dumps(r), file=out, flush=True)
                        print(f"  rep {rep + 1}: {show(r)}", file=sys.stderr, flush=True)
                        if r["problems"]:
                            status = 1
                        break
    return status


# --- printing ----------------------------------------------------------------------------


def wire_rate(r):
    """MB/s on the wire from the first MiB to the whole file, or None."""
    if r.get("wire_seconds"):
        return (r["bytes"] - MIB) / r["wire_seconds"] / 1e6
    return None


def show(r):
    text = f"{r['seed']} seed -> {r['getter']}: "
    if "seconds" in r:
        text += f"{r['seconds']:.2f} s, {r['bytes'] / r['seconds'] / 1e6:,.0f} MB/s"
        if r.get("done_seconds"):
            text += f" (done at {r['done_seconds']:.2f} s)"
        if r.get("first_mib_seconds") is not None:
            text += f", first MiB at {r['first_mib_seconds']:.2f} s"
        if wire_rate(r):
            text += f", wire {wire_rate(r):,.0f} MB/s"
        text += (f", CPU seed {fmt_cpu(r['seed_cpu'])} getter {fmt_cpu(r['getter_cpu'])}"
                 f", {r['other_cores']:.2f} cores elsewhere")
    if r["problems"]:
        text += " PROBLEMS: " + "; ".join(r["problems"])
    return text


def fmt_cpu(v):
    return "?" if v is None else f"{v:.2f} s"


def _fmt(values, digits):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    med = statistics.median(values)
    return f"{med:,.{digits}f} [{min(values):,.{digits}f}-{max(values):,.{digits}f}]"


def _med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _num(v, digits, width):
    return f"{v:>{width},.{digits}f}" if v is not None else f"{'-':>{width}}"


def summary(path):
    runs = [json.loads(line) for line in open(path) if line.strip()]
    good = [r for r in runs if not r["problems"]]
    if not runs:
        print("summary: no runs", file=sys.stderr)
        return 1
    size = runs[0]["bytes"]
    groups, failed = {}, {}
    for r in runs:
        key = (r["seed"], r["getter"])
        groups.setdefault(key, [])
        if r["problems"]:
            failed[key] = failed.get(key, 0) + 1
        else:
            groups[key].append(r)
    order = {"l7": 0, "aria2c": 1, "libtorrent": 2}
    keys = sorted(groups, key=lambda k: (order.get(k[0], 9), order.get(k[1], 9)))
    header = (f"{'seed':<10} {'getter':<10} {'n':>2} {'time s median [range]':>23} "
              f"{'MB/s':>5} {'done s':>6} {'1st MiB':>7} {'wire MB/s':>9} "
              f"{'seed CPU s':>17} {'getter CPU s':>17} {'RSS MiB':>8} {'other':>5}")
    print(header)
    print("-" * len(header))
    med = {}
    for key in keys:
        rs = groups[key]
        if not rs:
            print(f"{key[0]:<10} {key[1]:<10} {0:>2}   every download failed "
                  f"({failed[key]}); see the messages above")
            continue
        t = _med(r["seconds"] for r in rs)
        wire = _med(r.get("wire_seconds") for r in rs)
        med[key] = {"time": t, "wire": wire, "seed_cpu": _med(r["seed_cpu"] for r in rs),
                    "getter_cpu": _med(r["getter_cpu"] for r in rs)}
        rss = (f"{_med(r.get('seed_rss_mib') for r in rs) or 0:.0f}/"
               f"{_med(r.get('getter_rss_mib') for r in rs) or 0:.0f}")
        note = f" ({failed[key]} failed)" if key in failed else ""
        print(f"{key[0]:<10} {key[1]:<10} {len(rs):>2} {_fmt([r['seconds'] for r in rs], 2):>23} "
              f"{size / t / 1e6:>5,.0f} {_num(_med(r.get('done_seconds') for r in rs), 2, 6)} "
              f"{_num(_med(r.get('first_mib_seconds') for r in rs), 2, 7)} "
              f"{_num((size - MIB) / wire / 1e6 if wire else None, 0, 9)} "
              f"{_fmt([r['seed_cpu'] for r in rs], 2):>17} "
              f"{_fmt([r['getter_cpu'] for r in rs], 2):>17} {rss:>8} "
              f"{max(r['other_cores'] for r in rs):>5.2f}{note}")
    print(f"({size / MIB:,.0f} MiB from one seed to one getter; time: from the getter's start to "
          "its exit with the whole file, MB/s = 10^6 bytes/s over that time; done: to the "
          "getter's own \"complete\" line; 1st MiB: when the first MiB had passed on the "
          "namespace's loopback; wire MB/s: from then to the last byte, i.e. the transfer "
          "without start-up and exit; CPU: utime+stime during the download; RSS: peak of "
          "seed/getter (libtorrent maps the file, so its pages count); other: cores used "
          "by other processes, the largest of the runs)")

    def ratio(x, y):
        return f"x{x / y:.2f}" if x is not None and y else "n/a"
    for seed in dict.fromkeys(k[0] for k in keys):
        base = med.get((seed, "l7"))
        if not base:
            continue
        for getter in (k[1] for k in keys if k[0] == seed and k[1] != "l7"):
            o = med.get((seed, getter))
            if o:
                print(f"{seed} seed, {getter} / l7 getter: time {ratio(o['time'], base['time'])}"
                      f", wire time {ratio(o['wire'], base['wire'])}, getter CPU "
                      f"{ratio(o['getter_cpu'], base['getter_cpu'])}, seed CPU "
                      f"{ratio(o['seed_cpu'], base['seed_cpu'])}")
    for getter in dict.fromkeys(k[1] for k in keys):
        base = med.get(("l7", getter))
        for seed in (k[0] for k in keys if k[1] == getter and k[0] != "l7"):
            o = med.get((seed, getter))
            if base and o:
                print(f"{getter} getter, {seed} / l7 seed: time {ratio(o['time'], base['time'])}"
                      f", wire time {ratio(o['wire'], base['wire'])}, seed CPU "
                      f"{ratio(o['seed_cpu'], base['seed_cpu'])}")
    print("(ratios of medians, other / l7: above 1 = l7 faster or cheaper)")
    return 1 if len(good) != len(runs) else 0


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "data" and len(args) == 2:
        write_data(args[0], int(args[1]))
        return 0
    if cmd == "run":
        return run(args)
    if cmd == "lt" and len(args) == 5 and args[0] in ("seed", "get"):
        libtorrent_peer(args[0], args[1], args[2], args[3], float(args[4]))
        return 1
    if cmd == "show" and len(args) == 1:
        print(show(json.loads(args[0])))
        return 0
    if cmd == "summary" and len(args) == 1:
        return summary(args[0])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
