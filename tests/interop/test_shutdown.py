#!/usr/bin/python3
"""Graceful shutdown of the socket servers on SIGINT/SIGTERM: idle clients do not hold it up,
in-flight work is finished, a second signal stops at once, and every stop exits with 0.

Time bounds here are hang guards (the process must exit before them), never assertions that
something was fast: whether a stop waited for the drain is read from the server's log."""

import signal
import socket
import time

import l7test
from l7test import recv_lines, recv_to_eof, tcp_connect, udp_socket

HANG_GUARD = 15.0  # far beyond the drain (idle connections end at once)
DRAIN_GUARD = 40.0  # beyond the 10 s drain deadline plus the 2 s interrupt grace


def busy_connection(address):
    """A connection with a small receive buffer, so the server's replies soon block."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(l7test.IO_TIMEOUT)
    s.connect(address)
    return s


def block_server_writes(sock, limit=256 << 20):
    """Sends lines without reading the replies until the kernel refuses more: by then the
    server's reply writes are blocked on our full receive buffer, so its connection is busy.
    Returns the number of bytes sent."""
    sock.setblocking(False)
    sent = 0
    chunk = b"fill the pipe with lines\n" * 4096
    quiet_since = None
    deadline = l7test.Deadline(30.0)
    while sent < limit and not deadline.expired():
        try:
            sent += sock.send(chunk)
            quiet_since = None
        except BlockingIOError:
            # Full for a while (the server no longer reads): done.
            if quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 0.5:
                return sent
            time.sleep(0.05)
    raise AssertionError("the server kept reading %d bytes without its writes blocking" % sent)


class ShutdownTest(l7test.TestCase):
    def test_idle_tcp_client_does_not_delay_shutdown(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            with self.subTest(sig=sig.name):
                srv = self.server("tcp-server")
                with tcp_connect(srv.address) as idle, tcp_connect(srv.address) as used:
                    used.sendall(b"before\n")
                    self.assertEqual(recv_lines(used, 1), [b"BEFORE"])
                    srv.send_signal(sig)
                    self.assertEqual(srv.wait(HANG_GUARD), 0, srv.describe())
                    # The server closed both connections on its way out.
                    self.assertEqual(recv_to_eof(idle), b"")
                    self.assertEqual(recv_to_eof(used), b"")
                self.assertNotIn("drain deadline passed", srv.stderr())
                self.assertIn("stopped", srv.stderr())

    def test_no_new_connections_after_stop(self):
        srv = self.server("tcp-server")
        port = srv.port
        self.assertStopsCleanly(srv)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()

    def test_sigterm_right_after_start(self):
        # The signal may come as soon as the server says it listens: it must already be
        # handled then (a stop with exit 0), not kill the process (exit -15).
        for i in range(10):
            for verb in ("udp-server", "tcp-server"):
                with self.subTest(verb=verb, i=i):
                    srv = self.server(verb)
                    code = srv.stop(signal.SIGTERM, HANG_GUARD)
                    self.assertEqual(code, 0, srv.describe())

    def test_second_signal_during_drain_repeatedly(self):
        # A delayed UDP reply holds the drain open for seconds; a second signal while it is
        # open (Ctrl-C Ctrl-C) must stop the server at once and cleanly, every time.
        for i in range(6):
            sig = (signal.SIGINT, signal.SIGTERM)[i % 2]
            with self.subTest(i=i, sig=sig.name):
                srv = self.server("udp-server", "--echo", "--delay", "5s", "--trace",
                                  "--threads", "1")
                with udp_socket() as s:
                    s.sendto(b"hold the drain open", srv.address)
                    srv.wait_for(r"reply delayed by")
                srv.send_signal(sig)
                srv.wait_for(r"shutting down")
                self.assertTrue(srv.running(), "the delayed reply must hold the drain open")
                srv.send_signal(sig)
                code = srv.wait(HANG_GUARD)
                self.assertEqual(code, 0, srv.describe())
                self.assertIn("stopping now", srv.stderr())

    def test_busy_connection_waits_for_drain_deadline(self):
        srv = self.server("tcp-server")
        with busy_connection(srv.address) as busy:
            block_server_writes(busy)
            srv.send_signal(signal.SIGTERM)
            self.assertEqual(srv.wait(DRAIN_GUARD), 0, srv.describe())
        log = srv.stderr()
        self.assertIn("shutting down", log)
        self.assertIn("drain deadline passed", log)

    def test_second_sigint_stops_at_once(self):
        srv = self.server("tcp-server")
        with busy_connection(srv.address) as busy:
            block_server_writes(busy)
            srv.send_signal(signal.SIGINT)
            srv.wait_for(r"shutting down")
            self.assertTrue(srv.running(), "the busy connection must hold the drain open")
            srv.send_signal(signal.SIGINT)
            self.assertEqual(srv.wait(HANG_GUARD), 0, srv.describe())
        log = srv.stderr()
        self.assertIn("stopping now", log)
        # It stopped because of the second signal, not because the drain deadline ran out.
        self.assertNotIn("drain deadline passed", log)

    def test_delayed_udp_reply_in_flight_is_delivered(self):
        # A reply waiting out --delay is work the server has accepted: the graceful stop
        # waits for it (the server says so), so it must also be sent.
        srv = self.server("udp-server", "--echo", "--delay", "1s", "--trace")
        with udp_socket(timeout=10.0) as s:
            s.sendto(b"in flight", srv.address)
            srv.wait_for(r"reply delayed by")
            srv.send_signal(signal.SIGTERM)
            try:
                data, _ = s.recvfrom(65535)
            except socket.timeout:
                data = None
            self.assertEqual(srv.wait(HANG_GUARD), 0, srv.describe())
        self.assertEqual(data, b"in flight",
                         "the delayed reply was dropped by the graceful stop:\n" + srv.describe())


if __name__ == "__main__":
    l7test.main()
