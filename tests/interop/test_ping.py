#!/usr/bin/python3
"""`l7 socket ping` against `l7 socket udp-server` (echo, uppercase, lossy, silent) and against
Python peers that misbehave (duplicate replies, replies that are not probes)."""

import re
import signal

import l7test
from l7test import udp_socket

HEADER = re.compile(
    r"^PING (\S+) over UDP: (?:(\d+) probes|until interrupted), every \S+, timeout \S+$"
)
REPLY = re.compile(r"^(\d+) bytes from (\S+): seq=(\d+) time=(\d+\.\d{3}) ms$")
TIMEOUT = re.compile(r"^request timed out: seq=(\d+)$")
LATE = re.compile(r"^late reply from (\S+): seq=(\d+) time=\d+\.\d{3} ms \(after its timeout\)$")
DUP = re.compile(r"^reply from (\S+): seq=(\d+) \(DUP!\)$")
UNRECOGNISED = re.compile(r"^unrecognised datagram of (\d+) bytes from (\S+)$")
STATS = re.compile(r"^--- (\S+) ping statistics ---$")
SUMMARY = re.compile(
    r"^(\d+) packets transmitted, (\d+) received, (?:\+(\d+) duplicates, )?(\d+)% packet loss, "
    r"time (\d+)ms$"
)
RTT = re.compile(r"^rtt min/avg/max/mdev = (\d+\.\d{3})/(\d+\.\d{3})/(\d+\.\d{3})/(\d+\.\d{3}) ms$")


class PingOutput:
    """ping(8)-style output, parsed strictly: every line must have one of the known forms."""

    def __init__(self, testcase, text, peer):
        self.replies, self.timeouts, self.late, self.dups, self.unrecognised = [], [], [], [], []
        self.summary = self.rtt = None
        t = testcase
        lines = text.splitlines()
        t.assertTrue(lines, "no output")
        m = HEADER.match(lines[0])
        t.assertIsNotNone(m, "header line: %r" % lines[0])
        t.assertEqual(m.group(1), peer)
        self.header_count = int(m.group(2)) if m.group(2) else None
        stats_at = None
        for i, line in enumerate(lines[1:], start=1):
            if stats_at is not None:
                break
            if line == "":
                continue
            if m := REPLY.match(line):
                t.assertEqual(m.group(2), peer, line)
                self.replies.append((int(m.group(3)), int(m.group(1)), float(m.group(4))))
            elif m := TIMEOUT.match(line):
                self.timeouts.append(int(m.group(1)))
            elif m := LATE.match(line):
                self.late.append(int(m.group(2)))
            elif m := DUP.match(line):
                self.dups.append(int(m.group(2)))
            elif m := UNRECOGNISED.match(line):
                self.unrecognised.append(int(m.group(1)))
            elif m := STATS.match(line):
                t.assertEqual(m.group(1), peer)
                t.assertEqual(lines[i - 1], "", "an empty line comes before the statistics")
                stats_at = i
            else:
                t.fail("unexpected line %r in:\n%s" % (line, text))
        t.assertIsNotNone(stats_at, "no statistics header in:\n" + text)
        rest = lines[stats_at + 1:]
        t.assertIn(len(rest), (1, 2), "after the statistics header:\n" + text)
        m = SUMMARY.match(rest[0])
        t.assertIsNotNone(m, "summary line: %r" % rest[0])
        self.transmitted, self.received = int(m.group(1)), int(m.group(2))
        self.duplicates = int(m.group(3) or 0)
        self.loss = int(m.group(4))
        if len(rest) == 2:
            m = RTT.match(rest[1])
            t.assertIsNotNone(m, "rtt line: %r" % rest[1])
            self.rtt = tuple(float(x) for x in m.groups())

    def check_consistent(self, t):
        """What must hold whatever the loss: the summary agrees with the per-probe lines."""
        t.assertEqual(self.received, len(self.replies))
        t.assertEqual(self.duplicates, len(self.dups))
        t.assertLessEqual(self.received, self.transmitted)
        # Every probe ends exactly once: replied or timed out.
        seqs = sorted([s for s, _, _ in self.replies] + self.timeouts)
        t.assertEqual(seqs, list(range(1, self.transmitted + 1)))
        # A late reply belongs to a probe that timed out.
        for s in self.late:
            t.assertIn(s, self.timeouts)
        expected_loss = round(100.0 * (self.transmitted - self.received) / self.transmitted)
        t.assertLessEqual(abs(self.loss - expected_loss), 1)
        if self.received > 0:
            t.assertIsNotNone(self.rtt, "rtt line missing with %d replies" % self.received)
            lo, avg, hi, mdev = self.rtt
            t.assertLessEqual(lo, avg)
            t.assertLessEqual(avg, hi)
            t.assertGreaterEqual(mdev, 0.0)
            times = [ms for _, _, ms in self.replies]
            t.assertAlmostEqual(lo, min(times), places=3)
            t.assertAlmostEqual(hi, max(times), places=3)
        else:
            t.assertIsNone(self.rtt, "rtt line without replies")


class PingTest(l7test.TestCase):
    def ping(self, target, *args, env=None):
        cp = l7test.run_l7(["socket", "ping", *args, target], env=env)
        return cp, PingOutput(self, cp.stdout, target)

    def test_echo_no_loss(self):
        srv = self.server("udp-server", "--echo")
        cp, out = self.ping(srv.hostport, "-c", "5", "-i", "20ms", "-W", "5s")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        out.check_consistent(self)
        self.assertEqual(out.header_count, 5)
        self.assertEqual((out.transmitted, out.received, out.loss), (5, 5, 0))
        self.assertEqual(out.timeouts, [])
        self.assertEqual([s for s, _, _ in out.replies], [1, 2, 3, 4, 5])
        self.assertIsNotNone(out.rtt)
        self.assertStopsCleanly(srv)

    def test_total_loss(self):
        srv = self.server("udp-server", "--echo", "--loss", "1.0")
        cp, out = self.ping(srv.hostport, "-c", "3", "-i", "20ms", "-W", "200ms")
        self.assertEqual(cp.returncode, 1)
        out.check_consistent(self)
        self.assertEqual((out.transmitted, out.received, out.loss), (3, 0, 100))
        self.assertEqual(sorted(out.timeouts), [1, 2, 3])
        self.assertIsNone(out.rtt)
        self.assertStopsCleanly(srv)

    def test_lossy_slow_path(self):
        srv = self.server("udp-server", "--echo", "--loss", "0.5", "--delay", "20ms")
        cp, out = self.ping(srv.hostport, "-c", "20", "-i", "20ms", "-W", "500ms")
        # How many come back is random: only the format and the bookkeeping are checked.
        out.check_consistent(self)
        self.assertEqual(out.transmitted, 20)
        self.assertEqual(len(out.replies) + len(out.timeouts), 20)
        self.assertEqual(cp.returncode, 0 if out.received > 0 else 1)
        self.assertStopsCleanly(srv)

    def test_closed_port(self):
        with udp_socket() as s:
            port = s.getsockname()[1]
        target = "127.0.0.1:%d" % port
        cp, out = self.ping(target, "-c", "2", "-i", "20ms", "-W", "300ms")
        self.assertEqual(cp.returncode, 1)
        out.check_consistent(self)
        self.assertEqual((out.transmitted, out.received, out.loss), (2, 0, 100))

    def test_uppercase_server_replies_match(self):
        srv = self.server("udp-server")
        cp, out = self.ping(srv.hostport, "-c", "4", "-i", "20ms", "-W", "5s", "--size", "100")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        out.check_consistent(self)
        self.assertEqual((out.transmitted, out.received), (4, 4))
        self.assertEqual([b for _, b, _ in out.replies], [100] * 4)
        self.assertEqual(out.unrecognised, [])
        self.assertStopsCleanly(srv)

    def test_summary_only(self):
        srv = self.server("udp-server", "--echo")
        cp, out = self.ping(srv.hostport, "-c", "3", "-i", "20ms", "-W", "5s", "--summary")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(out.replies + out.timeouts, [])
        self.assertEqual((out.transmitted, out.received), (3, 3))
        self.assertIsNotNone(out.rtt)
        self.assertStopsCleanly(srv)

    def test_count_from_environment(self):
        srv = self.server("udp-server", "--echo")
        env = {"L7_SOCKET_COUNT": "2", "L7_SOCKET_INTERVAL": "20ms"}
        cp, out = self.ping(srv.hostport, env=env)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual((out.transmitted, out.received), (2, 2))
        self.assertStopsCleanly(srv)

    def test_until_interrupted(self):
        srv = self.server("udp-server", "--echo")
        p = self.background(["socket", "ping", "-c", "0", "-i", "20ms", "-W", "2s", srv.hostport])
        p.wait_for(r"seq=3 ", stream="stdout")
        self.assertEqual(p.stop(signal.SIGINT), 0, p.describe())
        out = PingOutput(self, p.stdout(), srv.hostport)
        self.assertIsNone(out.header_count)
        out.check_consistent(self)
        self.assertGreaterEqual(out.transmitted, 3)
        self.assertStopsCleanly(srv)

    def test_duplicate_replies(self):
        peer = l7test.PythonUdpPeer(lambda d: d, copies=2)
        try:
            target = "127.0.0.1:%d" % peer.port
            cp, out = self.ping(target, "-c", "3", "-i", "50ms", "-W", "5s")
            self.assertEqual(cp.returncode, 0, cp.stderr)
            out.check_consistent(self)
            self.assertEqual((out.transmitted, out.received), (3, 3))
            # Like ping(8), the pinger stops once the last probe is answered, so the last
            # probe's duplicate may come too late to be seen; the earlier ones may not.
            self.assertIn(sorted(out.dups), ([1, 2], [1, 2, 3]))
            self.assertEqual(out.duplicates, len(out.dups))
        finally:
            peer.close()

    def test_replies_that_are_not_probes(self):
        peer = l7test.PythonUdpPeer(lambda d: b"not a probe reply")
        try:
            target = "127.0.0.1:%d" % peer.port
            cp, out = self.ping(target, "-c", "2", "-i", "20ms", "-W", "2s")
            self.assertEqual(cp.returncode, 1)
            out.check_consistent(self)
            self.assertEqual((out.transmitted, out.received), (2, 0))
            self.assertEqual(out.unrecognised, [17, 17])
        finally:
            peer.close()

    def test_wrong_sequence_number_is_not_counted(self):
        # Replies carrying another probe's number must not count as replies to this one.
        def renumber(d):
            return re.sub(rb"^PING (\d+)", lambda m: b"PING %d" % (int(m.group(1)) + 1000), d)

        peer = l7test.PythonUdpPeer(renumber)
        try:
            target = "127.0.0.1:%d" % peer.port
            cp, out = self.ping(target, "-c", "2", "-i", "20ms", "-W", "2s")
            self.assertEqual(cp.returncode, 1)
            out.check_consistent(self)
            self.assertEqual(out.received, 0)
            self.assertEqual(len(out.unrecognised), 2)
        finally:
            peer.close()


if __name__ == "__main__":
    l7test.main()
