"""`l7 link`, the userspace link emulator, in front of l7's uppercase servers, driven with
Python's sockets and netcat: bytes arrive intact and in order, UDP flows both ways, delay and
rate take at least the time they must (lower bounds only: a slow machine must not fail these
tests), full loss delivers nothing, and bad options exit 2 with one sentence.

Run by hand: /usr/bin/python3 tests/interop/test_link.py build/debug/l7 -v
"""

import random
import re
import shutil
import socket
import subprocess
import threading
import time

import l7test
from l7test import IO_TIMEOUT, LISTEN_RE, recv_lines, recv_to_eof, tcp_connect, udp_socket

# Timers never fire early, so a measured time can fall short of the emulated one only by the
# clocks' granularity; this slack covers it.
SLACK = 0.02


def lowercase_lines(total, seed):
    """About `total` bytes of lines (letters, digits, spaces; at most 200 bytes each), whose
    uppercase version is what the uppercase server sends back."""
    rng = random.Random(seed)
    alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789 .,-"
    lines, size = [], 0
    while size < total:
        line = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 199)))
        lines.append(line)
        size += len(line) + 1
    return b"\n".join(lines) + b"\n"


class LinkTest(l7test.TestCase):
    def start_link(self, target, *args):
        """`l7 link --listen 127.0.0.1:0 --to TARGET ARGS...`; returns (process, ports), ports
        mapping "tcp" and/or "udp" to the link's bound port."""
        p = self.background(["link", "--listen", "127.0.0.1:0", "--to", target] + list(args))
        p.wait_for(r"link: delay ")  # logged once every listener is bound
        ports = {proto: int(port) for proto, _, port in LISTEN_RE.findall(p.stderr())}
        return p, ports

    def stop_and_report(self, link):
        """Stops the link (SIGTERM, exit 0) and returns its counters' log lines by name."""
        self.assertStopsCleanly(link)
        report = {}
        for name in ("up", "down"):
            m = re.search(r"link: %s \(.*\): (.*)" % name, link.stderr())
            self.assertIsNotNone(m, link.describe())
            report[name] = m.group(1)
        return report

    def uppercase_through(self, port, data, timeout=60.0):
        """Sends `data` through the link to the uppercase server while reading the replies,
        half-closes, and returns everything received up to the server's close."""
        with tcp_connect(("127.0.0.1", port)) as s:
            failure = []

            def send():
                try:
                    s.sendall(data)
                    s.shutdown(socket.SHUT_WR)
                except OSError as e:
                    failure.append(e)

            sender = threading.Thread(target=send, daemon=True)
            sender.start()
            received = recv_to_eof(s, timeout=timeout)
            sender.join(timeout=IO_TIMEOUT)
            self.assertFalse(sender.is_alive(), "the sender hung")
            self.assertEqual(failure, [])
            return received

    # --- TCP -------------------------------------------------------------------------------

    def test_tcp_megabytes_arrive_intact_and_in_order(self):
        srv = self.server("tcp-server")
        # Jitter must never reorder a byte stream.
        link, ports = self.start_link(srv.hostport, "--tcp-only", "--delay", "20ms",
                                      "--jitter", "15ms")
        data = lowercase_lines(4 << 20, seed=7)
        received = self.uppercase_through(ports["tcp"], data)
        self.assertEqual(len(received), len(data))
        if received != data.upper():
            at = next(i for i, (a, b) in enumerate(zip(received, data.upper())) if a != b)
            self.fail("first difference at byte %d of %d" % (at, len(data)))
        report = self.stop_and_report(link)
        self.assertIn("%d bytes in " % len(data), report["up"])
        self.assertIn("%d bytes out " % len(data), report["up"])
        self.assertIn("0 lost, 0 dropped", report["up"])
        self.assertIn("%d bytes out " % len(data), report["down"])
        self.assertRegex(link.stderr(), r"1 tcp connection\(s\) \(0 could not reach")
        self.assertStopsCleanly(srv)

    def test_tcp_delay_costs_round_trips(self):
        srv = self.server("tcp-server")
        link, ports = self.start_link(srv.hostport, "--tcp-only", "--delay", "100ms")
        start = time.monotonic()
        with tcp_connect(("127.0.0.1", ports["tcp"])) as s:
            s.sendall(b"first\n")
            self.assertEqual(recv_lines(s, 1), [b"FIRST"])
            # The handshake's round trip, then the line's: four one-way delays.
            self.assertGreaterEqual(time.monotonic() - start, 0.4 - SLACK)
            again = time.monotonic()
            s.sendall(b"second\n")
            self.assertEqual(recv_lines(s, 1), [b"SECOND"])
            self.assertGreaterEqual(time.monotonic() - again, 0.2 - SLACK)
            s.shutdown(socket.SHUT_WR)
            self.assertEqual(recv_to_eof(s), b"")  # the half-close crossed the link
        self.assertStopsCleanly(link)
        self.assertStopsCleanly(srv)

    def test_tcp_rate_limits_a_large_transfer(self):
        srv = self.server("tcp-server")
        # 8 Mbit/s is 1 MB/s: a megabyte takes at least a second in each direction.
        link, ports = self.start_link(srv.hostport, "--tcp-only", "--rate", "8mbit",
                                      "--queue", "32KiB")
        data = lowercase_lines(1_000_000, seed=11)
        start = time.monotonic()
        received = self.uppercase_through(ports["tcp"], data)
        elapsed = time.monotonic() - start
        self.assertEqual(received, data.upper())
        self.assertGreaterEqual(elapsed, len(data) * 8 / 8e6 - SLACK)
        report = self.stop_and_report(link)
        # Back-pressure kept the queue within its bound instead of dropping.
        m = re.search(r"queue high-water (\d+) bytes", report["up"])
        self.assertLessEqual(int(m.group(1)), 32 * 1024, report["up"])
        self.assertIn("0 dropped", report["up"])
        self.assertStopsCleanly(srv)

    def test_netcat_through_the_link(self):
        nc = shutil.which("nc")
        if nc is None:
            self.fail("nc (netcat-openbsd) is not installed; run scripts/deps.sh")
        srv = self.server("tcp-server")
        link, ports = self.start_link(srv.hostport, "--delay", "10ms", "--rate", "1.54mbit")
        cp = subprocess.run(
            [nc, "-N", "127.0.0.1", str(ports["tcp"])],
            input=b"hello\nworld\n",
            capture_output=True,
            timeout=30,
        )
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout, b"HELLO\nWORLD\n")
        self.assertStopsCleanly(link)
        self.assertStopsCleanly(srv)

    def test_tcp_target_not_listening(self):
        port = l7test.free_port()
        link, ports = self.start_link("127.0.0.1:%d" % port, "--tcp-only", "--delay", "5ms")
        with tcp_connect(("127.0.0.1", ports["tcp"])) as s:
            try:
                s.sendall(b"anyone?\n")
            except OSError:
                pass
            # The link accepted, could not connect onwards, and reset the client.
            self.assertEqual(recv_to_eof(s), b"")
        self.assertStillRunning(link)
        self.assertStopsCleanly(link)
        self.assertRegex(link.stderr(), r"1 tcp connection\(s\) \(1 could not reach")

    # --- UDP -------------------------------------------------------------------------------

    def test_udp_datagrams_relayed_both_ways(self):
        srv = self.server("udp-server")
        link, ports = self.start_link(srv.hostport, "--udp-only", "--delay", "30ms",
                                      "--jitter", "5ms")
        address = ("127.0.0.1", ports["udp"])
        # Two clients: each gets its own mapping and only its own replies.
        with udp_socket() as a, udp_socket() as b:
            for i in range(5):
                start = time.monotonic()
                a.sendto(b"from a %d" % i, address)
                b.sendto(b"from b %d" % i, address)
                data, peer = a.recvfrom(65535)
                self.assertEqual(data, b"FROM A %d" % i)
                self.assertEqual(peer, address)  # replies come from the link's address
                self.assertGreaterEqual(time.monotonic() - start, 2 * (0.030 - 0.005) - SLACK)
                data, peer = b.recvfrom(65535)
                self.assertEqual(data, b"FROM B %d" % i)
            # A large datagram crosses whole.
            big = bytes(random.Random(3).choice(b"abcxyz") for _ in range(60000))
            a.sendto(big, address)
            self.assertEqual(a.recvfrom(65535)[0], big.upper())
        report = self.stop_and_report(link)
        self.assertIn("bytes in 11 packets, ", report["up"])
        self.assertIn("bytes out in 11 packets", report["down"])
        self.assertRegex(link.stderr(), r"2 udp client\(s\)")
        self.assertStopsCleanly(srv)

    def test_udp_full_loss_delivers_nothing(self):
        srv = self.server("udp-server")
        link, ports = self.start_link(srv.hostport, "--udp-only", "--loss", "100%")
        with udp_socket(timeout=1.0) as s:
            for i in range(20):
                s.sendto(b"lost %d" % i, ("127.0.0.1", ports["udp"]))
            with self.assertRaises(socket.timeout):
                s.recvfrom(65535)
        report = self.stop_and_report(link)
        self.assertIn("in 20 packets, 0 bytes out in 0 packets, 20 lost", report["up"])
        self.assertIn("0 bytes in 0 packets", report["down"])
        self.assertStopsCleanly(srv)

    def test_udp_mappings_expire_and_are_bounded(self):
        srv = self.server("udp-server")
        link, ports = self.start_link(srv.hostport, "--udp-only", "--idle-timeout", "200ms",
                                      "--max-mappings", "1")
        address = ("127.0.0.1", ports["udp"])
        with udp_socket(timeout=1.0) as a, udp_socket(timeout=1.0) as b:
            a.sendto(b"one", address)
            self.assertEqual(a.recvfrom(65535)[0], b"ONE")
            # The only mapping is a's: b's datagram is refused while it lives.
            b.sendto(b"two", address)
            with self.assertRaises(socket.timeout):
                b.recvfrom(65535)

            # Once a's mapping has been idle for 200 ms it is gone and b gets one.
            def b_served():
                b.sendto(b"three", address)
                try:
                    return b.recvfrom(65535)[0] == b"THREE"
                except socket.timeout:
                    return False

            l7test.wait_until(b_served, IO_TIMEOUT, interval=0.3, what="a mapping for b")
        self.assertStopsCleanly(link)
        self.assertRegex(link.stderr(), r"2 udp client\(s\) \([1-9]\d* datagram\(s\) refused")
        self.assertStopsCleanly(srv)

    def test_tcp_and_udp_at_once_with_periodic_stats(self):
        port = l7test.free_port()
        target = "127.0.0.1:%d" % port
        tcp_srv = self.server("tcp-server", "--listen", target, listen=False)
        udp_srv = self.server("udp-server", "--listen", target, listen=False)
        link, ports = self.start_link(target, "--delay", "5ms", "--stats-interval", "100ms")
        self.assertEqual(set(ports), {"tcp", "udp"})
        with tcp_connect(("127.0.0.1", ports["tcp"])) as s:
            s.sendall(b"over tcp\n")
            self.assertEqual(recv_lines(s, 1), [b"OVER TCP"])
        self.assertEqual(
            l7test.udp_exchange(("127.0.0.1", ports["udp"]), b"over udp"), b"OVER UDP"
        )
        link.wait_for(r"link: up \(client -> %s\): \d+ bytes in" % re.escape(target))
        self.assertStopsCleanly(link)
        self.assertStopsCleanly(tcp_srv)
        self.assertStopsCleanly(udp_srv)

    # --- usage -----------------------------------------------------------------------------

    def test_bad_options_exit_2_with_one_sentence(self):
        base = ["link", "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9"]
        cases = [
            (base + ["--rate", "1000"], "needs a unit"),
            (base + ["--rate", "fast"], "is not a rate"),
            (base + ["--rate", "20gbit"], "too fast"),
            (base + ["--up-rate", "1mb"], "unknown unit"),
            (base + ["--loss", "1"], "percent sign"),
            (base + ["--loss", "150%"], "more than 100%"),
            (base + ["--queue", "2GiB"], "too large"),
            (base + ["--delay", "5x"], "unknown unit"),
            (base + ["--delay", "2h"], "at most 1h"),
            (base + ["--tcp-only", "--udp-only"], "excludes"),
            (base + ["--tcp-only", "--loss", "1%"], "UDP datagrams only"),
            (["link", "--to", "127.0.0.1:9"], "--listen"),
            (["link", "--listen", "127.0.0.1:0"], "--to"),
            (["link", "--listen", "localhost:80", "--to", "127.0.0.1:9"], "listen"),
        ]
        for args, says in cases:
            cp = l7test.run_l7(args)
            self.assertUsageError(cp, args)
            self.assertIn(says, cp.stderr, args)


if __name__ == "__main__":
    l7test.main()
