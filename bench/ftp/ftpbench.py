"""Helpers for bench/ftp/transfer.sh (method: ../shared/docs/benchmarking.md).

CPU accounting comes from ../socket/benchlib.py: utime+stime (and the children reaped) of the
server's process tree from /proc, in clock ticks (10 ms; this kernel has no schedstat).
As a command:
    ftpbench.py files DIR LARGE_BYTES SMALL_COUNT SMALL_SIZE
                                          DIR/big.bin (LARGE_BYTES of pseudo-random bytes),
                                          DIR/small/fNNNNN (SMALL_COUNT files of SMALL_SIZE
                                          bytes, each with its own content) and
                                          DIR.json (the sizes and the CRC-32 of big.bin)
    ftpbench.py session --port P --server-pid PID --label L --placement P
                 --manifest DIR.json [--works large,small,upload] [--large-runs R]
                 [--client python|curl] [--upload-user U --upload-password W
                 --upload-local DIR] [--max-other C]
                                          one control connection per work: a verified
                                          warm-up, then the timed runs; JSON lines
    ftpbench.py iperf3 --port P --server-pid PID --placement P [--seconds 5]
                                          one `iperf3 -c 127.0.0.1 -R -J` run against the
                                          running `iperf3 -s`; a JSON line
    ftpbench.py show JSON | summary RESULTS.jsonl
                                          one run on one line | median and range per
                                          server, the ratios l7 / vsftpd and % of iperf3

The FTP client is Python's socket module: EPSV (RFC 2428) for every data connection, TYPE I,
the large file read with recv_into() into one reused buffer and discarded (its bytes only
counted; the warm-up download is checked with CRC-32), each small file compared with the
content it was written with.
"""

import argparse
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "socket"))
import benchlib  # noqa: E402

GIB = 1 << 30
LARGE = "big.bin"
SMALL_DIR = "small"
RECV_BUFFER = 1 << 20
EPSV_RE = re.compile(rb"\(\|\|\|(\d+)\|\)")

# --- the files ---------------------------------------------------------------------------


def small_name(i):
    return f"f{i:05d}"


def small_content(i, size):
    """The bytes of small file i: its number repeated, so every file differs."""
    unit = b"%06d\n" % i
    return (unit * (size // len(unit) + 1))[:size]


def write_files(directory, large_bytes, small_count, small_size):
    os.makedirs(os.path.join(directory, SMALL_DIR), exist_ok=True)
    block = bytearray(os.urandom(1 << 20))
    crc = 0
    left = large_bytes
    with open(os.path.join(directory, LARGE), "wb") as f:
        n = 0
        while left > 0:
            # A different block each MiB (its first 8 bytes are the block number).
            block[:8] = n.to_bytes(8, "little")
            chunk = block if left >= len(block) else block[:left]
            f.write(chunk)
            crc = zlib.crc32(chunk, crc)
            left -= len(chunk)
            n += 1
    for i in range(small_count):
        with open(os.path.join(directory, SMALL_DIR, small_name(i)), "wb") as f:
            f.write(small_content(i, small_size))
    manifest = {"large_bytes": large_bytes, "large_crc": crc, "small_count": small_count,
                "small_size": small_size}
    with open(directory.rstrip("/") + ".json", "w") as f:
        json.dump(manifest, f)
    print(f"{LARGE}: {large_bytes:,} bytes (CRC-32 {crc:08x}); {small_count} files of "
          f"{small_size} bytes in {SMALL_DIR}/")


# --- the FTP client ----------------------------------------------------------------------


class FtpError(RuntimeError):
    pass


class Ftp:
    """A raw FTP client on 127.0.0.1: one control connection, replies read line by line."""

    def __init__(self, port, timeout, quickack=False):
        self.port = port
        self.timeout = timeout
        self.quickack = quickack
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.expect(self.reply(), b"220", "greeting")

    def _line(self):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                out = bytes(self.buf[:i + 1])
                del self.buf[:i + 1]
                return out
            chunk = self.sock.recv(65536)
            if not chunk:
                raise FtpError("the server closed the control connection")
            self.buf += chunk

    def reply(self):
        """A whole reply (multi-line ones too, RFC 959 4.2): its first line and last line."""
        first = self._line()
        last = first
        if len(first) >= 4 and first[3:4] == b"-":
            end = first[:3] + b" "
            while not last.startswith(end):
                last = self._line()
        return first, last

    @staticmethod
    def expect(rep, codes, what):
        if not rep[0][:3] in codes.split():
            raise FtpError(f"{what}: {rep[0].decode(errors='replace').strip()}")
        return rep

    def command(self, text, codes):
        self.sock.sendall(text.encode() + b"\r\n")
        rep = self.reply()
        if self.quickack:
            # Acknowledge the reply at once instead of after the delayed-ACK timeout (40 ms):
            # a diagnostic for a server whose next reply waits for that ACK (Nagle).
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        return self.expect(rep, codes, text.split()[0])

    def login(self, user, password):
        rep = self.command(f"USER {user}", b"230 331")
        if rep[0].startswith(b"331"):
            self.command(f"PASS {password}", b"230")
        self.command("TYPE I", b"200")

    def data(self):
        rep = self.command("EPSV", b"229")
        m = EPSV_RE.search(rep[0])
        if not m:
            raise FtpError(f"EPSV: {rep[0]!r}")
        d = socket.create_connection(("127.0.0.1", int(m.group(1))), timeout=self.timeout)
        return d

    def retr_count(self, name, buf):
        """RETR name: the bytes received (into buf, overwritten again and again) and the
        perf_counter() time of the end of the data (before the 226 reply)."""
        d = self.data()
        try:
            self.command(f"RETR {name}", b"150 125")
            n = 0
            recv_into = d.recv_into
            while True:
                k = recv_into(buf)
                if not k:
                    break
                n += k
            eof = time.perf_counter()
        finally:
            d.close()
        self.expect(self.reply(), b"226 250", f"RETR {name} (end)")
        return n, eof

    def retr_crc(self, name, buf):
        d = self.data()
        n = crc = 0
        view = memoryview(buf)
        try:
            self.command(f"RETR {name}", b"150 125")
            while True:
                k = d.recv_into(buf)
                if not k:
                    break
                n += k
                crc = zlib.crc32(view[:k], crc)
        finally:
            d.close()
        self.expect(self.reply(), b"226 250", f"RETR {name} (end)")
        return n, crc

    def retr_small(self, name, buf):
        """RETR name into buf (large enough): the number of bytes."""
        d = self.data()
        view = memoryview(buf)
        n = 0
        try:
            self.command(f"RETR {name}", b"150 125")
            while True:
                k = d.recv_into(view[n:])
                if not k:
                    break
                n += k
                if n == len(buf):
                    raise FtpError(f"RETR {name}: more than {len(buf)} bytes")
        finally:
            d.close()
        self.expect(self.reply(), b"226 250", f"RETR {name} (end)")
        return n

    def stor(self, name, payload):
        d = self.data()
        try:
            self.command(f"STOR {name}", b"150 125")
            d.sendall(payload)
        finally:
            d.close()
        self.expect(self.reply(), b"226 250", f"STOR {name} (end)")

    def close(self):
        try:
            self.sock.sendall(b"QUIT\r\n")
            self.reply()
        except (OSError, FtpError):
            pass
        self.sock.close()


# --- measuring ---------------------------------------------------------------------------


def measured(a, work, body):
    """Runs body(t0, attempt) (returning (ops, bytes, problems, the CPU seconds of its
    children or None, extra fields)) inside a CPU window, up to 3 times while other processes
    used more than --max-other cores. A JSON record."""
    for attempt in (1, 2, 3):
        window = benchlib.Window(a.server_pid)
        busy0 = benchlib.busy_cpu_seconds()
        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        ops, nbytes, problems, child_cpu, extra = body(t0, attempt)
        took = time.perf_counter() - t0
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        w = window.close()
        busy = benchlib.busy_cpu_seconds() - busy0
        client = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        if child_cpu is not None:
            client += child_cpu
        # Other processes: per process from /proc, or the whole machine less the server and
        # the client (which also holds kernel threads), the larger.
        residual = (busy - w["server_cpu"] - client) / w["seconds"]
        other = max(w["other_cores"], residual)
        r = {
            "server": a.label, "placement": a.placement, "work": work, "ops": ops,
            "bytes": nbytes, "seconds": took, "server_cpu": w["server_cpu"],
            "client_cpu": client, "other_cores": other,
            "other_processes_cores": w["other_cores"], "problems": problems,
        }
        r.update(extra)
        if other <= a.max_other or attempt == 3:
            return r
        print(f"  {a.placement} {a.label} {work}: disturbed ({other:.2f} cores used "
              "elsewhere), repeating", file=sys.stderr)
    return r


def curl_download(a, nbytes):
    """The large file with curl: (bytes, seconds of the transfer, curl's CPU seconds)."""
    c0 = os.times()
    proc = subprocess.run(
        ["curl", "-s", "-S", "-o", "/dev/null", f"ftp://127.0.0.1:{a.port}/{LARGE}",
         "-w", "%{size_download} %{time_pretransfer} %{time_total}"],
        capture_output=True, text=True, timeout=a.timeout)
    c1 = os.times()
    if proc.returncode != 0:
        raise FtpError(f"curl exited with {proc.returncode}: {proc.stderr.strip()[-300:]}")
    size, pre, total = proc.stdout.split()
    cpu = (c1.children_user + c1.children_system) - (c0.children_user + c0.children_system)
    return int(size), float(total) - float(pre), cpu


def work_large(a, manifest, out):
    nbytes = manifest["large_bytes"]
    buf = bytearray(RECV_BUFFER)
    status = 0
    ftp = Ftp(a.port, a.timeout, a.quickack)
    try:
        ftp.login("anonymous", "bench@")
        # The warm-up download, checked.
        t0 = time.perf_counter()
        n, crc = ftp.retr_crc(LARGE, buf)
        if n != nbytes or crc != manifest["large_crc"]:
            print(f"  {a.label} large (warm-up): {n:,} bytes, CRC-32 {crc:08x}, expected "
                  f"{nbytes:,} and {manifest['large_crc']:08x}", file=sys.stderr)
            return 1
        if a.verbose:
            rate = n / (time.perf_counter() - t0) / 1e6
            print(f"  {a.placement} {a.label} large: warm-up {rate:,.0f} MB/s with CRC-32 "
                  "(checked)", file=sys.stderr)
        for _ in range(a.large_runs):
            if a.client == "curl":
                seconds = {}

                def body(t0, attempt):
                    got, secs, cpu = curl_download(a, nbytes)
                    seconds["transfer"] = secs
                    p = [] if got == nbytes else [f"{got:,} bytes, expected {nbytes:,}"]
                    return 1, got, p, cpu, {}
                r = measured(a, "large", body)
                # curl's own transfer time: without its start and the login.
                r["seconds_with_login"] = r["seconds"]
                r["seconds"] = seconds["transfer"]
            else:
                def body(t0, attempt):
                    got, eof = ftp.retr_count(LARGE, buf)
                    p = [] if got == nbytes else [f"{got:,} bytes, expected {nbytes:,}"]
                    # From RETR to the end of the data, without waiting for the 226.
                    return 1, got, p, None, {"data_seconds": eof - t0}
                r = measured(a, "large", body)
            r["client"] = a.client
            status |= emit(r, out)
    finally:
        ftp.close()
    return status


def work_small(a, manifest, out):
    count, size = manifest["small_count"], manifest["small_size"]
    names = [f"{SMALL_DIR}/{small_name(i)}" for i in range(count)]
    expected = [small_content(i, size) for i in range(count)]
    buf = bytearray(max(65536, 2 * size))
    ftp = Ftp(a.port, a.timeout, a.quickack)
    try:
        ftp.login("anonymous", "bench@")
        for name in names[:min(20, count)]:  # warm-up
            ftp.retr_small(name, buf)

        def body(t0, attempt):
            bad = []
            total = 0
            for name, want in zip(names, expected):
                n = ftp.retr_small(name, buf)
                total += n
                if n != len(want) or buf[:n] != want:
                    bad.append(name)
            p = [f"{len(bad)} files differ from what was written, e.g. {bad[0]}"] if bad else []
            return count, total, p, None, {}
        r = measured(a, "small", body)
    finally:
        ftp.close()
    return emit(r, out)


def work_upload(a, manifest, out):
    count, size = manifest["small_count"], manifest["small_size"]
    payloads = [small_content(i, size) for i in range(count)]
    local = a.upload_local
    warm = min(20, count)
    ftp = Ftp(a.port, a.timeout, a.quickack)
    try:
        ftp.login(a.upload_user, a.upload_password)
        for i in range(warm):
            ftp.stor(f"{a.upload_dir}/w{i:05d}", payloads[i])

        def body(t0, attempt):
            # New names for a repeated run: anonymous vsftpd users may not overwrite.
            for i, data in enumerate(payloads):
                ftp.stor(f"{a.upload_dir}/{small_name(i)}.{attempt}", data)
            return count, count * size, [], None, {"attempt": attempt}
        r = measured(a, "upload", body)
    finally:
        ftp.close()
    # Every file of the run kept there, whole, with its content.
    bad = []
    for i, data in enumerate(payloads):
        try:
            with open(os.path.join(local, f"{small_name(i)}.{r['attempt']}"), "rb") as f:
                if f.read() != data:
                    bad.append(small_name(i))
        except OSError:
            bad.append(small_name(i))
    if bad:
        r["problems"].append(f"{len(bad)} uploaded files missing or wrong, e.g. {bad[0]}")
    return emit(r, out)


def emit(r, out):
    print(json.dumps(r), file=out, flush=True)
    print(f"  {r['placement']} {r['server']} {r['work']}: {show(r)}", file=sys.stderr)
    return 1 if r["problems"] else 0


def session(argv):
    ap = argparse.ArgumentParser(prog="ftpbench.py session")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--server-pid", type=int, required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--placement", required=True)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--works", default="large,small")
    ap.add_argument("--large-runs", type=int, default=3)
    ap.add_argument("--client", choices=("python", "curl"), default="python")
    ap.add_argument("--upload-user", default="anonymous")
    ap.add_argument("--upload-password", default="bench@")
    ap.add_argument("--upload-dir", default="up", help="as the FTP user sees it")
    ap.add_argument("--upload-local", help="the same directory on this machine")
    ap.add_argument("--max-other", type=float, default=0.25)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--quickack", action="store_true",
                    help="TCP_QUICKACK on the control connection after each reply")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    manifest = json.load(open(a.manifest))
    status = 0
    for work in (w for w in a.works.split(",") if w):
        try:
            status |= {"large": work_large, "small": work_small,
                       "upload": work_upload}[work](a, manifest, sys.stdout)
        except (OSError, FtpError, subprocess.TimeoutExpired) as e:
            print(f"  {a.placement} {a.label} {work}: {e}", file=sys.stderr)
            status = 1
    return status


def iperf3(argv):
    ap = argparse.ArgumentParser(prog="ftpbench.py iperf3")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--server-pid", type=int, required=True)
    ap.add_argument("--placement", required=True)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--max-other", type=float, default=0.25)
    a = ap.parse_args(argv)
    a.label = "iperf3"
    got = {}

    def body(t0, attempt):
        c0 = os.times()
        proc = subprocess.run(["iperf3", "-c", "127.0.0.1", "-p", str(a.port), "-R",
                               "-t", str(a.seconds), "-J"],
                              capture_output=True, text=True, timeout=a.seconds + 60)
        c1 = os.times()
        cpu = (c1.children_user + c1.children_system) - (c0.children_user + c0.children_system)
        try:
            rec = json.loads(proc.stdout)["end"]["sum_received"]
        except (ValueError, KeyError):
            raise FtpError(f"iperf3 exited with {proc.returncode}: {proc.stdout[-300:]}"
                           f"{proc.stderr[-300:]}")
        got["seconds"] = rec["seconds"]
        return 1, int(rec["bytes"]), [], cpu, {}
    try:
        r = measured(a, "iperf3", body)
    except (OSError, FtpError, subprocess.TimeoutExpired) as e:
        print(f"  {a.placement} iperf3: {e}", file=sys.stderr)
        return 1
    # iperf3's own measured interval (the run less its connection set-up).
    r["seconds_with_setup"] = r["seconds"]
    r["seconds"] = got["seconds"]
    r["server"] = "iperf3"
    return emit(r, sys.stdout)


# --- printing ----------------------------------------------------------------------------


def show(r):
    if r["work"] in ("large", "iperf3"):
        text = (f"{r['bytes'] / r['seconds'] / 1e6:,.0f} MB/s "
                f"({r['bytes'] * 8 / r['seconds'] / 1e9:.1f} Gbit/s)")
        if "data_seconds" in r:
            text += f" ({r['bytes'] / r['data_seconds'] / 1e6:,.0f} MB/s to the data's end)"
        text += (f", server CPU {r['server_cpu']:.2f} s = "
                 f"{r['server_cpu'] / (r['bytes'] / GIB):.3f} s/GiB")
    else:
        text = (f"{r['ops'] / r['seconds']:,.0f} files/s ({r['seconds']:.2f} s for {r['ops']}), "
                f"server CPU {r['server_cpu']:.2f} s = "
                f"{1e3 * r['server_cpu'] / r['ops']:.3f} ms/file")
    text += (f", client {r['client_cpu'] / r['seconds']:.2f} core, "
             f"{r['other_cores']:.2f} cores elsewhere")
    if r["problems"]:
        text += " PROBLEMS: " + "; ".join(r["problems"])
    return text


def _fmt(values, scale, digits):
    med = statistics.median(values) * scale
    return (f"{med:,.{digits}f} [{min(values) * scale:,.{digits}f}-"
            f"{max(values) * scale:,.{digits}f}]")


def summary(path):
    runs = [json.loads(line) for line in open(path) if line.strip()]
    if not runs:
        print("summary: no runs", file=sys.stderr)
        return 1
    groups = {}
    for r in runs:
        groups.setdefault((r["work"] if r["work"] != "iperf3" else "large", r["placement"],
                           r["server"]), []).append(r)
    order = {"large": 0, "small": 1, "upload": 2}
    keys = sorted(groups, key=lambda k: (order.get(k[0], 9), k[1] != "pinned", k[1]))
    header = (f"{'work':<6} {'placement':<9} {'server':<6} {'n':>2} "
              f"{'throughput median [range]':>30} {'Gbit/s':>6} {'data end':>9} "
              f"{'server CPU per GiB|file':>27} {'busy':>5} {'client':>6} {'other':>5}")
    print(header)
    print("-" * len(header))
    med = {}
    for key in keys:
        work, placement, server = key
        rs = groups[key]
        bad = " !" if any(r["problems"] for r in rs) else ""
        busy = statistics.median(r["server_cpu"] / r["seconds"] for r in rs)
        client = statistics.median(r["client_cpu"] / r["seconds"] for r in rs)
        other = max(r["other_cores"] for r in rs)
        data_end = f"{'':9}"
        if work == "large":
            rate = [r["bytes"] / r["seconds"] for r in rs]
            cpu = [r["server_cpu"] / (r["bytes"] / GIB) for r in rs]
            thr = _fmt(rate, 1e-6, 0) + " MB/s"
            gbit = f"{statistics.median(rate) * 8e-9:6.1f}"
            cpus = _fmt(cpu, 1, 3) + " s"
            ends = [r["bytes"] / r["data_seconds"] for r in rs if "data_seconds" in r]
            data_end = f"{statistics.median(ends) * 8e-9:9.1f}" if ends else data_end
            med[key] = (statistics.median(rate), statistics.median(cpu),
                        statistics.median(ends) if ends else statistics.median(rate))
        else:
            rate = [r["ops"] / r["seconds"] for r in rs]
            cpu = [r["server_cpu"] / r["ops"] for r in rs]
            thr = _fmt(rate, 1, 0) + " files/s"
            gbit = f"{'':6}"
            cpus = _fmt(cpu, 1e3, 3) + " ms"
            med[key] = (statistics.median(rate), statistics.median(cpu))
        print(f"{work:<6} {placement:<9} {server:<6} {len(rs):>2} {thr:>30} {gbit} {data_end} "
              f"{cpus:>27} {busy:>5.2f} {client:>6.2f} {other:>5.2f}{bad}")
    print("(large: MB = 10^6 bytes, from RETR to the 226 reply; \"data end\": Gbit/s from RETR "
          "to the end of the data connection, without waiting for the 226; iperf3 -R: the "
          "server sends, like an FTP download; server CPU s per GiB sent; small/upload: server "
          "CPU ms per file; busy = server cores, client = the client's cores (Python), other = "
          "cores used elsewhere, the largest of the runs; ! = a check failed)")
    for work, placement in dict.fromkeys((w, p) for w, p, _ in keys):
        l7 = med.get((work, placement, "l7"))
        peer = med.get((work, placement, "vsftpd"))
        if l7 and peer:
            cpu = f"x{l7[1] / peer[1]:.2f}" if peer[1] > 0 else "n/a (0 ticks)"
            print(f"{placement} {work}: l7 / vsftpd: throughput x{l7[0] / peer[0]:.2f}, "
                  f"server CPU per {'GiB' if work == 'large' else 'file'} {cpu} "
                  "(lower is better)")
        ip = med.get((work, placement, "iperf3"))
        if work == "large" and ip:
            parts = [f"{s} {med[(work, placement, s)][0] / ip[0] * 100:.0f}% "
                     f"({med[(work, placement, s)][2] / ip[0] * 100:.0f}% to the data's end)"
                     for s in ("l7", "vsftpd") if (work, placement, s) in med]
            print(f"{placement} large: % of iperf3's loopback throughput "
                  f"({ip[0] * 8e-9:.1f} Gbit/s): " + ", ".join(parts) +
                  " (target for l7: >= 90%)")
    return 0


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "files" and len(args) == 4:
        write_files(args[0], int(args[1]), int(args[2]), int(args[3]))
        return 0
    if cmd == "session":
        return session(args)
    if cmd == "iperf3":
        return iperf3(args)
    if cmd == "show" and len(args) == 1:
        print(show(json.loads(args[0])))
        return 0
    if cmd == "summary" and len(args) == 1:
        return summary(args[0])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
